// One labelled comparison, written straight to the database for suites that need annotations
// without going through the workspace: the comparison (complete), its submitted assignment, and
// the annotation. The annotation rules themselves are tested in lib/server/annotation.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { TDegree, TMessage, TSafetyLabel } from "@/lib/shared/protocol";

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
