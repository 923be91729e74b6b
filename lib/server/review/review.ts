import "server-only";
// The reviewer's view: annotations with their latest review, a page at a time (cursor-based),
// and decisions, one at a time or approved in bulk. Rejected annotations are excluded from
// training data (the latest review counts).
import { prisma } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/server/errors";
import type { TListAnnotations } from "@/lib/shared/review";
import { ZMessages } from "@/lib/shared/protocol";
import { sideOfVariant } from "@/lib/server/annotation/view";

const LIST_INCLUDE = {
  annotator: { select: { email: true } },
  comparison: { include: { round: { select: { number: true } }, goldItem: true } },
  reviews: {
    orderBy: { createdAt: "desc" },
    take: 1,
    include: { reviewer: { select: { email: true } } },
  },
} satisfies Prisma.AnnotationInclude;

/** Rows scanned per query while a status filter (the latest review, not a column) drops some. */
const SCAN_BATCH = 200;

/**
 * One page of annotations, newest first, and the cursor of the next page (null on the last).
 * The status is the latest review's decision, so it is filtered after reading: batches are read
 * after the cursor until the page is full or the annotations run out.
 */
export async function listAnnotations(filter: TListAnnotations) {
  const where: Prisma.AnnotationWhereInput = {
    ...(filter.annotatorId ? { annotatorId: filter.annotatorId } : {}),
    ...(filter.flag ? { flags: { has: filter.flag } } : {}),
    ...(filter.status === "pending" ? { reviews: { none: {} } } : {}),
    comparison: {
      ...(filter.roundId ? { roundId: filter.roundId } : {}),
      ...(filter.axis ? { axis: filter.axis } : {}),
    },
  };
  if (filter.cursor) {
    const exists = await prisma.annotation.count({ where: { id: filter.cursor } });
    if (!exists) throw new DomainError("BAD_REQUEST", "This page no longer exists: start again");
  }
  type TRow = Prisma.AnnotationGetPayload<{ include: typeof LIST_INCLUDE }>;
  const page: TRow[] = [];
  let after = filter.cursor;
  for (;;) {
    const batch: TRow[] = await prisma.annotation.findMany({
      where,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: filter.status ? SCAN_BATCH : filter.limit + 1,
      ...(after ? { cursor: { id: after }, skip: 1 } : {}),
      include: LIST_INCLUDE,
    });
    const wanted = filter.status
      ? batch.filter((a) => (a.reviews[0]?.decision ?? "pending") === filter.status)
      : batch;
    page.push(...wanted);
    if (page.length > filter.limit || batch.length < (filter.status ? SCAN_BATCH : 1)) break;
    if (!filter.status) break;
    after = batch.at(-1)!.id;
  }
  const more = page.length > filter.limit;
  const items = page.slice(0, filter.limit).map(toReviewItem);
  return { items, nextCursor: more ? items.at(-1)!.id : null };
}

function toReviewItem(a: Prisma.AnnotationGetPayload<{ include: typeof LIST_INCLUDE }>) {
  const review = a.reviews[0] ?? null;
  const c = a.comparison;
  const chosenSide = sideOfVariant(a.choice, c.swapped);
  const left = c.swapped ? c.responseB : c.responseA;
  const right = c.swapped ? c.responseA : c.responseB;
  return {
    id: a.id,
    createdAt: a.createdAt,
    annotator: a.annotator.email,
    annotatorId: a.annotatorId,
    round: c.round.number,
    axis: c.axis,
    turnIndex: c.turnIndex,
    /** The whole dialogue before the two responses: earlier turns, then the last user turn. */
    context: ZMessages.parse(c.context),
    /** Both responses as the annotator saw them, and which one they chose. */
    left,
    right,
    chosen: a.choice === "A" ? c.responseA : c.responseB,
    rejected: a.choice === "A" ? c.responseB : c.responseA,
    chosenSide,
    degree: a.degree,
    safetyLabel: a.safetyLabel,
    chosenUnsafeOtherSafe: a.chosenUnsafeOtherSafe,
    flags: a.flags,
    note: a.note,
    timeSpentMs: a.timeSpentMs,
    gold: c.goldItem
      ? {
          expectedChoice: c.goldItem.expectedChoice,
          correct: c.goldItem.expectedChoice === a.choice,
        }
      : null,
    status: review ? review.decision : ("pending" as const),
    review: review && {
      decision: review.decision,
      reason: review.reason,
      reviewer: review.reviewer.email,
    },
  };
}
export type TReviewItem = ReturnType<typeof toReviewItem>;

/** Approves several annotations in one transaction: all of them, or (one unknown) none. */
export async function approveAnnotations(reviewerId: string, annotationIds: string[]) {
  const ids = [...new Set(annotationIds)];
  return prisma.$transaction(async (tx) => {
    const found = await tx.annotation.count({ where: { id: { in: ids } } });
    if (found !== ids.length)
      throw new DomainError(
        "NOT_FOUND",
        `${ids.length - found} of the selected annotations no longer exist: reload the list`,
      );
    await tx.review.createMany({
      data: ids.map((annotationId) => ({ annotationId, reviewerId, decision: "approved" })),
    });
    return { approved: ids.length };
  });
}

export async function decideAnnotation(
  reviewerId: string,
  input: { annotationId: string; decision: "approved" | "rejected"; reason?: string | undefined },
) {
  const annotation = await prisma.annotation.findUnique({ where: { id: input.annotationId } });
  if (!annotation) throw new DomainError("NOT_FOUND", "No such annotation");
  const review = await prisma.review.create({
    data: {
      annotationId: annotation.id,
      reviewerId,
      decision: input.decision,
      reason: input.reason ?? null,
    },
  });
  return { id: review.id, annotationId: annotation.id, decision: review.decision };
}
