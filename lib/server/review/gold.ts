import "server-only";
// Gold items: comparisons with a known answer, mixed into queues (assign.ts) to measure accuracy.
// A reviewer makes one from an annotation they trust; its answer is that annotation's labels.
import { prisma } from "@/lib/db";
import { DomainError } from "@/lib/server/errors";

export async function makeGoldFromAnnotation(
  reviewerId: string,
  annotationId: string,
  explanation?: string,
) {
  const a = await prisma.annotation.findUnique({
    where: { id: annotationId },
    include: { comparison: { include: { goldItem: true } } },
  });
  if (!a) throw new DomainError("NOT_FOUND", "No such annotation");
  if (a.comparison.goldItem)
    throw new DomainError("CONFLICT", "This comparison is already a gold item");
  const gold = await prisma.goldItem.create({
    data: {
      comparisonId: a.comparisonId,
      expectedChoice: a.choice,
      expectedDegree: a.degree,
      expectedSafetyLabel: a.safetyLabel,
      explanation: explanation ?? null,
      createdById: reviewerId,
    },
  });
  return { id: gold.id, comparisonId: gold.comparisonId };
}

export async function removeGold(goldItemId: string) {
  const gold = await prisma.goldItem.findUnique({ where: { id: goldItemId } });
  if (!gold) throw new DomainError("NOT_FOUND", "No such gold item");
  await prisma.goldItem.delete({ where: { id: goldItemId } });
  return { id: goldItemId };
}

export async function listGold() {
  return prisma.goldItem.findMany({
    orderBy: { createdAt: "desc" },
    take: 200,
    include: { comparison: { select: { axis: true, roundId: true } } },
  });
}
