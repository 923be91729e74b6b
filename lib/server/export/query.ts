import "server-only";
// One batch of export rows: annotations in (createdAt, id) order after a cursor, joined with their
// comparison, round, model names, latest review and, for comparisons labelled more than once, every
// label. One SQL statement per batch, keyset-paginated over the annotation(createdAt, id) index, so
// memory stays flat however many rows there are and a page never depends on an OFFSET.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { Prisma } from "@/lib/generated/prisma/client";
import type { TReviewStatus } from "@/lib/shared/export";

export type TExportFilter = {
  round?: number | undefined;
  axis?: "helpfulness" | "safety" | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  reviewStatus?: TReviewStatus[] | undefined;
  minAgreement?: number | undefined;
  modelVersion?: string | undefined;
};

export type TExportCursor = { createdAt: Date; id: string };

/** A raw vote as json_agg writes it (timestamps without a zone, in UTC). */
export type TDbVote = {
  annotatorId: string;
  choice: "A" | "B";
  degree: string;
  safetyLabel: string | null;
  chosenUnsafeOtherSafe: boolean;
  createdAt: string;
};

export type TExportDbRow = {
  id: string;
  createdAt: Date;
  annotatorId: string;
  choice: "A" | "B";
  degree: string;
  safetyLabel: string | null;
  chosenUnsafeOtherSafe: boolean;
  flags: string[];
  note: string | null;
  timeSpentMs: number;
  source: "own" | "overlap" | "gold";
  comparisonId: string;
  promptId: string;
  dialogueId: string | null;
  turnIndex: number;
  axis: "helpfulness" | "safety";
  context: unknown;
  responseA: string;
  responseB: string;
  modelAId: string | null;
  modelBId: string | null;
  modelAName: string | null;
  modelBName: string | null;
  samplingA: unknown;
  samplingB: unknown;
  swapped: boolean;
  round: number;
  reviewDecision: "approved" | "rejected" | null;
  voteCount: number;
  agreeCount: number;
  votes: TDbVote[] | null;
};

export const EXPORT_BATCH_SIZE = 2000;

function whereClause(filter: TExportFilter, after: TExportCursor | null, until: Date): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`a."createdAt" < ${until.toISOString()}::timestamp(3)`];
  if (after)
    parts.push(
      Prisma.sql`(a."createdAt", a.id) > (${after.createdAt.toISOString()}::timestamp(3), ${after.id})`,
    );
  if (filter.round !== undefined) parts.push(Prisma.sql`r.number = ${filter.round}`);
  if (filter.axis) parts.push(Prisma.sql`c.axis::text = ${filter.axis}`);
  if (filter.from)
    parts.push(Prisma.sql`a."createdAt" >= ${filter.from.toISOString()}::timestamp(3)`);
  if (filter.to) parts.push(Prisma.sql`a."createdAt" < ${filter.to.toISOString()}::timestamp(3)`);
  if (filter.reviewStatus?.length) {
    const decided = filter.reviewStatus.filter((s) => s !== "unreviewed");
    const alts: Prisma.Sql[] = [];
    if (decided.length) alts.push(Prisma.sql`rv.decision::text IN (${Prisma.join(decided)})`);
    if (filter.reviewStatus.includes("unreviewed")) alts.push(Prisma.sql`rv.decision IS NULL`);
    parts.push(Prisma.sql`(${Prisma.join(alts, " OR ")})`);
  }
  if (filter.minAgreement !== undefined && filter.minAgreement > 0)
    parts.push(Prisma.sql`v.agree >= ${filter.minAgreement}::float8 * v.n`);
  if (filter.modelVersion)
    parts.push(
      Prisma.sql`(c."modelAId" = ${filter.modelVersion} OR c."modelBId" = ${filter.modelVersion}
        OR ma.name = ${filter.modelVersion} OR mb.name = ${filter.modelVersion})`,
    );
  return Prisma.join(parts, " AND ");
}

/**
 * The next `limit` rows after `after`, submitted before `until`. `until` keeps recent labels
 * out until they are final (see SETTLE_MS in stream.ts).
 */
export async function fetchExportBatch(
  db: PrismaClient,
  filter: TExportFilter,
  after: TExportCursor | null,
  until: Date,
  limit: number,
): Promise<TExportDbRow[]> {
  // Votes go through assignment(comparisonId, annotatorId), the index that exists, rather than
  // annotation.comparisonId, which has none.
  return db.$queryRaw<TExportDbRow[]>`
    SELECT a.id, a."createdAt", a."annotatorId", a.choice::text AS choice, a.degree::text AS degree,
      a."safetyLabel"::text AS "safetyLabel", a."chosenUnsafeOtherSafe", a.flags, a.note,
      a."timeSpentMs", s.source::text AS source,
      c.id AS "comparisonId", c."promptId", c."dialogueId", c."turnIndex", c.axis::text AS axis,
      c.context, c."responseA", c."responseB", c."modelAId", c."modelBId",
      ma.name AS "modelAName", mb.name AS "modelBName", c."samplingA", c."samplingB", c.swapped,
      r.number AS round, rv.decision::text AS "reviewDecision",
      v.n AS "voteCount", v.agree AS "agreeCount", v.votes
    FROM annotation a
    JOIN assignment s ON s.id = a."assignmentId"
    JOIN comparison c ON c.id = a."comparisonId"
    JOIN round r ON r.id = c."roundId"
    LEFT JOIN model_version ma ON ma.id = c."modelAId"
    LEFT JOIN model_version mb ON mb.id = c."modelBId"
    LEFT JOIN LATERAL (
      SELECT x.decision FROM review x WHERE x."annotationId" = a.id
      ORDER BY x."createdAt" DESC, x.id DESC LIMIT 1
    ) rv ON true
    LEFT JOIN LATERAL (
      SELECT count(*)::int AS n,
        (count(*) FILTER (WHERE o.choice = a.choice))::int AS agree,
        CASE WHEN count(*) > 1 THEN json_agg(json_build_object(
          'annotatorId', o."annotatorId", 'choice', o.choice, 'degree', o.degree,
          'safetyLabel', o."safetyLabel", 'chosenUnsafeOtherSafe', o."chosenUnsafeOtherSafe",
          'createdAt', o."createdAt") ORDER BY o."createdAt", o.id) END AS votes
      FROM assignment os JOIN annotation o ON o."assignmentId" = os.id
      WHERE os."comparisonId" = a."comparisonId"
    ) v ON true
    WHERE ${whereClause(filter, after, until)}
    ORDER BY a."createdAt", a.id
    LIMIT ${limit}`;
}

// ───────────────────────────── cursors ─────────────────────────────

/** Opaque to clients: base64url of "<createdAt ms>.<annotation id>". */
export function encodeCursor(c: TExportCursor): string {
  return Buffer.from(`${c.createdAt.getTime()}.${c.id}`).toString("base64url");
}

export function decodeCursor(s: string): TExportCursor | null {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(s, "base64url").toString());
  if (!m) return null;
  return { createdAt: new Date(Number(m[1])), id: m[2]! };
}
