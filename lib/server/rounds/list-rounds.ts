import "server-only";
import { prisma } from "@/lib/db";

/** Rounds, newest first, with how many comparisons and annotations each holds. */
export async function listRounds() {
  const [rounds, counts] = await Promise.all([
    prisma.round.findMany({
      orderBy: { number: "desc" },
      select: {
        id: true,
        number: true,
        name: true,
        status: true,
        config: true,
        publishedAt: true,
        createdAt: true,
        _count: { select: { comparisons: true } },
      },
    }),
    prisma.$queryRaw<{ roundId: string; n: bigint }[]>`
      SELECT c."roundId", count(*) AS n FROM annotation a JOIN comparison c ON c.id = a."comparisonId"
      GROUP BY c."roundId"`,
  ]);
  const perRound = new Map(counts.map((c) => [c.roundId, Number(c.n)]));
  return rounds.map(({ _count, ...r }) => ({
    ...r,
    comparisons: _count.comparisons,
    annotations: perRound.get(r.id) ?? 0,
  }));
}
