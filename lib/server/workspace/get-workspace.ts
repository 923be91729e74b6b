import "server-only";
import { prisma } from "@/lib/db";
import { activeRound } from "@/lib/server/annotation/assign";

/** The round being collected (name, guidelines), the queued prompts left in it, and my count. */
export async function getWorkspace(userId: string) {
  const active = await activeRound();
  const [queuedPrompts, myAnnotations] = await Promise.all([
    prisma.prompt.count(
      active ? { where: { dialogues: { none: { roundId: active.round.id } } } } : undefined,
    ),
    prisma.annotation.count({ where: { annotatorId: userId } }),
  ]);
  return {
    round: active
      ? {
          id: active.round.id,
          number: active.round.number,
          name: active.round.name,
          guidelines: active.config.guidelines,
          maxTurns: active.config.maxTurns,
        }
      : null,
    queuedPrompts,
    myAnnotations,
  };
}
