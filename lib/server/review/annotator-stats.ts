import "server-only";
// Per-annotator quality: count, median time, accuracy on gold, agreement with peers on overlap
// items, and left/right position bias (share of choices on the left; 0.5 is unbiased).
import { prisma } from "@/lib/db";

export type TAnnotatorStats = {
  annotatorId: string;
  email: string;
  count: number;
  rejected: number;
  medianTimeMs: number | null;
  goldItems: number;
  goldAccuracy: number | null;
  overlapPairs: number;
  agreement: number | null;
  leftShare: number | null;
};

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function annotatorStats(filter: {
  roundId?: string | undefined;
}): Promise<TAnnotatorStats[]> {
  const annotations = await prisma.annotation.findMany({
    where: filter.roundId ? { comparison: { roundId: filter.roundId } } : {},
    select: {
      annotatorId: true,
      comparisonId: true,
      choice: true,
      timeSpentMs: true,
      annotator: { select: { email: true } },
      comparison: { select: { swapped: true, goldItem: { select: { expectedChoice: true } } } },
      reviews: { orderBy: { createdAt: "desc" }, take: 1, select: { decision: true } },
    },
  });
  const byComparison = new Map<string, { annotatorId: string; choice: string }[]>();
  for (const a of annotations) {
    const list = byComparison.get(a.comparisonId) ?? [];
    list.push({ annotatorId: a.annotatorId, choice: a.choice });
    byComparison.set(a.comparisonId, list);
  }
  type TAcc = {
    email: string;
    count: number;
    rejected: number;
    times: number[];
    goldItems: number;
    goldRight: number;
    overlapPairs: number;
    agree: number;
    left: number;
  };
  const acc = new Map<string, TAcc>();
  for (const a of annotations) {
    let row = acc.get(a.annotatorId);
    if (!row) {
      row = {
        email: a.annotator.email,
        count: 0,
        rejected: 0,
        times: [],
        goldItems: 0,
        goldRight: 0,
        overlapPairs: 0,
        agree: 0,
        left: 0,
      };
      acc.set(a.annotatorId, row);
    }
    row.count += 1;
    row.times.push(a.timeSpentMs);
    if (a.reviews[0]?.decision === "rejected") row.rejected += 1;
    if ((a.choice === "A") !== a.comparison.swapped) row.left += 1;
    const gold = a.comparison.goldItem;
    if (gold) {
      row.goldItems += 1;
      if (gold.expectedChoice === a.choice) row.goldRight += 1;
      continue; // gold measures accuracy, not agreement
    }
    for (const peer of byComparison.get(a.comparisonId) ?? []) {
      if (peer.annotatorId === a.annotatorId) continue;
      row.overlapPairs += 1;
      if (peer.choice === a.choice) row.agree += 1;
    }
  }
  return [...acc.entries()]
    .map(([annotatorId, r]) => ({
      annotatorId,
      email: r.email,
      count: r.count,
      rejected: r.rejected,
      medianTimeMs: median(r.times),
      goldItems: r.goldItems,
      goldAccuracy: r.goldItems ? r.goldRight / r.goldItems : null,
      overlapPairs: r.overlapPairs,
      agreement: r.overlapPairs ? r.agree / r.overlapPairs : null,
      leftShare: r.count ? r.left / r.count : null,
    }))
    .sort((a, b) => b.count - a.count);
}
