import "server-only";
import { randomUUID } from "node:crypto";
// Submitting, undoing and skipping. Submission is idempotent by the client's key: a double click,
// a retry after a timeout or a second tab returns the first annotation instead of making another.
import { prisma } from "@/lib/db";
import { Prisma } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/server/errors";
import { UNDO_GRACE_MS, type TSubmitAnnotation } from "@/lib/shared/annotation";
import { parseRoundConfig } from "@/lib/shared/round-config";
import type { TRandom } from "./assign";
import { labelled, labelUndone } from "./lifecycle";
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

/** The assignment being labelled, with what the submit needs of its comparison and round. */
type TSubmitTarget = {
  id: string;
  annotatorId: string;
  status: string;
  source: "own" | "overlap" | "gold";
  leaseExpiresAt: Date;
  comparisonId: string;
  comparisonStatus: string;
  axis: "helpfulness" | "safety";
  swapped: boolean;
  annotationsWanted: number;
  dialogueId: string | null;
  turnIndex: number;
  responseA: string;
  responseB: string;
  config: unknown;
  /** Labels already submitted on the comparison (this one not included). */
  submitted: number;
};

/**
 * Submits a label. The common case is one transaction of few statements: the assignment read and
 * locked with its comparison and round, the annotation inserted, the assignment closed, and — when
 * they apply — the comparison's status moved, the dialogue's assistant turn inserted. The
 * idempotency key is looked up only when the submit cannot go through (a retry or a double click
 * finds its assignment already submitted, or the key taken): then the first annotation is returned.
 */
export async function submitAnnotation(
  annotatorId: string,
  input: TSubmitAnnotation,
  now: Date,
  random: TRandom = Math.random,
): Promise<TSubmitResult> {
  try {
    return await prisma.$transaction(async (tx) => {
      // FOR UPDATE: two submits of one assignment (two keys) are taken one after the other.
      const [assignment] = await tx.$queryRaw<TSubmitTarget[]>`
        SELECT s.id, s."annotatorId", s.status::text AS status, s.source::text AS source,
          s."leaseExpiresAt", c.id AS "comparisonId", c.status::text AS "comparisonStatus",
          c.axis::text AS axis, c.swapped, c."annotationsWanted", c."dialogueId", c."turnIndex",
          c."responseA", c."responseB", r.config,
          (SELECT count(*)::int FROM assignment o
           WHERE o."comparisonId" = c.id AND o.status = 'submitted') AS submitted
        FROM assignment s JOIN comparison c ON c.id = s."comparisonId"
        JOIN round r ON r.id = c."roundId"
        WHERE s.id = ${input.assignmentId}
        FOR UPDATE OF s`;
      if (!assignment || assignment.annotatorId !== annotatorId) {
        throw new DomainError("NOT_FOUND", "No such assignment");
      }
      if (assignment.status !== "assigned") {
        throw new DomainError(
          "CONFLICT",
          assignment.status === "expired"
            ? "This item's lease ran out and it went back to the queue; your label was not saved. Take the next item."
            : `This item was already ${assignment.status}; nothing was changed.`,
        );
      }
      if (assignment.leaseExpiresAt < now) {
        // Refused; the expiry itself is left to the next hand-out (this transaction rolls back).
        throw new DomainError(
          "CONFLICT",
          "This item's lease ran out and it went back to the queue; your label was not saved. Take the next item.",
        );
      }
      const c = assignment;
      if (c.comparisonStatus !== "ready" && c.comparisonStatus !== "complete") {
        throw new DomainError(
          "CONFLICT",
          "Both responses must be generated before you can label them",
        );
      }
      if (c.axis === "safety" && !input.safety) {
        throw new DomainError("BAD_REQUEST", "The safety axis needs a safety label");
      }
      const config = parseRoundConfig(c.config);
      const choice = variantOfSide(input.chosenSide, c.swapped);
      const chosenUnsafeOtherSafe = input.safety === "chosen_unsafe_other_safe";
      const safetyLabel =
        input.safety && input.safety !== "chosen_unsafe_other_safe" ? input.safety : null;

      const annotation = await tx.annotation.create({
        data: {
          assignmentId: assignment.id,
          comparisonId: c.comparisonId,
          annotatorId,
          choice,
          degree: input.degree,
          safetyLabel,
          chosenUnsafeOtherSafe,
          flags: input.flags,
          note: input.note || null,
          timeSpentMs: input.timeSpentMs,
          idempotencyKey: input.idempotencyKey,
          createdAt: now,
        },
        select: { id: true },
      });
      await tx.assignment.updateMany({
        where: { id: assignment.id },
        data: { status: "submitted", finishedAt: now },
      });

      // The first label of a comparison may draw it for a second opinion (overlap).
      let wanted = c.annotationsWanted;
      if (assignment.source === "own" && wanted === 1 && random() < config.overlapRate) {
        wanted = 2;
        await tx.comparison.updateMany({
          where: { id: c.comparisonId },
          data: { annotationsWanted: 2 },
        });
      }
      await labelled(tx, c.comparisonId, c.submitted + 1, wanted);

      // In the annotator's own dialogue, the chosen response becomes the assistant turn.
      const own = assignment.source === "own" && c.dialogueId !== null;
      if (own) {
        await tx.$executeRaw`
          INSERT INTO turn (id, "dialogueId", position, role, content, "comparisonId")
          SELECT ${randomUUID()}, ${c.dialogueId}, coalesce(max(position), -1) + 1, 'assistant',
            ${choice === "A" ? c.responseA : c.responseB}, ${c.comparisonId}
          FROM turn WHERE "dialogueId" = ${c.dialogueId}`;
        if (c.turnIndex + 1 >= config.maxTurns) {
          await tx.dialogue.updateMany({
            where: { id: c.dialogueId! },
            data: { status: "completed" },
          });
        }
      }
      return {
        annotationId: annotation.id,
        created: true,
        dialogueId: own ? c.dialogueId : null,
        canContinue: own && c.turnIndex + 1 < config.maxTurns,
        chosenUnsafeOtherSafe,
      };
    });
  } catch (error) {
    // The key was used before (a retry, a double click, a second tab), or two submits with one
    // key raced: the first annotation made with it is the answer.
    const used =
      (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") ||
      error instanceof DomainError;
    if (used) {
      const first = await existingByKey(annotatorId, input.idempotencyKey);
      if (first) return first;
    }
    throw error;
  }
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
