import "server-only";
import { randomUUID } from "node:crypto";
// Submitting, undoing and skipping. Submission is idempotent by the client's key: a double click,
// a retry after a timeout or a second tab returns the first annotation instead of making another.
import { prisma } from "@/lib/db";
import { Prisma } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/server/errors";
import { UNDO_GRACE_MS, type TSubmitAnnotation } from "@/lib/shared/annotation";
import { parseRoundConfig } from "@/lib/shared/round-config";
import { ts, type TRandom } from "./assign";
import { labelledSql, labelUndone } from "./lifecycle";
import { variantOfSide } from "./view";

export type TSubmitResult = {
  annotationId: string;
  /** True when this call made the annotation; false when the key had already been used. */
  created: boolean;
  dialogueId: string | null;
  canContinue: boolean;
  chosenUnsafeOtherSafe: boolean;
};

async function existingByKey(
  annotatorId: string,
  idempotencyKey: string,
): Promise<TSubmitResult | null> {
  const found = await prisma.annotation.findUnique({
    where: { annotatorId_idempotencyKey: { annotatorId, idempotencyKey } },
    include: { assignment: { include: { comparison: { include: { round: true } } } } },
  });
  if (!found) return null;
  const c = found.assignment.comparison;
  const own = found.assignment.source === "own" && c.dialogueId !== null;
  return {
    annotationId: found.id,
    created: false,
    dialogueId: own ? c.dialogueId : null,
    canContinue: own && c.turnIndex + 1 < parseRoundConfig(c.round.config).maxTurns,
    chosenUnsafeOtherSafe: found.chosenUnsafeOtherSafe,
  };
}

/** What the one-statement submit returns when it stored the label. */
type TSubmitted = {
  annotationId: string;
  source: "own" | "overlap" | "gold";
  dialogueId: string | null;
  turnIndex: number;
  maxTurns: number;
};

/**
 * Submits a label. The common case is one statement, so one round trip and no transaction to open
 * and close: it closes the assignment (only if it is the annotator's, still assigned, its lease
 * running, its comparison sampled, and a safety label given on the safety axis), inserts the
 * annotation, moves the comparison (lifecycle.ts `labelledSql`), and in the annotator's own
 * dialogue inserts the chosen response as the assistant turn and completes the dialogue at the
 * round's last turn. A statement is atomic, so a crash or an error (the key taken) stores nothing.
 * Two submits of one assignment are taken one after the other: the UPDATE locks the assignment, and
 * the second, re-checked after the first commits, finds it submitted and changes nothing.
 *
 * When nothing was stored, the idempotency key is looked up (a retry or a double click gets the
 * first annotation made with it), and otherwise the assignment is read again to say why.
 */
export async function submitAnnotation(
  annotatorId: string,
  input: TSubmitAnnotation,
  now: Date,
  random: TRandom = Math.random,
): Promise<TSubmitResult> {
  const chosenUnsafeOtherSafe = input.safety === "chosen_unsafe_other_safe";
  const safetyLabel =
    input.safety && input.safety !== "chosen_unsafe_other_safe" ? input.safety : null;
  // The overlap draw: the first label of an own comparison draws it for a second opinion.
  const draw = random();
  let row: TSubmitted | undefined;
  try {
    [row] = await prisma.$queryRaw<TSubmitted[]>`
      WITH target AS (
        UPDATE assignment s SET status = 'submitted', "finishedAt" = ${ts(now)}
        FROM comparison c JOIN round r ON r.id = c."roundId"
        WHERE s.id = ${input.assignmentId} AND s."annotatorId" = ${annotatorId}
          AND s.status = 'assigned' AND s."leaseExpiresAt" >= ${ts(now)}
          AND c.id = s."comparisonId" AND c.status IN ('ready', 'complete')
          AND (c.axis <> 'safety' OR ${input.safety !== undefined})
        RETURNING s.id, s.source::text AS source, c.id AS "comparisonId", c.swapped,
          c."annotationsWanted", c."dialogueId", c."turnIndex", c."responseA", c."responseB",
          (r.config->>'overlapRate')::float8 AS "overlapRate", (r.config->>'maxTurns')::int AS "maxTurns",
          (SELECT count(*)::int FROM assignment o
           WHERE o."comparisonId" = c.id AND o.status = 'submitted') + 1 AS labels
      ), t AS (
        SELECT target.*,
          CASE WHEN swapped THEN ${variantOfSide(input.chosenSide, true)}
            ELSE ${variantOfSide(input.chosenSide, false)} END AS choice,
          CASE WHEN source = 'own' AND "annotationsWanted" = 1 AND ${draw} < "overlapRate"
            THEN 2 ELSE "annotationsWanted" END AS wanted
        FROM target
      ), inserted AS (
        INSERT INTO annotation (id, "assignmentId", "comparisonId", "annotatorId", choice, degree,
          "safetyLabel", "chosenUnsafeOtherSafe", flags, note, "timeSpentMs", "idempotencyKey",
          "createdAt")
        SELECT ${randomUUID()}, t.id, t."comparisonId", ${annotatorId}, t.choice::"Choice",
          ${input.degree}::"Degree", ${safetyLabel}::"SafetyLabel", ${chosenUnsafeOtherSafe},
          ${input.flags}::text[], ${input.note || null}, ${input.timeSpentMs},
          ${input.idempotencyKey}, ${ts(now)}
        FROM t RETURNING id
      ), moved AS (${labelledSql()}
      ), turn_added AS (
        INSERT INTO turn (id, "dialogueId", position, role, content, "comparisonId")
        SELECT ${randomUUID()}, t."dialogueId",
          (SELECT coalesce(max(position), -1) + 1 FROM turn WHERE "dialogueId" = t."dialogueId"),
          'assistant', CASE WHEN t.choice = 'A' THEN t."responseA" ELSE t."responseB" END,
          t."comparisonId"
        FROM t WHERE t.source = 'own' AND t."dialogueId" IS NOT NULL
        RETURNING id
      ), dialogue_done AS (
        UPDATE dialogue d SET status = 'completed' FROM t
        WHERE d.id = t."dialogueId" AND t.source = 'own' AND t."turnIndex" + 1 >= t."maxTurns"
        RETURNING d.id
      )
      SELECT inserted.id AS "annotationId", t.source, t."dialogueId", t."turnIndex", t."maxTurns"
      FROM inserted, t`;
  } catch (error) {
    // The key was used before for another assignment (a client that reuses keys), or two
    // submits with one key raced: the first annotation made with it is the answer.
    if (!isUniqueViolation(error)) throw error;
  }
  if (row) {
    const own = row.source === "own" && row.dialogueId !== null;
    return {
      annotationId: row.annotationId,
      created: true,
      dialogueId: own ? row.dialogueId : null,
      canContinue: own && row.turnIndex + 1 < row.maxTurns,
      chosenUnsafeOtherSafe,
    };
  }
  const first = await existingByKey(annotatorId, input.idempotencyKey);
  if (first) return first;
  throw await refusal(annotatorId, input, now);
}

/** Why a submit stored nothing: the same checks as the statement's, in the order a person reads them. */
async function refusal(
  annotatorId: string,
  input: TSubmitAnnotation,
  now: Date,
): Promise<DomainError> {
  const assignment = await prisma.assignment.findUnique({
    where: { id: input.assignmentId },
    select: {
      annotatorId: true,
      status: true,
      leaseExpiresAt: true,
      comparison: { select: { status: true, axis: true } },
    },
  });
  if (!assignment || assignment.annotatorId !== annotatorId) {
    return new DomainError("NOT_FOUND", "No such assignment");
  }
  const leaseRanOut =
    "This item's lease ran out and it went back to the queue; your label was not saved. Take the next item.";
  if (assignment.status !== "assigned") {
    return new DomainError(
      "CONFLICT",
      assignment.status === "expired"
        ? leaseRanOut
        : `This item was already ${assignment.status}; nothing was changed.`,
    );
  }
  // The expiry itself is left to the next hand-out.
  if (assignment.leaseExpiresAt < now) return new DomainError("CONFLICT", leaseRanOut);
  const c = assignment.comparison;
  if (c.status !== "ready" && c.status !== "complete") {
    return new DomainError(
      "CONFLICT",
      "Both responses must be generated before you can label them",
    );
  }
  if (c.axis === "safety" && !input.safety) {
    return new DomainError("BAD_REQUEST", "The safety axis needs a safety label");
  }
  // Everything holds now: it changed between the statement and this read (a concurrent undo).
  return new DomainError(
    "CONFLICT",
    "This item changed while you submitted; nothing was saved. Try again.",
  );
}

/** A unique constraint refused the write (Prisma's P2002, or PostgreSQL's 23505 from a raw query). */
function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === "P2002") return true;
    return JSON.stringify(error.meta ?? {}).includes("23505");
  }
  return false;
}

/**
 * Takes back the annotator's last label within the grace window, as long as the dialogue has not
 * moved on: the assignment is theirs again with a fresh lease, and the assistant turn is removed.
 * `release` is the item the workspace loaded by itself after that label (still unlabelled): it
 * goes back to the pool in the same transaction, so undo stays one key away.
 */
export async function undoAnnotation(
  annotatorId: string,
  annotationId: string,
  now: Date,
  release?: string,
) {
  return prisma.$transaction(async (tx) => {
    const annotation = await tx.annotation.findUnique({
      where: { id: annotationId },
      include: { assignment: true, comparison: { include: { round: true, turn: true } } },
    });
    if (!annotation || annotation.annotatorId !== annotatorId)
      throw new DomainError("NOT_FOUND", "No such annotation");
    if (now.getTime() - annotation.createdAt.getTime() > UNDO_GRACE_MS) {
      throw new DomainError(
        "CONFLICT",
        `Undo is possible for ${UNDO_GRACE_MS / 1000} s after submitting; this one is older`,
      );
    }
    const c = annotation.comparison;
    if (c.dialogueId) {
      const later = await tx.comparison.count({
        where: { dialogueId: c.dialogueId, turnIndex: { gt: c.turnIndex } },
      });
      if (later > 0 && annotation.assignment.source === "own") {
        throw new DomainError("CONFLICT", "The dialogue has already continued past this turn");
      }
    }
    if (release !== undefined && release !== annotation.assignmentId) {
      await releaseHeld(tx, annotatorId, release, now);
    }
    const held = await tx.assignment.count({
      where: {
        annotatorId,
        status: "assigned",
        leaseExpiresAt: { gte: now },
        id: { not: annotation.assignmentId },
      },
    });
    if (held > 0)
      throw new DomainError("CONFLICT", "Skip or finish the item you hold before undoing");

    await tx.annotation.delete({ where: { id: annotation.id } });
    if (c.turn && annotation.assignment.source === "own")
      await tx.turn.delete({ where: { id: c.turn.id } });
    if (c.dialogueId && annotation.assignment.source === "own") {
      await tx.dialogue.update({ where: { id: c.dialogueId }, data: { status: "open" } });
    }
    const config = parseRoundConfig(c.round.config);
    await tx.assignment.update({
      where: { id: annotation.assignmentId },
      data: {
        status: "assigned",
        finishedAt: null,
        leaseExpiresAt: new Date(now.getTime() + config.leaseMinutes * 60_000),
      },
    });
    await labelUndone(tx, c.id);
    return { assignmentId: annotation.assignmentId };
  });
}

/**
 * Gives back a held, unlabelled item without a skip reason: the assignment ends as if its lease
 * ran out (the comparison returns to the pool for someone else), and the annotator's own dialogue
 * it started is left (abandoned), as a skip leaves it.
 */
async function releaseHeld(
  tx: Prisma.TransactionClient,
  annotatorId: string,
  assignmentId: string,
  now: Date,
) {
  const a = await tx.assignment.findUnique({
    where: { id: assignmentId },
    include: { comparison: true },
  });
  if (!a || a.annotatorId !== annotatorId) throw new DomainError("NOT_FOUND", "No such assignment");
  if (a.status !== "assigned") return;
  await tx.assignment.update({
    where: { id: a.id },
    data: { status: "expired", finishedAt: now },
  });
  if (a.source === "own" && a.comparison.dialogueId) {
    await tx.dialogue.update({
      where: { id: a.comparison.dialogueId },
      data: { status: "abandoned" },
    });
  }
}

/** Skips a held item with a reason; it returns to the pool for someone else. */
export async function skipAssignment(
  annotatorId: string,
  assignmentId: string,
  reason: string,
  note: string | undefined,
  now: Date,
) {
  const a = await prisma.assignment.findUnique({
    where: { id: assignmentId },
    include: { comparison: true },
  });
  if (!a || a.annotatorId !== annotatorId) throw new DomainError("NOT_FOUND", "No such assignment");
  if (a.status !== "assigned")
    throw new DomainError("CONFLICT", `This item was already ${a.status}`);
  await prisma.$transaction([
    prisma.assignment.update({
      where: { id: a.id },
      data: {
        status: "skipped",
        skipReason: note ? `${reason}: ${note}` : reason,
        finishedAt: now,
      },
    }),
    ...(a.source === "own" && a.comparison.dialogueId
      ? [
          prisma.dialogue.update({
            where: { id: a.comparison.dialogueId },
            data: { status: "abandoned" },
          }),
        ]
      : []),
  ]);
  return { assignmentId: a.id };
}
