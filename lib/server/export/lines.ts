import "server-only";
// NDJSON lines built by the database: the same rows as query.ts, but each one comes back as the
// finished line of its format (native, TRL, HH-RLHF) — cursor, timestamps, margin, agreement,
// pseudonyms and votes included — so this process only concatenates text. Byte for byte the
// output of formats.ts (lines.db.test.ts compares the two on the same data). One exception: the
// native line's context (jsonb) comes back as jsonb prints it and is compacted here with
// JSON.parse / JSON.stringify, which is what formats.ts does too; doing it in SQL (a regular
// expression) cost ~55 µs a row, more than the rest of the line.
//
// On PostgreSQL a whole export is one query read through a server-side cursor (no re-planning or
// re-joining per batch; memory stays at one batch); on the embedded PGlite, whose single backend
// every connection shares, an open transaction would hold up everyone else, so it reads in
// keyset batches as before.
import type pg from "pg";
import { DEGREES } from "@/lib/shared/protocol";
import { EXPORT_MARGIN_TABLES } from "@/lib/shared/export";
import type { TFormatOptions } from "./formats";
import {
  exportFromSql,
  prefetchedBatches,
  whereClause,
  type TExportCursor,
  type TExportDb,
  type TExportFilter,
} from "./query";

export type TLineFormat = "native" | "trl" | "hh-rlhf";

/** `expr` as JSON text: to_json escapes strings as JSON.stringify does; SQL NULL is null. */
const j = (expr: string) => `coalesce(to_json(${expr})::text, 'null')`;

/** ISO 8601 in UTC with milliseconds, as Date.toISOString() (timestamp(3) columns hold UTC). */
const iso = (expr: string) => `to_char(${expr}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** formats.ts sampling(): the known keys of a variant's settings, in order, when of the right type. */
function sampling(col: string): string {
  const key = (name: string, type: "string" | "number") =>
    `CASE WHEN jsonb_typeof(${col}->'${name}') = '${type}' THEN '"${name}":' || (${col}->'${name}')::text END`;
  return `'{' || concat_ws(',', ${key("model", "string")}, ${key("temperature", "number")}, ${key("topP", "number")}, ${key("maxTokens", "number")}, ${key("seed", "number")}) || '}'`;
}

/** formats.ts messages(): the context when it is an array, else [] (compacted by the caller). */
const context = `CASE WHEN jsonb_typeof(c.context) = 'array' THEN c.context::text ELSE '[]' END`;

/** The TRL prompt: each message as {role, content}. */
const trlPrompt = `CASE WHEN jsonb_typeof(c.context) = 'array' THEN '[' || coalesce((
    SELECT string_agg('{"role":' || (m->'role')::text || ',"content":' || (m->'content')::text || '}', ',' ORDER BY i)
    FROM jsonb_array_elements(c.context) WITH ORDINALITY AS x(m, i)), '') || ']' ELSE '[]' END`;

/** The HH-RLHF history: "\n\nHuman: …" / "\n\nAssistant: …" per message. */
const hhHistory = `CASE WHEN jsonb_typeof(c.context) = 'array' THEN coalesce((
    SELECT string_agg(E'\\n\\n' || CASE WHEN m->>'role' = 'user' THEN 'Human' ELSE 'Assistant' END || ': ' || (m->>'content'), '' ORDER BY i)
    FROM jsonb_array_elements(c.context) WITH ORDINALITY AS x(m, i)), '') ELSE '' END`;

/** The line of `format` for one row of the FROM clause below. `p` adds a parameter. */
function lineSql(format: TLineFormat, p: (v: unknown) => string, o: TFormatOptions): string {
  const margins = EXPORT_MARGIN_TABLES[o.margin];
  // The margin as JSON.stringify writes the number, passed as text.
  const margin = () =>
    `CASE a.degree::text ${DEGREES.map((d, i) => `WHEN ${p(d)} THEN ${p(JSON.stringify(margins[i]))}`).join(" ")} ELSE '0' END`;
  const chosen = `CASE WHEN a.choice = 'A' THEN c."responseA" ELSE c."responseB" END`;
  const rejected = `CASE WHEN a.choice = 'A' THEN c."responseB" ELSE c."responseA" END`;
  if (format === "trl")
    return `'{"prompt":' || ${trlPrompt} || ',"chosen":[{"role":"assistant","content":' || to_json(${chosen})::text
      || '}],"rejected":[{"role":"assistant","content":' || to_json(${rejected})::text || '}],"margin":' || ${margin()} || '}'`;
  if (format === "hh-rlhf")
    return `(SELECT '{"chosen":' || to_json(h || E'\\n\\nAssistant: ' || ${chosen})::text || ',"rejected":'
      || to_json(h || E'\\n\\nAssistant: ' || ${rejected})::text || '}' FROM (SELECT ${hhHistory} AS h) hh)`;
  // Pseudonyms come JSON-quoted from the pseudonym table joined as `pa` (and `po` for votes); a
  // missing one makes the line NULL, which finish() refuses.
  const cursor = `rtrim(translate(encode(convert_to((extract(epoch FROM a."createdAt") * 1000)::bigint || '.' || a.id, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')`;
  const response = (side: "A" | "B") =>
    `'{"text":' || to_json(c."response${side}")::text || ',"modelVersionId":' || ${j(`c."model${side}Id"`)}
      || ',"modelVersion":' || ${j(`m${side.toLowerCase()}.name`)} || ',"sampling":' || ${sampling(`c."sampling${side}"`)} || '}'`;
  return `'{"id":' || to_json(a.id)::text
    || ',"cursor":"' || ${cursor}
    || '","createdAt":"' || ${iso('a."createdAt"')}
    || '","comparisonId":' || to_json(c.id)::text
    || ',"round":' || r.number
    || ',"axis":"' || c.axis::text
    || '","promptId":' || to_json(c."promptId")::text
    || ',"dialogueId":' || ${j('c."dialogueId"')}
    || ',"turnIndex":' || c."turnIndex"
    || ',"context":' AS line, ${context} AS context,
    ',"responses":{"A":' || ${response("A")} || ',"B":' || ${response("B")}
    || '},"identicalResponses":' || CASE WHEN c.identical THEN 'true' ELSE 'false' END
    || ',"displayedOrder":' || CASE WHEN c.swapped THEN '"BA"' ELSE '"AB"' END
    || ',"choice":"' || a.choice::text
    || '","degree":"' || a.degree::text
    || '","margin":' || ${margin()}
    || ',"marginTable":' || ${p(JSON.stringify(o.margin))}
    || ',"safetyLabel":' || ${j('a."safetyLabel"::text')}
    || ',"chosenUnsafeOtherSafe":' || CASE WHEN a."chosenUnsafeOtherSafe" THEN 'true' ELSE 'false' END
    || ',"flags":[' || array_to_string(ARRAY(SELECT to_json(f)::text FROM unnest(a.flags) f), ',')
    || '],"note":' || ${j("a.note")}
    || ',"annotator":' || pa.p
    || ',"timeSpentMs":' || a."timeSpentMs"
    || ',"source":"' || s.source::text
    || '","reviewStatus":"' || coalesce(rv.decision::text, 'unreviewed')
    || '","agreement":' || CASE WHEN v.n > 0 THEN to_json(v.agree::float8 / v.n)::text ELSE '1' END
    || ',"votes":' || CASE WHEN v.n > 1 THEN '[' || (
      SELECT CASE WHEN bool_and(po.p IS NOT NULL) THEN string_agg('{"annotator":' || po.p || ',"choice":"' || o.choice::text
        || '","degree":"' || o.degree::text || '","safetyLabel":' || ${j('o."safetyLabel"::text')}
        || ',"chosenUnsafeOtherSafe":' || CASE WHEN o."chosenUnsafeOtherSafe" THEN 'true' ELSE 'false' END
        || ',"createdAt":"' || ${iso('o."createdAt"')} || '"}', ',' ORDER BY o."createdAt", o.id) END
      FROM assignment os JOIN annotation o ON o."assignmentId" = os.id
        LEFT JOIN pseudonym po ON po.id = o."annotatorId"
      WHERE os."comparisonId" = a."comparisonId") || ']' ELSE 'null' END
    || '}' AS rest`;
}

/** The statement for `format`: the line, and the row's createdAt and id (its cursor). */
export function linesSql(
  format: TLineFormat,
  filter: TExportFilter,
  after: TExportCursor | null,
  until: Date,
  o: TFormatOptions,
  pseudonyms: Record<string, string>,
  limit: number | null,
): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const p = (v: unknown) => `$${values.push(v)}`;
  // Only the native format names annotators: a table of (user id, JSON-quoted pseudonym).
  const ids = Object.keys(pseudonyms);
  const table =
    format === "native"
      ? `WITH pseudonym AS MATERIALIZED (SELECT * FROM unnest(${p(ids)}::text[], ${p(
          ids.map((id) => JSON.stringify(pseudonyms[id])),
        )}::text[]) AS t(id, p)) `
      : "";
  const where = whereClause(filter, after, until, values);
  const line = lineSql(format, p, o);
  const text = `${table}SELECT a."createdAt", a.id, ${format === "native" ? line : `${line} AS line`}
    ${exportFromSql(
      "",
      format === "native" ? `\n    LEFT JOIN pseudonym pa ON pa.id = a."annotatorId"` : "",
    )}
    WHERE ${where}
    ORDER BY a."createdAt", a.id${limit === null ? "" : ` LIMIT ${p(limit)}`}`;
  return { text, values };
}

/** A row as the query returns it: the native format's line is cut around its context. */
type TLineDbRow = {
  createdAt: Date;
  id: string;
  line: string | null;
  context?: string;
  rest?: string | null;
};

export type TLineRow = { createdAt: Date; id: string; line: string };

/** The finished line: the native context compacted as formats.ts writes it. */
function finish(row: TLineDbRow): TLineRow {
  // A NULL anywhere in the concatenation (an annotator without a pseudonym) would be a wrong line.
  if (row.line === null || row.rest === null)
    throw new Error(`export: the line of annotation ${row.id} could not be built`);
  const line =
    row.rest === undefined
      ? row.line
      : row.line + JSON.stringify(JSON.parse(row.context!)) + row.rest;
  return { createdAt: row.createdAt, id: row.id, line };
}

/**
 * Every annotator's pseudonym (formats.ts annotatorPseudonymizer), for the query to look up: an
 * export has few annotators and many rows. Read after `until` was fixed, so every exported label's
 * annotator is among them.
 */
async function pseudonymMap(db: TExportDb, o: TFormatOptions): Promise<Record<string, string>> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM "user"`);
  return Object.fromEntries(rows.map((r) => [r.id, o.pseudonym(r.id)]));
}

/** True when `db` is the embedded PGlite server (one backend shared by every connection). */
async function isEmbedded(db: TExportDb): Promise<boolean> {
  const { rows } = await db.query<{ v: string }>(`SELECT version() AS v`);
  return /wasm32|emscripten/i.test(rows[0]?.v ?? "");
}

export type TLinesPlan = {
  filter: TExportFilter;
  after: TExportCursor | null;
  until: Date;
  limit?: number | undefined;
  format: TFormatOptions;
  batchSize: number;
};

/**
 * Batches of finished lines in export order. The next batch is requested before the current one
 * is handed out, so the database builds it while this process sends the current one.
 */
export async function* lineBatches(
  db: TExportDb & Partial<Pick<pg.Pool, "connect">>,
  plan: TLinesPlan,
  format: TLineFormat,
): AsyncGenerator<TLineRow[]> {
  const pseudonyms = format === "native" ? await pseudonymMap(db, plan.format) : {};
  // A whole export (no page limit) on PostgreSQL: one query, read through a cursor.
  const pool = typeof (db as Partial<pg.Pool>).totalCount === "number" ? db.connect : undefined;
  if (plan.limit === undefined && pool && !(await isEmbedded(db))) {
    yield* cursorBatches(pool.bind(db), plan, format, pseudonyms);
    return;
  }
  yield* prefetchedBatches(
    async (after, want) => {
      const q = linesSql(format, plan.filter, after, plan.until, plan.format, pseudonyms, want);
      return (await db.query<TLineDbRow>(q)).rows.map(finish);
    },
    plan.after,
    plan.batchSize,
    plan.limit,
  );
}

/**
 * Rows per FETCH from the cursor: no planning per fetch, so small fetches cost little, and they
 * keep this process's memory low (a 5,000-row batch is ~9 MB of text, garbage soon after). On 1 M
 * comparisons 250 rows peaked at 375 MiB RSS against 409 MiB for 1,000, and was no slower.
 */
const CURSOR_FETCH_ROWS = 250;

async function* cursorBatches(
  connect: () => Promise<pg.PoolClient>,
  plan: TLinesPlan,
  format: TLineFormat,
  pseudonyms: Record<string, string>,
): AsyncGenerator<TLineRow[]> {
  const client = await connect();
  const fetchRows = Math.min(plan.batchSize, CURSOR_FETCH_ROWS);
  let broken = false;
  try {
    // REPEATABLE READ: the cursor reads one snapshot, so the export is the rows committed when it
    // started (and `until` keeps the last seconds out, as for a paged export).
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const q = linesSql(format, plan.filter, plan.after, plan.until, plan.format, pseudonyms, null);
    await client.query({
      text: `DECLARE export_lines NO SCROLL CURSOR FOR ${q.text}`,
      values: q.values,
    });
    const fetch = () =>
      client
        .query<TLineDbRow>(`FETCH ${fetchRows} FROM export_lines`)
        .then(({ rows }) => ({ rows: rows.map(finish) }));
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
