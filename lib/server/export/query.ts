import "server-only";
// One batch of export rows: annotations in (createdAt, id) order after a cursor, joined with their
// comparison, round, model names, latest review and, for comparisons labelled more than once, every
// label. One SQL statement per batch, keyset-paginated over the annotation(createdAt, id) index, so
// memory stays flat however many rows there are and a page never depends on an OFFSET.
import { createHash } from "node:crypto";
import pg from "pg";
import { inTimestampRange, type TReviewStatus } from "@/lib/shared/export";

export type TExportFilter = {
  round?: number | undefined;
  axis?: "helpfulness" | "safety" | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  reviewStatus?: TReviewStatus[] | undefined;
  minAgreement?: number | undefined;
  modelVersion?: string | undefined;
  /** Leave out pairs whose two responses are the same (comparison.identical). */
  excludeIdentical?: boolean | undefined;
};

export type TExportCursor = { createdAt: Date; id: string };

/**
 * How a whole export on PostgreSQL is read. By default the NDJSON lines come by COPY (lines.ts)
 * and the rows (Parquet, and lines written here) through a server-side cursor. "fetch" (the lines
 * through a cursor) and "keyset" (rows in keyset batches) are the ways before, kept for the
 * benchmark's comparison (scripts/bench/export.ts).
 */
export type TExportRead = "default" | "fetch" | "keyset";

/**
 * Keyset batches in export order from `fetch(after, want)`, up to `limit` rows. The next batch is
 * requested before the current one is handed out, so the database builds it while this process
 * formats and sends the current one (two processes, two cores); at most two are in memory.
 */
export async function* prefetchedBatches<R extends TExportCursor>(
  fetch: (after: TExportCursor | null, want: number) => Promise<R[]>,
  after: TExportCursor | null,
  batchSize: number,
  limit = Infinity,
): AsyncGenerator<R[]> {
  let left = limit;
  const request = (from: TExportCursor | null, want: number) =>
    fetch(from, want).then((rows) => ({ rows, want }));
  let pending: ReturnType<typeof request> | null = request(after, Math.min(batchSize, left));
  while (pending) {
    const { rows, want } = await pending;
    pending = null;
    left -= rows.length;
    if (rows.length === want && left > 0) {
      const last = rows[rows.length - 1]!;
      pending = request({ createdAt: last.createdAt, id: last.id }, Math.min(batchSize, left));
      // A consumer that stops early leaves this fetch unawaited; its failure must not crash.
      pending.catch(() => {});
    }
    if (rows.length > 0) yield rows;
  }
}

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
  identical: boolean;
  round: number;
  reviewDecision: "approved" | "rejected" | null;
  voteCount: number;
  agreeCount: number;
  votes: TDbVote[] | null;
};

export const EXPORT_BATCH_SIZE = 5000;

/** Puts a value into SQL: `$n` of a parameter list, or a literal (sqlLiteral). */
export type TSqlValue = (value: unknown) => string;

/** `p` pushing onto `params` and returning its `$n`. */
export function parameters(params: unknown[]): TSqlValue {
  return (value) => `$${params.push(value)}`;
}

/**
 * `value` as an SQL literal, for the one statement that cannot take parameters (COPY, lines.ts):
 * strings quoted by pg's escapeLiteral, finite numbers, arrays of strings as text[].
 */
export function sqlLiteral(value: unknown): string {
  if (typeof value === "string") return pg.escapeLiteral(value);
  if (typeof value === "number" && Number.isFinite(value)) return `(${value})`;
  if (Array.isArray(value) && value.every((v) => typeof v === "string"))
    return value.length ? `ARRAY[${value.map((v) => pg.escapeLiteral(v)).join(",")}]` : `'{}'`;
  throw new Error(`sqlLiteral: cannot write ${typeof value} as a literal`);
}

/** The WHERE condition of an export; `p` puts each value in (a parameter or a literal). */
export function whereClause(
  filter: TExportFilter,
  after: TExportCursor | null,
  until: Date,
  p: TSqlValue,
): string {
  const parts = [`a."createdAt" < ${p(until.toISOString())}::timestamp(3)`];
  if (after)
    parts.push(
      `(a."createdAt", a.id) > (${p(after.createdAt.toISOString())}::timestamp(3), ${p(after.id)})`,
    );
  if (filter.round !== undefined) parts.push(`r.number = ${p(filter.round)}::int`);
  if (filter.axis) parts.push(`c.axis::text = ${p(filter.axis)}`);
  if (filter.from) parts.push(`a."createdAt" >= ${p(filter.from.toISOString())}::timestamp(3)`);
  if (filter.to) parts.push(`a."createdAt" < ${p(filter.to.toISOString())}::timestamp(3)`);
  if (filter.reviewStatus?.length) {
    const decided = filter.reviewStatus.filter((x) => x !== "unreviewed");
    const alts: string[] = [];
    if (decided.length) alts.push(`rv.decision::text = ANY(${p(decided)}::text[])`);
    if (filter.reviewStatus.includes("unreviewed")) alts.push(`rv.decision IS NULL`);
    parts.push(`(${alts.join(" OR ")})`);
  }
  if (filter.minAgreement !== undefined && filter.minAgreement > 0)
    parts.push(`v.agree >= ${p(filter.minAgreement)}::float8 * v.n`);
  if (filter.excludeIdentical) parts.push(`NOT c.identical`);
  if (filter.modelVersion) {
    const m = p(filter.modelVersion);
    parts.push(`(c."modelAId" = ${m} OR c."modelBId" = ${m} OR ma.name = ${m} OR mb.name = ${m})`);
  }
  return parts.join(" AND ");
}

/**
 * FROM … of exported labels, aliases a (annotation), s (assignment), c (comparison), r (round),
 * ma / mb (the models), rv (the latest review: the newest createdAt, as on the review page, so the
 * (annotationId, createdAt) index answers it without a sort) and v (the comparison's labels: n,
 * agree — those choosing as a does — and the `moreVoteColumns`). Votes go through assignment(comparisonId, annotatorId), the index that
 * exists, rather than annotation.comparisonId, which has none, and only for comparisons that can
 * have several labels (overlap: annotationsWanted > 1; gold items); for the rest n = 0 stands for
 * "only this label". `joins` come after the round. Shared by the rows here and the lines
 * PostgreSQL builds (lines.ts), so both read one definition of a review and of the votes.
 */
export function exportFromSql(moreVoteColumns = "", joins = ""): string {
  return `FROM annotation a
    JOIN assignment s ON s.id = a."assignmentId"
    JOIN comparison c ON c.id = a."comparisonId"
    JOIN round r ON r.id = c."roundId"${joins}
    LEFT JOIN model_version ma ON ma.id = c."modelAId"
    LEFT JOIN model_version mb ON mb.id = c."modelBId"
    LEFT JOIN LATERAL (
      SELECT x.decision FROM review x WHERE x."annotationId" = a.id
      ORDER BY x."createdAt" DESC LIMIT 1
    ) rv ON true
    LEFT JOIN LATERAL (
      SELECT count(*)::int AS n, (count(*) FILTER (WHERE o.choice = a.choice))::int AS agree${
        moreVoteColumns
          ? `,
        ${moreVoteColumns}`
          : ""
      }
      FROM assignment os JOIN annotation o ON o."assignmentId" = os.id
      WHERE os."comparisonId" = a."comparisonId"
        AND (c."annotationsWanted" > 1 OR s.source <> 'own'
          OR EXISTS (SELECT 1 FROM gold_item g WHERE g."comparisonId" = c.id))
    ) v ON true`;
}

/**
 * The next `limit` rows after `after`, submitted before `until`. `until` keeps recent labels
 * out until they are final (see SETTLE_MS in stream.ts).
 */
export async function fetchExportBatch(
  db: TExportDb,
  filter: TExportFilter,
  after: TExportCursor | null,
  until: Date,
  limit: number,
): Promise<TExportDbRow[]> {
  const q = rowsSql(filter, after, until);
  const params = q.values;
  params.push(limit);
  const text = `${q.text}
    LIMIT $${params.length}`;
  // A named statement is planned once per connection and filter combination, not per batch
  // (planning these joins costs ~10 ms, a thousand times in a million-row export).
  const name = "export_" + createHash("sha1").update(text).digest("hex").slice(0, 16);
  if (!sharedSessionNames.has(name)) {
    try {
      return (await db.query<TExportDbRow>({ name, text, values: params })).rows;
    } catch (error) {
      // 42P05 "prepared statement already exists": the embedded PGlite server runs every
      // connection in one backend session, so a statement another (or an earlier, closed)
      // connection prepared is there already. Such statements run unnamed from then on.
      if ((error as { code?: string }).code !== "42P05") throw error;
      sharedSessionNames.add(name);
    }
  }
  return (await db.query<TExportDbRow>({ text, values: params })).rows;
}

/** The export's rows after `after`, submitted before `until`, in export order (no limit). */
export function rowsSql(
  filter: TExportFilter,
  after: TExportCursor | null,
  until: Date,
): { text: string; values: unknown[] } {
  const params: unknown[] = [];
  const where = whereClause(filter, after, until, parameters(params));
  const text = `SELECT a.id, a."createdAt", a."annotatorId", a.choice::text AS choice, a.degree::text AS degree,
      a."safetyLabel"::text AS "safetyLabel", a."chosenUnsafeOtherSafe", a.flags, a.note,
      a."timeSpentMs", s.source::text AS source,
      c.id AS "comparisonId", c."promptId", c."dialogueId", c."turnIndex", c.axis::text AS axis,
      c.context, c."responseA", c."responseB", c."modelAId", c."modelBId",
      ma.name AS "modelAName", mb.name AS "modelBName", c."samplingA", c."samplingB", c.swapped,
      c.identical,
      r.number AS round, rv.decision::text AS "reviewDecision",
      v.n AS "voteCount", v.agree AS "agreeCount", v.votes
    ${exportFromSql(`CASE WHEN count(*) > 1 THEN json_agg(json_build_object(
          'annotatorId', o."annotatorId", 'choice', o.choice, 'degree', o.degree,
          'safetyLabel', o."safetyLabel", 'chosenUnsafeOtherSafe', o."chosenUnsafeOtherSafe",
          'createdAt', o."createdAt") ORDER BY o."createdAt", o.id) END AS votes`)}
    WHERE ${where}
    ORDER BY a."createdAt", a.id`;
  return { text, values: params };
}

/** Statement names found prepared by another connection of a shared session (PGlite). */
const sharedSessionNames = new Set<string>();

// ───────────────────────────── the connection ─────────────────────────────

/** What the export reads through: a pg Pool or Client (PostgreSQL, or PGlite over the wire). */
export type TExportDb = Pick<pg.Pool, "query">;

export type TExportPool = TExportDb & Partial<Pick<pg.Pool, "connect">>;

/** True when `db` is the embedded PGlite server (one backend shared by every connection). */
async function isEmbedded(db: TExportDb): Promise<boolean> {
  const { rows } = await db.query<{ v: string }>(`SELECT version() AS v`);
  return /wasm32|emscripten/i.test(rows[0]?.v ?? "");
}

/**
 * `db`'s connect when it is a pool on a PostgreSQL server. Not on the embedded PGlite: its single
 * backend serves every connection, so a transaction held open for a whole export (a cursor, a
 * COPY) would hold up everyone else; there exports read in keyset batches.
 */
export async function postgresPool(
  db: TExportPool,
): Promise<(() => Promise<pg.PoolClient>) | null> {
  const pool = typeof (db as Partial<pg.Pool>).totalCount === "number" ? db.connect : undefined;
  return pool && !(await isEmbedded(db)) ? pool.bind(db) : null;
}

/**
 * The rows of `q` through a server-side cursor, `fetchRows` at a time: one statement for a whole
 * export, planned and joined once (no re-planning or re-seeking per batch). The next FETCH is sent
 * before a batch is handed out, so the database reads it while this process works on the batch.
 */
export async function* cursorBatches<R>(
  connect: () => Promise<pg.PoolClient>,
  q: { text: string; values: unknown[] },
  fetchRows: number,
): AsyncGenerator<R[]> {
  const client = await connect();
  let broken = false;
  try {
    // REPEATABLE READ: the cursor reads one snapshot, so the export is the rows committed when it
    // started (and `until` keeps the last seconds out, as for a paged export).
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await client.query({
      text: `DECLARE export_rows NO SCROLL CURSOR FOR ${q.text}`,
      values: q.values,
    });
    const fetch = () => client.query<R & pg.QueryResultRow>(`FETCH ${fetchRows} FROM export_rows`);
    let pending = fetch();
    for (;;) {
      const { rows } = await pending;
      if (rows.length < fetchRows) {
        if (rows.length > 0) yield rows;
        break;
      }
      pending = fetch();
      pending.catch(() => {});
      yield rows;
    }
    await client.query("COMMIT");
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    // A consumer that stopped early (the client went away) leaves the transaction open: end it.
    if (!broken) await client.query("ROLLBACK").catch(() => {});
    client.release(broken);
  }
}

/** Prisma stores DateTime as UTC in `timestamp(3)`; pg would read it as local time. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === 1114
      ? (s: string) => new Date(`${s.replace(" ", "T")}Z`)
      : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/**
 * A pool of its own for exports, on the pg driver directly: a million rows through Prisma's raw
 * query result mapping cost about twice the time of the query itself (measured, see
 * docs/benchmarks.md), and an export needs nothing else from Prisma.
 */
export function createExportDb(url: string, max = 4, { jit = false } = {}): pg.Pool {
  // JIT compilation of an export's expressions cost ~300 ms per statement here, more than the
  // statement itself (~75 ms for 5,000 rows): off for this pool's sessions. (PGlite has no JIT.)
  return new pg.Pool({
    connectionString: url,
    max,
    types,
    ...(jit ? {} : { options: "-c jit=off" }),
  });
}

// ───────────────────────────── cursors ─────────────────────────────

/** Opaque to clients: base64url of "<createdAt ms>.<annotation id>". */
export function encodeCursor(c: TExportCursor): string {
  return Buffer.from(`${c.createdAt.getTime()}.${c.id}`).toString("base64url");
}

export function decodeCursor(s: string): TExportCursor | null {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(s, "base64url").toString());
  // 15 digits parse, but past year 9999 PostgreSQL cannot compare with them: not a cursor of ours.
  if (!m || !inTimestampRange(Number(m[1]))) return null;
  return { createdAt: new Date(Number(m[1])), id: m[2]! };
}

const globalForExport = globalThis as unknown as { pairwiseExportDb?: pg.Pool };

/** The process-wide export pool on `url` (DATABASE_URL), created on first use. */
export function exportDb(url: string): pg.Pool {
  globalForExport.pairwiseExportDb ??= createExportDb(url);
  return globalForExport.pairwiseExportDb;
}

export async function closeExportDb(): Promise<void> {
  const pool = globalForExport.pairwiseExportDb;
  globalForExport.pairwiseExportDb = undefined;
  await pool?.end();
}
