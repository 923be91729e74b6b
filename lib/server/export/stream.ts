import "server-only";
// Exports as byte streams, read only as the consumer pulls (one batch or chunk ahead), so a slow
// client costs a few batches of memory, not the result: memory stays flat whatever the size. A
// whole NDJSON export on PostgreSQL comes by COPY as bytes (lines.ts); Parquet's rows through a
// server-side cursor (query.ts); a page (`limit`), and anything on PGlite, in keyset batches,
// a page followed by the cursor of its last row.
import { ByteWriter, ParquetWriter, schemaFromColumnData } from "hyparquet-writer";
import type { ColumnSource } from "hyparquet-writer";
import type { TExportQuery, TNativeRow } from "@/lib/shared/export";
import { UNDO_GRACE_MS } from "@/lib/shared/annotation";
import {
  annotatorPseudonymizer,
  toHhRlhfRow,
  toNativeRow,
  toTrlRow,
  type TFormatOptions,
} from "./formats";
import {
  EXPORT_BATCH_SIZE,
  cursorBatches,
  encodeCursor,
  fetchExportBatch,
  postgresPool,
  prefetchedBatches,
  rowsSql,
  type TExportCursor,
  type TExportDb,
  type TExportDbRow,
  type TExportFilter,
  type TExportPool,
  type TExportRead,
} from "./query";
import { copiedLines, lineBatches } from "./lines";

/**
 * Labels younger than this are not exported yet. Within the undo window an annotator can still
 * take a label back (it is deleted), and a submit transaction that began earlier may commit after
 * a later one: waiting until both are over makes the (createdAt, id) order final, so a cursor
 * never skips a row that commits late and never hands out a row that later disappears.
 */
export const SETTLE_MS = UNDO_GRACE_MS + 5_000;

export type TExportPlan = {
  filter: TExportFilter;
  after: TExportCursor | null;
  /** Rows submitted at or after this instant are left for a later request. */
  until: Date;
  /** At most this many rows (a page); undefined streams everything. */
  limit?: number | undefined;
  format: TFormatOptions;
  batchSize?: number;
  /**
   * Who writes the NDJSON lines: the database (lines.ts, the default) or this process from rows
   * (formats.ts; what Parquet uses, and the reference the tests compare with).
   */
  lines?: "database" | "node";
  /** How a whole export on PostgreSQL is read (TExportRead; the default but in benchmarks). */
  read?: TExportRead;
};

export function planFromQuery(
  q: TExportQuery,
  after: TExportCursor | null,
  secret: string,
  now = new Date(),
  settleMs = SETTLE_MS,
): TExportPlan {
  return {
    filter: {
      round: q.round,
      axis: q.axis,
      from: q.from,
      to: q.to,
      reviewStatus: q.reviewStatus,
      minAgreement: q.minAgreement,
      modelVersion: q.modelVersion,
      excludeIdentical:
        (q.identical ?? (isPreferenceFormat(q.format) ? "exclude" : "include")) === "exclude",
    },
    after,
    until: new Date(now.getTime() - settleMs),
    limit: q.limit,
    format: { margin: q.margin, pseudonym: annotatorPseudonymizer(secret) },
  };
}

/** Formats that give a trainer chosen and rejected only: identical pairs are left out by default. */
function isPreferenceFormat(format: TExportQuery["format"]): boolean {
  return format === "trl" || format === "hh-rlhf";
}

/**
 * Batches of rows in export order, each prefetched while the one before is formatted: a whole
 * export on PostgreSQL through one server-side cursor, a page (or PGlite) in keyset batches.
 */
export async function* exportBatches(
  db: TExportPool,
  plan: TExportPlan,
): AsyncGenerator<TExportDbRow[]> {
  const batchSize = plan.batchSize ?? EXPORT_BATCH_SIZE;
  const connect =
    plan.limit === undefined && plan.read !== "keyset" ? await postgresPool(db) : null;
  if (connect) {
    yield* cursorBatches<TExportDbRow>(
      connect,
      rowsSql(plan.filter, plan.after, plan.until),
      batchSize,
    );
    return;
  }
  yield* prefetchedBatches(
    (after, want) => fetchExportBatch(db, plan.filter, after, plan.until, want),
    plan.after,
    batchSize,
    plan.limit,
  );
}

export type TNdjsonFormat = "native" | "trl" | "hh-rlhf";

export function formatLine(row: TExportDbRow, format: TNdjsonFormat, o: TFormatOptions): string {
  const out =
    format === "native"
      ? toNativeRow(row, o)
      : format === "trl"
        ? toTrlRow(row, o)
        : toHhRlhfRow(row);
  return JSON.stringify(out);
}

/** Batches of finished text: lines and the cursor position of the last one. */
async function* textBatches(
  db: TExportDb,
  plan: TExportPlan,
  format: TNdjsonFormat,
): AsyncGenerator<{ text: string; rows: number; last: TExportCursor }> {
  if (plan.lines === "node") {
    for await (const batch of exportBatches(db, plan)) {
      let text = "";
      for (const row of batch) text += formatLine(row, format, plan.format) + "\n";
      yield { text, rows: batch.length, last: batch[batch.length - 1]! };
    }
    return;
  }
  const batches = lineBatches(
    db,
    { ...plan, batchSize: plan.batchSize ?? EXPORT_BATCH_SIZE },
    format,
  );
  for await (const batch of batches) {
    let text = "";
    for (const row of batch) text += row.line + "\n";
    yield { text, rows: batch.length, last: batch[batch.length - 1]! };
  }
}

/** The NDJSON as bytes: by COPY where it applies (lines.ts), else encoded from textBatches. */
async function* byteChunks(
  db: TExportDb,
  plan: TExportPlan,
  format: TNdjsonFormat,
): AsyncGenerator<Uint8Array> {
  const copied =
    plan.lines === "node"
      ? null
      : await copiedLines(db, { ...plan, batchSize: plan.batchSize ?? EXPORT_BATCH_SIZE }, format);
  if (copied) {
    yield* copied;
    return;
  }
  const encoder = new TextEncoder();
  for await (const batch of textBatches(db, plan, format)) yield encoder.encode(batch.text);
}

/**
 * NDJSON, one row per line, pulled chunk by chunk: the next is read only when the client has
 * taken the previous one. A failure mid-stream ends the body early; clients resume from the last
 * complete line's cursor (native format).
 */
export function ndjsonStream(
  db: TExportDb,
  plan: TExportPlan,
  format: TNdjsonFormat,
): ReadableStream<Uint8Array> {
  const batches = byteChunks(db, plan, format);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await batches.next();
          if (next.done) {
            controller.close();
            return;
          }
          controller.enqueue(next.value);
        } catch (error) {
          console.error("export stream:", error);
          controller.error(error);
        }
      },
      async cancel() {
        await batches.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

/**
 * One page, read whole (a page is at most 10,000 rows): the body and the cursor of its last row
 * when the page is full, so the caller can send X-Next-Cursor before the body.
 */
export async function ndjsonPage(
  db: TExportDb,
  plan: TExportPlan,
  format: TNdjsonFormat,
): Promise<{ body: string; rows: number; nextCursor: string | null }> {
  let body = "";
  let rows = 0;
  let last: TExportCursor | null = null;
  for await (const batch of textBatches(db, plan, format)) {
    body += batch.text;
    rows += batch.rows;
    last = batch.last;
  }
  const full = plan.limit !== undefined && rows === plan.limit;
  return { body, rows, nextCursor: full && last ? encodeCursor(last) : null };
}

// ───────────────────────────── Parquet ─────────────────────────────

/** The native row's columns; nested values (messages, responses, votes) are JSON columns. */
const PARQUET_COLUMNS: {
  name: keyof TNativeRow;
  type: NonNullable<ColumnSource["type"]>;
  nullable: boolean;
}[] = [
  { name: "id", type: "STRING", nullable: false },
  { name: "cursor", type: "STRING", nullable: false },
  { name: "createdAt", type: "TIMESTAMP", nullable: false },
  { name: "comparisonId", type: "STRING", nullable: false },
  { name: "round", type: "INT32", nullable: false },
  { name: "axis", type: "STRING", nullable: false },
  { name: "promptId", type: "STRING", nullable: false },
  { name: "dialogueId", type: "STRING", nullable: true },
  { name: "turnIndex", type: "INT32", nullable: false },
  { name: "context", type: "JSON", nullable: false },
  { name: "responses", type: "JSON", nullable: false },
  { name: "identicalResponses", type: "BOOLEAN", nullable: false },
  { name: "displayedOrder", type: "STRING", nullable: false },
  { name: "choice", type: "STRING", nullable: false },
  { name: "degree", type: "STRING", nullable: false },
  { name: "margin", type: "DOUBLE", nullable: false },
  { name: "marginTable", type: "STRING", nullable: false },
  { name: "safetyLabel", type: "STRING", nullable: true },
  { name: "chosenUnsafeOtherSafe", type: "BOOLEAN", nullable: false },
  { name: "flags", type: "JSON", nullable: false },
  { name: "note", type: "STRING", nullable: true },
  { name: "annotator", type: "STRING", nullable: false },
  { name: "timeSpentMs", type: "INT32", nullable: false },
  { name: "source", type: "STRING", nullable: false },
  { name: "reviewStatus", type: "STRING", nullable: false },
  { name: "agreement", type: "DOUBLE", nullable: false },
  { name: "votes", type: "JSON", nullable: true },
];

/** The native format as a Parquet file, one row group per batch, written as the batches arrive. */
export function parquetStream(db: TExportDb, plan: TExportPlan): ReadableStream<Uint8Array> {
  const schema = schemaFromColumnData({
    columnData: PARQUET_COLUMNS.map((c) => ({ ...c, data: [] })),
  });
  const writer = new ByteWriter();
  // Hand the bytes written so far to the stream and reuse the buffer; `offset` keeps counting,
  // so the footer's file offsets stay right.
  const drain = (): Uint8Array => {
    const chunk = new Uint8Array(writer.buffer.slice(0, writer.index));
    writer.index = 0;
    return chunk;
  };
  const parquet = new ParquetWriter({ writer, schema, kvMetadata: [] });
  const batches = exportBatches(db, plan);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await batches.next();
          if (next.done) {
            await parquet.finish();
            controller.enqueue(drain());
            controller.close();
            return;
          }
          const rows = next.value.map((r) => toNativeRow(r, plan.format));
          const columnData = PARQUET_COLUMNS.map((c) => ({
            name: c.name,
            data:
              c.name === "createdAt"
                ? rows.map((r) => new Date(r.createdAt))
                : rows.map((r) => r[c.name] ?? null),
          }));
          await parquet.write({ columnData, rowGroupSize: rows.length });
          controller.enqueue(drain());
        } catch (error) {
          console.error("export parquet:", error);
          controller.error(error);
        }
      },
      async cancel() {
        await batches.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
