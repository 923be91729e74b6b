import "server-only";
// NDJSON lines built by the database: the same rows as query.ts, but each one comes back as the
// finished line of its format (native, TRL, HH-RLHF) — cursor, timestamps, margin, agreement,
// pseudonyms and votes included — so this process only concatenates text. Byte for byte the
// output of formats.ts (lines.db.test.ts compares the two on the same data). One exception: the
// native line's context (jsonb) comes back as jsonb prints it and is compacted here with
// JSON.parse / JSON.stringify, which is what formats.ts does too; doing it in SQL (a regular
// expression) cost ~55 µs a row, more than the rest of the line.
//
// On PostgreSQL a whole export is one statement, COPY (SELECT the lines) TO STDOUT in the binary
// format (copy.ts): the lines arrive as bytes and go out as bytes, never becoming JavaScript
// strings, so this process's memory stays at a few socket buffers whatever the export's size. The
// native line's context is compacted on those bytes (compactJsonb). Pages (a `limit`) and the
// embedded PGlite, whose single backend every connection shares, read in keyset batches of rows
// with the line as text. (A server-side cursor read with FETCH, the way before COPY, stays
// reachable as `read: "fetch"` for the benchmark's comparison.)
import type pg from "pg";
import { DEGREES } from "@/lib/shared/protocol";
import { EXPORT_MARGIN_TABLES } from "@/lib/shared/export";
import type { TFormatOptions } from "./formats";
import { copyOutRows } from "./copy";
import {
  cursorBatches,
  exportFromSql,
  parameters,
  postgresPool,
  prefetchedBatches,
  sqlLiteral,
  whereClause,
  type TExportCursor,
  type TExportDb,
  type TExportFilter,
  type TExportPool,
  type TExportRead,
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

/**
 * The statement for `format`: the line, and the row's createdAt and id (its cursor). With `copy`,
 * the COPY of the line's columns only, every value written as a literal (COPY takes no
 * parameters).
 */
export function linesSql(
  format: TLineFormat,
  filter: TExportFilter,
  after: TExportCursor | null,
  until: Date,
  o: TFormatOptions,
  pseudonyms: Record<string, string>,
  limit: number | null,
  { copy = false } = {},
): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const p = copy ? sqlLiteral : parameters(values);
  // Only the native format names annotators: a table of (user id, JSON-quoted pseudonym).
  const ids = Object.keys(pseudonyms);
  const table =
    format === "native"
      ? `WITH pseudonym AS MATERIALIZED (SELECT * FROM unnest(${p(ids)}::text[], ${p(
          ids.map((id) => JSON.stringify(pseudonyms[id])),
        )}::text[]) AS t(id, p)) `
      : "";
  const where = whereClause(filter, after, until, p);
  const line = lineSql(format, p, o);
  const select = `${table}SELECT ${copy ? "" : `a."createdAt", a.id, `}${format === "native" ? line : `${line} AS line`}
    ${exportFromSql(
      "",
      format === "native" ? `\n    LEFT JOIN pseudonym pa ON pa.id = a."annotatorId"` : "",
    )}
    WHERE ${where}
    ORDER BY a."createdAt", a.id${limit === null ? "" : ` LIMIT ${p(limit)}`}`;
  return { text: copy ? `COPY (${select}) TO STDOUT (FORMAT binary)` : select, values };
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

export type TLinesPlan = {
  filter: TExportFilter;
  after: TExportCursor | null;
  until: Date;
  limit?: number | undefined;
  format: TFormatOptions;
  batchSize: number;
  /** COPY as bytes (the default), or "fetch": through a cursor, as text (see TExportRead). */
  read?: TExportRead | undefined;
};

/**
 * A whole export on PostgreSQL as bytes by COPY (copyChunks), in chunks of about
 * EXPORT_CHUNK_BYTES; null where COPY is not the way (a page, PGlite, `read: "fetch"`): then the
 * lines come from lineBatches.
 */
export async function copiedLines(
  db: TExportPool,
  plan: TLinesPlan,
  format: TLineFormat,
): Promise<AsyncGenerator<Uint8Array> | null> {
  const connect = plan.limit === undefined && plan.read !== "fetch" ? await postgresPool(db) : null;
  if (!connect) return null;
  const pseudonyms = format === "native" ? await pseudonymMap(db, plan.format) : {};
  return copyChunks(connect, plan, format, pseudonyms);
}

/**
 * Batches of finished lines in export order, as text. The next batch is requested before the
 * current one is handed out, so the database builds it while this process sends the current one.
 */
export async function* lineBatches(
  db: TExportPool,
  plan: TLinesPlan,
  format: TLineFormat,
): AsyncGenerator<TLineRow[]> {
  const pseudonyms = format === "native" ? await pseudonymMap(db, plan.format) : {};
  // A whole export (no page limit) on PostgreSQL read the way before COPY: one query, through a
  // cursor.
  const connect = plan.limit === undefined && plan.read === "fetch" ? await postgresPool(db) : null;
  if (connect) {
    yield* fetchedLineBatches(connect, plan, format, pseudonyms);
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

/** The lines through a server-side cursor (the way before COPY; see TLinesPlan.read). */
async function* fetchedLineBatches(
  connect: () => Promise<pg.PoolClient>,
  plan: TLinesPlan,
  format: TLineFormat,
  pseudonyms: Record<string, string>,
): AsyncGenerator<TLineRow[]> {
  const q = linesSql(format, plan.filter, plan.after, plan.until, plan.format, pseudonyms, null);
  const fetchRows = Math.min(plan.batchSize, CURSOR_FETCH_ROWS);
  for await (const rows of cursorBatches<TLineDbRow>(connect, q, fetchRows)) yield rows.map(finish);
}

// ───────────────────────────── COPY ─────────────────────────────

/** Bytes per chunk handed to the response (a line longer than that gets a chunk of its own). */
const EXPORT_CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * A whole export by COPY, in chunks of bytes: each row's fields copied into the chunk one after
 * the other (the native context compacted), and a newline. The consumer pulls: while it does
 * not, the COPY's socket is paused (copy.ts), so memory stays at a few chunks.
 */
async function* copyChunks(
  connect: () => Promise<pg.PoolClient>,
  plan: TLinesPlan,
  format: TLineFormat,
  pseudonyms: Record<string, string>,
): AsyncGenerator<Uint8Array> {
  const q = linesSql(format, plan.filter, plan.after, plan.until, plan.format, pseudonyms, null, {
    copy: true,
  });
  const client = await connect();
  let finished = false;
  let lines = 0;
  let chunk = Buffer.allocUnsafe(EXPORT_CHUNK_BYTES);
  let at = 0;
  let scratch = Buffer.allocUnsafe(4096);
  try {
    // COPY is planned for its whole result, and for that a sort of every line (gigabytes, spilled
    // to disk, nothing sent until it is done) looks cheaper than walking the (createdAt, id)
    // index. Without sorts (and without parallel workers, which a cursor never has either) it
    // takes the plan a cursor takes: the index in order, each row joined as it comes.
    await client.query(
      "BEGIN READ ONLY; SET LOCAL enable_sort = off; SET LOCAL max_parallel_workers_per_gather = 0",
    );
    for await (const rows of copyOutRows(client, q.text)) {
      for (const fields of rows) {
        // A NULL anywhere in the line (an annotator without a pseudonym) would be a wrong line.
        if (fields.includes(null))
          throw new Error(`export: line ${lines + 1} of the export could not be built`);
        const parts = fields as Buffer[];
        // The native line's second field is its context, as jsonb prints it.
        if (format === "native") {
          if (scratch.length < parts[1]!.length) scratch = Buffer.allocUnsafe(parts[1]!.length);
          parts[1] = compactJsonb(parts[1]!, scratch);
        }
        let length = 1;
        for (const f of parts) length += f.length;
        if (at + length > chunk.length) {
          if (at > 0) yield chunk.subarray(0, at);
          chunk = Buffer.allocUnsafe(Math.max(EXPORT_CHUNK_BYTES, length));
          at = 0;
        }
        for (const f of parts) at += f.copy(chunk, at);
        chunk[at++] = NEWLINE;
        lines++;
      }
      if (at >= EXPORT_CHUNK_BYTES / 2) {
        yield chunk.subarray(0, at);
        chunk = Buffer.allocUnsafe(EXPORT_CHUNK_BYTES);
        at = 0;
      }
    }
    if (at > 0) yield chunk.subarray(0, at);
    await client.query("COMMIT");
    finished = true;
  } finally {
    // Stopped early (the client went away, or a failure): the COPY still runs on this
    // connection, so it is closed rather than given back.
    client.release(!finished);
  }
}

/**
 * `json` (jsonb's text: a space after each comma and colon) as JSON.stringify(JSON.parse(json))
 * writes it: in `scratch` (at least as long as `json`) when dropping the whitespace outside
 * strings is enough — jsonb and JSON.stringify escape strings alike — else a new buffer. That is
 * when a number is there (jsonb keeps "1.50", JavaScript writes 1.5) or a key is all digits
 * (JavaScript puts such keys first): those go through JSON.parse and JSON.stringify.
 */
export function compactJsonb(json: Buffer, scratch: Buffer): Buffer {
  let at = 0;
  let inString = false;
  let digitKey = false; // the string just closed was all digits
  let stringStart = 0;
  for (let i = 0; i < json.length; i++) {
    const b = json[i]!;
    if (inString) {
      scratch[at++] = b;
      if (b === 0x5c)
        scratch[at++] = json[++i]!; // backslash: the escaped byte too
      else if (b === 0x22) {
        inString = false;
        digitKey = i > stringStart + 1 && allDigits(json, stringStart + 1, i);
      }
      continue;
    }
    if (b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d) continue;
    // A number, or a key of digits: the exact way.
    if ((b >= 0x30 && b <= 0x39) || b === 0x2d || (b === 0x3a && digitKey))
      return Buffer.from(JSON.stringify(JSON.parse(json.toString("utf8"))));
    if (b === 0x22) {
      inString = true;
      stringStart = i;
    }
    scratch[at++] = b;
  }
  return scratch.subarray(0, at);
}

function allDigits(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i]! < 0x30 || b[i]! > 0x39) return false;
  return true;
}
