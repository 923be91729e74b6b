import "server-only";
// The reviewer's view: recent annotations with their latest review, and decisions. Rejected
// annotations are excluded from training data (the latest review counts).
import { prisma } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/server/errors";
import type { TListAnnotations } from "@/lib/shared/review";
import { ZMessages } from "@/lib/shared/protocol";
import { sideOfVariant } from "@/lib/server/annotation/view";

export async function listAnnotations(filter: TListAnnotations) {
  const where: Prisma.AnnotationWhereInput = {
    ...(filter.annotatorId ? { annotatorId: filter.annotatorId } : {}),
    ...(filter.flag ? { flags: { has: filter.flag } } : {}),
    comparison: {
      ...(filter.roundId ? { roundId: filter.roundId } : {}),
      ...(filter.axis ? { axis: filter.axis } : {}),
    },
  };
  const rows = await prisma.annotation.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: filter.status ? 500 : filter.limit,
    include: {
      annotator: { select: { email: true } },
      comparison: { include: { round: { select: { number: true } }, goldItem: true } },
      reviews: {
        orderBy: { createdAt: "desc" },
        take: 1,
        include: { reviewer: { select: { email: true } } },
      },
    },
  });
  const out = rows.map((a) => {
    const review = a.reviews[0] ?? null;
    const c = a.comparison;
    return {
      id: a.id,
      createdAt: a.createdAt,
      annotator: a.annotator.email,
      annotatorId: a.annotatorId,
      round: c.round.number,
      axis: c.axis,
      context: ZMessages.parse(c.context),
      chosen: a.choice === "A" ? c.responseA : c.responseB,
      rejected: a.choice === "A" ? c.responseB : c.responseA,
      chosenSide: sideOfVariant(a.choice, c.swapped),
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
  });
  return filter.status ? out.filter((a) => a.status === filter.status).slice(0, filter.limit) : out;
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
