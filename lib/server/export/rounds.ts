import "server-only";
// GET /api/v1/rounds: per round, what was collected and what sampling set aside — labels per
// axis, comparisons by state, side-B resamples, dropped and identical pairs. One statement.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { TRoundOut } from "@/lib/shared/export";

export async function listRoundsMetadata(db: PrismaClient): Promise<TRoundOut[]> {
  const rows = await db.$queryRaw<
    {
      number: number;
      name: string;
      status: string;
      byStatus: Record<string, number> | null;
      resamples: bigint;
      identical: bigint;
      helpfulness: bigint;
      safety: bigint;
    }[]
  >`
    SELECT r.number, r.name, r.status::text AS status,
      (SELECT json_object_agg(s.status, s.n) FROM (
         SELECT c.status::text AS status, count(*)::int AS n FROM comparison c
         WHERE c."roundId" = r.id GROUP BY 1) s) AS "byStatus",
      (SELECT coalesce(sum(c.resamples), 0) FROM comparison c WHERE c."roundId" = r.id) AS resamples,
      (SELECT count(*) FROM comparison c WHERE c."roundId" = r.id AND c.identical) AS identical,
      (SELECT count(*) FROM annotation a JOIN comparison c ON c.id = a."comparisonId"
        WHERE c."roundId" = r.id AND c.axis = 'helpfulness') AS helpfulness,
      (SELECT count(*) FROM annotation a JOIN comparison c ON c.id = a."comparisonId"
        WHERE c."roundId" = r.id AND c.axis = 'safety') AS safety
    FROM round r ORDER BY r.number`;
  return rows.map((r) => ({
    number: r.number,
    name: r.name,
    status: r.status,
    annotations: { helpfulness: Number(r.helpfulness), safety: Number(r.safety) },
    comparisons: r.byStatus ?? {},
    resamples: Number(r.resamples),
    dropped: r.byStatus?.dropped ?? 0,
    identicalStored: Number(r.identical),
  }));
}
