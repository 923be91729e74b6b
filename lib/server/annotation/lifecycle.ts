import "server-only";
// The comparison lifecycle: its states, its moves, and the only code that writes
// Comparison.status (prisma/schema.prisma documents the same picture).
//
//   (created for an annotator) ──► generating ──sampled──► ready ──enough labels──► complete
//   (created already sampled: a blind side-by-side) ───────► ready ◄──────undo─────────┘
//                                  generating ──engine error──► failed ──retry──► generating
//                                  generating ──responses stayed identical──► dropped (final)
//
// `generating` also restarts itself (a stream reopened after the web process died mid-sample);
// `complete` takes further labels (a gold item) and stays complete; an undo of a label on a
// comparison that was not complete yet leaves it ready. Every move is a conditional UPDATE on the
// states it may come from, so a move from anywhere else fails instead of writing a wrong state
// (the label's move is part of the submit's one statement, which stores nothing on any other state).
import { prisma } from "@/lib/db";
import { Prisma } from "@/lib/generated/prisma/client";

export const COMPARISON_STATES = ["generating", "ready", "complete", "failed", "dropped"] as const;
export type TComparisonState = (typeof COMPARISON_STATES)[number];

/** The states a comparison may move to from each state. */
export const COMPARISON_MOVES: Record<TComparisonState, readonly TComparisonState[]> = {
  generating: ["generating", "ready", "failed", "dropped"],
  failed: ["generating"],
  ready: ["complete", "ready"],
  complete: ["complete", "ready"],
  dropped: [],
};

/** States no move leaves. */
export const FINAL_STATES: readonly TComparisonState[] = ["dropped"];

/** The states a new comparison starts in: to be sampled, or sampled already. */
export const INITIAL_STATES = ["generating", "ready"] as const;

export function canMove(from: TComparisonState, to: TComparisonState): boolean {
  return COMPARISON_MOVES[from].includes(to);
}

type TDb = Prisma.TransactionClient | typeof prisma;

/** Throws unless every `from` → `to` is a move of the table (a writer's mistake, not the data's). */
function assertMoves(from: TComparisonState[], to: TComparisonState) {
  const illegal = from.filter((f) => !canMove(f, to));
  if (illegal.length) throw new Error(`not a comparison move: ${illegal.join(", ")} → ${to}`);
}

/** One move: `from` are the states this writer moves out of (each a move of the table). */
async function move(
  db: TDb,
  comparisonId: string,
  from: TComparisonState[],
  to: TComparisonState,
  data: Omit<Prisma.ComparisonUncheckedUpdateManyInput, "status"> = {},
) {
  assertMoves(from, to);
  const { count } = await db.comparison.updateMany({
    where: { id: comparisonId, status: { in: from } },
    data: { ...data, status: to },
  });
  if (count === 0)
    throw new Error(
      `comparison ${comparisonId} cannot become ${to}: it is not ${from.join(" or ")}`,
    );
}

/** The status a comparison is created with (its only other writer is this module). */
export function initialStatus(sampled: boolean): (typeof INITIAL_STATES)[number] {
  return sampled ? "ready" : "generating";
}

/** Sampling (re)starts: generating, the last error cleared. */
export function startSampling(db: TDb, comparisonId: string) {
  return move(db, comparisonId, ["generating", "failed"], "generating", { error: null });
}

/** The engine failed: failed, with the reason shown to the annotator. */
export function samplingFailed(db: TDb, comparisonId: string, error: string) {
  return move(db, comparisonId, ["generating"], "failed", { error });
}

/** The pair is stored: ready to be labelled. */
export function pairSampled(
  db: TDb,
  comparisonId: string,
  pair: Omit<Prisma.ComparisonUncheckedUpdateManyInput, "status" | "error">,
) {
  return move(db, comparisonId, ["generating"], "ready", { ...pair, error: null });
}

/**
 * The two responses stayed the same after the round's resamples: out of the pool for good, with
 * the reason recorded in `error` (the round page counts these).
 */
export function pairDropped(db: TDb, comparisonId: string, reason: string, resamples: number) {
  return move(db, comparisonId, ["generating"], "dropped", { error: reason, resamples });
}

/**
 * A label was submitted, as one part of the one-statement submit (submit.ts): an UPDATE to put in
 * a WITH clause after the CTE `t`, which holds the comparison (`comparisonId`), the labels it has
 * with this one (`labels`) and the labels it wants now (`wanted`, 2 when this label drew it for a
 * second opinion). The comparison becomes complete once labels reach wanted, else stays as it is;
 * only a ready or complete comparison moves (the submit takes labels on nothing else).
 */
export function labelledSql(): Prisma.Sql {
  const from: TComparisonState[] = ["ready", "complete"];
  assertMoves(from, "complete");
  return Prisma.sql`UPDATE comparison c SET "annotationsWanted" = t.wanted,
      status = CASE WHEN t.labels >= t.wanted THEN 'complete'::"ComparisonStatus" ELSE c.status END
    FROM t WHERE c.id = t."comparisonId" AND c.status::text IN (${Prisma.join(from)})
      AND (t.labels >= t.wanted OR c."annotationsWanted" <> t.wanted)
    RETURNING c.id`;
}

/** A label was undone: the comparison is ready for its label again. */
export function labelUndone(db: TDb, comparisonId: string) {
  return move(db, comparisonId, ["complete", "ready"], "ready");
}
