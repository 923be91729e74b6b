import "server-only";
// What the workspace needs for demonstration tasks: the round's share of demonstrations (new
// tasks are offered as demonstrations with that probability; the annotator can switch), its
// guidelines and turn limit, the prompt sources, the annotator's own counts, and queued prompts.
import { prisma } from "@/lib/db";
import { activeRound } from "@/lib/server/annotation/assign";
import { DomainError } from "@/lib/server/errors";

export async function demonstrationWorkspace(annotatorId: string) {
  const active = await activeRound();
  const counts = await prisma.demonstration.groupBy({
    by: ["status"],
    where: { annotatorId },
    _count: { _all: true },
  });
  const mine = { pending: 0, approved: 0, rejected: 0 };
  for (const c of counts) mine[c.status] = c._count._all;
  if (!active) return { round: null, mine };
  const { round, config } = active;
  return {
    round: {
      id: round.id,
      number: round.number,
      demonstrationShare: config.demonstrationShare,
      guidelines: config.demonstrationGuidelines,
      maxTurns: config.maxTurns,
      promptSources: config.promptSources,
    },
    mine,
  };
}

/**
 * A queued prompt for a demonstration: the first in curriculum order that has no demonstration in
 * this round yet; `skip` passes over that many (the annotator asked for another one).
 */
export async function queuedPromptForDemonstration(skip = 0) {
  const active = await activeRound();
  if (!active) throw new DomainError("CONFLICT", "No round is collecting right now");
  if (!active.config.promptSources.queued)
    throw new DomainError("CONFLICT", "This round does not use queued prompts: write one");
  const prompt = await prisma.prompt.findFirst({
    where: { demonstrations: { none: { roundId: active.round.id } } },
    orderBy: [
      { curriculumOrder: { sort: "asc", nulls: "last" } },
      { createdAt: "asc" },
      { id: "asc" },
    ],
    skip,
    select: { id: true, text: true, isSafety: true, taskCategory: true, riskCategory: true },
  });
  if (!prompt)
    throw new DomainError("CONFLICT", "No queued prompts are left for demonstrations: write one");
  return { ...prompt, axis: prompt.isSafety ? ("safety" as const) : ("helpfulness" as const) };
}
