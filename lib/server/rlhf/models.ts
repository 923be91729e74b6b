import "server-only";
// The reward models an RLHF step works with, and the folder a job writes into. What a policy is
// (current / previous, a round's policy, registration) lives in lib/server/models/policies.ts.
import path from "node:path";
import { prisma } from "@/lib/db";
import type { ModelVersion } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";
import { DomainError } from "@/lib/server/errors";

/** The folder a job writes into (prompts file, engine output). */
export function jobDir(jobId: string): string {
  return path.resolve(env().PAIRWISE_DATA_DIR, "jobs", jobId);
}

export type TRewardModels = { helpfulness: ModelVersion; safety: ModelVersion };

/** The newest helpfulness and safety reward models of the round, else the newest overall. */
export async function rewardModelsFor(roundId: string | null): Promise<TRewardModels> {
  const newest = async (kind: "reward_helpfulness" | "reward_safety") =>
    (roundId
      ? await prisma.modelVersion.findFirst({
          where: { kind, roundId },
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        })
      : null) ??
    (await prisma.modelVersion.findFirst({
      where: { kind },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    }));
  const [helpfulness, safety] = [await newest("reward_helpfulness"), await newest("reward_safety")];
  const missing = [!helpfulness && "helpfulness", !safety && "safety"].filter(Boolean);
  if (!helpfulness || !safety)
    throw new DomainError(
      "CONFLICT",
      `No ${missing.join(" or ")} reward model yet: train the reward models first (a train_reward job)`,
    );
  return { helpfulness, safety };
}

/** Which reward models a round has of its own. */
export async function roundRewardKinds(roundId: string) {
  const rows = await prisma.modelVersion.findMany({
    where: { roundId, kind: { in: ["reward_helpfulness", "reward_safety"] } },
    select: { kind: true },
  });
  return new Set(rows.map((r) => r.kind));
}
