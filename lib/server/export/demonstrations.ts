import "server-only";
// Approved demonstrations for training code (GET /api/v1/demonstrations): keyset pages over
// (approval time, id), read in batches through the export pool, as NDJSON rows in the native or
// TRL `messages` format. Ordering by the approval makes paging complete: a demonstration approved
// after a client paged past its submission time still sorts after every cursor handed out.
import type { TDemonstrationRow, TTrlMessagesRow } from "@/lib/shared/demonstration-export";
import type { TMessage } from "@/lib/shared/protocol";
import { annotatorPseudonymizer } from "./formats";
import { encodeCursor, type TExportCursor, type TExportDb } from "./query";

/**
 * Approvals younger than this are not exported yet: a decision that began earlier may commit
 * after a later one, and waiting makes the (approval time, id) order final for cursors.
 */
export const DEMONSTRATION_SETTLE_MS = 5_000;
export const DEMONSTRATION_BATCH_SIZE = 2000;

export type TDemonstrationFilter = {
  round?: number | undefined;
  axis?: "helpfulness" | "safety" | undefined;
};

export type TDemonstrationDbRow = {
  id: string;
  createdAt: Date;
  reviewedAt: Date;
  round: number;
  axis: "helpfulness" | "safety";
  promptId: string;
  annotatorId: string;
  messages: TMessage[];
  editedMessages: TMessage[] | null;
  sourceSample: string | null;
  sourceModelId: string | null;
  sourceModelName: string | null;
  sourceSampling: Record<string, unknown> | null;
  timeSpentMs: number;
};

export async function fetchDemonstrationBatch(
  db: TExportDb,
  filter: TDemonstrationFilter,
  after: TExportCursor | null,
  until: Date,
  limit: number,
): Promise<TDemonstrationDbRow[]> {
  const params: unknown[] = [];
  const p = (value: unknown) => `$${params.push(value)}`;
  const where = [
    `d.status = 'approved'`,
    `d."reviewedAt" < ${p(until.toISOString())}::timestamp(3)`,
  ];
  if (after)
    where.push(
      `(d."reviewedAt", d.id) > (${p(after.createdAt.toISOString())}::timestamp(3), ${p(after.id)})`,
    );
  if (filter.round !== undefined) where.push(`r.number = ${p(filter.round)}::int`);
  if (filter.axis) where.push(`d.axis::text = ${p(filter.axis)}`);
  const text = `SELECT d.id, d."createdAt", d."reviewedAt", r.number AS round, d.axis::text AS axis,
      d."promptId", d."annotatorId", d.messages, d."editedMessages", d."sourceSample",
      d."sourceModelId", m.name AS "sourceModelName", d."sourceSampling", d."timeSpentMs"
    FROM demonstration d
    JOIN round r ON r.id = d."roundId"
    LEFT JOIN model_version m ON m.id = d."sourceModelId"
    WHERE ${where.join(" AND ")}
    ORDER BY d."reviewedAt", d.id
    LIMIT ${p(limit)}`;
  const { rows } = await db.query<TDemonstrationDbRow>({ text, values: params });
  return rows;
}

export type TDemonstrationPlan = {
  filter: TDemonstrationFilter;
  after: TExportCursor | null;
  until: Date;
  limit?: number | undefined;
  pseudonym: (userId: string) => string;
  batchSize?: number;
};

export function demonstrationPlan(
  q: { round?: number | undefined; axis?: "helpfulness" | "safety" | undefined; limit?: number },
  after: TExportCursor | null,
  secret: string,
  now = new Date(),
  settleMs = DEMONSTRATION_SETTLE_MS,
): TDemonstrationPlan {
  return {
    filter: { round: q.round, axis: q.axis },
    after,
    until: new Date(now.getTime() - settleMs),
    limit: q.limit,
    pseudonym: annotatorPseudonymizer(secret),
  };
}

const cursorOf = (r: TDemonstrationDbRow): TExportCursor => ({
  createdAt: r.reviewedAt,
  id: r.id,
});

export function toDemonstrationRow(
  r: TDemonstrationDbRow,
  pseudonym: (userId: string) => string,
): TDemonstrationRow {
  return {
    id: r.id,
    cursor: encodeCursor(cursorOf(r)),
    createdAt: r.createdAt.toISOString(),
    approvedAt: r.reviewedAt.toISOString(),
    round: r.round,
    axis: r.axis,
    promptId: r.promptId,
    messages: r.editedMessages ?? r.messages,
    edited: r.editedMessages !== null,
    original: r.messages,
    sample:
      r.sourceSample === null
        ? null
        : {
            text: r.sourceSample,
            modelVersionId: r.sourceModelId,
            modelVersion: r.sourceModelName,
            sampling: r.sourceSampling,
          },
    annotator: pseudonym(r.annotatorId),
    timeSpentMs: r.timeSpentMs,
  };
}

export function toTrlMessagesRow(r: TDemonstrationDbRow): TTrlMessagesRow {
  return { messages: (r.editedMessages ?? r.messages).map((m) => ({ ...m })) };
}

async function* batches(db: TExportDb, plan: TDemonstrationPlan) {
  const size = plan.batchSize ?? DEMONSTRATION_BATCH_SIZE;
  let left = plan.limit ?? Infinity;
  let after = plan.after;
  while (left > 0) {
    const want = Math.min(size, left);
    const rows = await fetchDemonstrationBatch(db, plan.filter, after, plan.until, want);
    if (rows.length > 0) yield rows;
    left -= rows.length;
    if (rows.length < want) return;
    after = cursorOf(rows[rows.length - 1]!);
  }
}

function line(r: TDemonstrationDbRow, format: "native" | "trl", plan: TDemonstrationPlan) {
  return (
    JSON.stringify(
      format === "native" ? toDemonstrationRow(r, plan.pseudonym) : toTrlMessagesRow(r),
    ) + "\n"
  );
}

/** Everything, streamed batch by batch as the client reads. */
export function demonstrationStream(
  db: TExportDb,
  plan: TDemonstrationPlan,
  format: "native" | "trl",
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const it = batches(db, plan);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await it.next();
          if (next.done) return controller.close();
          controller.enqueue(encoder.encode(next.value.map((r) => line(r, format, plan)).join("")));
        } catch (error) {
          console.error("demonstration export:", error);
          controller.error(error);
        }
      },
      async cancel() {
        await it.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

/** One page and, when it is full, the cursor of its last row. */
export async function demonstrationPage(
  db: TExportDb,
  plan: TDemonstrationPlan,
  format: "native" | "trl",
): Promise<{ body: string; rows: number; nextCursor: string | null }> {
  let body = "";
  let rows = 0;
  let last: TDemonstrationDbRow | null = null;
  for await (const batch of batches(db, plan)) {
    for (const r of batch) body += line(r, format, plan);
    rows += batch.length;
    last = batch[batch.length - 1]!;
  }
  const full = plan.limit !== undefined && rows === plan.limit;
  return { body, rows, nextCursor: full && last ? encodeCursor(cursorOf(last)) : null };
}
