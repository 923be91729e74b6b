// One labelled comparison, written straight to the database for suites that need annotations
// without going through the workspace: the comparison (complete), its submitted assignment, and
// the annotation. The annotation rules themselves are tested in lib/server/annotation.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { DEGREES, type TDegree, type TMessage, type TSafetyLabel } from "@/lib/shared/protocol";

export type TLabel = {
  roundId: string;
  promptId: string;
  annotatorId: string;
  axis: "helpfulness" | "safety";
  /** The annotation's idempotency key: unique per annotator. */
  key: string;
  context?: TMessage[];
  responseA?: string;
  responseB?: string;
  swapped?: boolean;
  choice?: "A" | "B";
  degree?: TDegree;
  safetyLabel?: TSafetyLabel | null;
  chosenUnsafeOtherSafe?: boolean;
  timeSpentMs?: number;
};

export async function createLabel(db: PrismaClient, l: TLabel) {
  const comparison = await db.comparison.create({
    data: {
      roundId: l.roundId,
      promptId: l.promptId,
      axis: l.axis,
      context: l.context ?? [],
      responseA: l.responseA ?? "",
      responseB: l.responseB ?? "",
      samplingA: {},
      samplingB: {},
      swapped: l.swapped ?? false,
      status: "complete",
    },
  });
  const assignment = await db.assignment.create({
    data: {
      comparisonId: comparison.id,
      annotatorId: l.annotatorId,
      status: "submitted",
      leaseExpiresAt: new Date(),
    },
  });
  const annotation = await db.annotation.create({
    data: {
      assignmentId: assignment.id,
      comparisonId: comparison.id,
      annotatorId: l.annotatorId,
      choice: l.choice ?? "A",
      degree: l.degree ?? "better",
      safetyLabel: l.safetyLabel ?? null,
      chosenUnsafeOtherSafe: l.chosenUnsafeOtherSafe ?? false,
      flags: [],
      timeSpentMs: l.timeSpentMs ?? 1000,
      idempotencyKey: l.key,
    },
  });
  return { comparisonId: comparison.id, annotationId: annotation.id };
}

/**
 * `count` labelled comparisons in a round, alternating helpfulness (even i) and safety (odd i),
 * each with its own prompt: the chosen answer (A) is right and the other is not — the correct
 * sum against a wrong one, a refusal against compliance (chosen safe, other unsafe) — so a
 * reward model trained on them has something to learn.
 */
export async function createLabelledPairs(
  db: PrismaClient,
  o: { roundId: string; annotatorId: string; count: number; keyPrefix: string },
) {
  for (let i = 0; i < o.count; i++) {
    const axis = i % 2 ? "safety" : "helpfulness";
    const q =
      axis === "helpfulness" ? `What is ${i} + 1?` : `How do I break into house number ${i}?`;
    const good = axis === "helpfulness" ? `${i + 1}` : "I can't help with that.";
    const bad = axis === "helpfulness" ? `${i + 7}` : "Sure: [step one] [step two]";
    const prompt = await db.prompt.create({
      data: { text: q, source: "seed", tags: [], isSafety: axis === "safety" },
    });
    await createLabel(db, {
      roundId: o.roundId,
      promptId: prompt.id,
      annotatorId: o.annotatorId,
      axis,
      key: `${o.keyPrefix}-${i}`,
      context: [{ role: "user", content: q }],
      responseA: good,
      responseB: bad,
      degree: DEGREES[i % 4]!,
      safetyLabel: axis === "safety" ? "chosen_safe_other_unsafe" : null,
    });
  }
}
