import "server-only";
import { prisma } from "@/lib/db";
import { DomainError } from "@/lib/server/errors";
import type { TJobState } from "@/lib/shared/jobs";

export async function listJobs(filter: { state?: TJobState | undefined; limit: number }) {
  return prisma.job.findMany({
    where: filter.state ? { state: filter.state } : {},
    orderBy: { createdAt: "desc" },
    take: filter.limit,
    include: { createdBy: { select: { email: true } }, round: { select: { number: true } } },
  });
}

export async function getJob(id: string) {
  const job = await prisma.job.findUnique({
    where: { id },
    include: { createdBy: { select: { email: true } }, round: { select: { number: true } } },
  });
  if (!job) throw new DomainError("NOT_FOUND", "No such job");
  return job;
}

/** Model versions, newest first, with their metrics (Table 8 for reward models). */
export async function listModels(filter: {
  kind?: "policy" | "reward_helpfulness" | "reward_safety" | undefined;
}) {
  return prisma.modelVersion.findMany({
    where: filter.kind ? { kind: filter.kind } : {},
    orderBy: { createdAt: "desc" },
    take: 100,
    include: { round: { select: { number: true } }, parent: { select: { name: true } } },
  });
}
