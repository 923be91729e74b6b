import "server-only";
import { prisma } from "@/lib/db";

/**
 * What an annotator's workspace shows: the round being collected (if any) and how many queued
 * prompts wait. Comparisons arrive with the annotation issue; until then the workspace says so.
 */
export async function getWorkspace(userId: string) {
  const [round, queuedPrompts, myAnnotations] = await Promise.all([
    prisma.round.findFirst({
      where: { status: "collecting" },
      orderBy: { number: "desc" },
      select: { id: true, number: true, name: true, config: true },
    }),
    prisma.prompt.count(),
    prisma.annotation.count({ where: { annotatorId: userId } }),
  ]);
  return { round, queuedPrompts, myAnnotations };
}
