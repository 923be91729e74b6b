// Lines built by the database (lines.ts) against lines built here from rows (formats.ts), on the
// same data, byte for byte: every NDJSON format and margin table, whole streams (a server-side
// cursor on PostgreSQL, keyset batches on PGlite), pages and their cursors, resumption after a
// cursor, and text that JSON escapes (quotes, backslashes, control characters, ", " and ": "
// inside strings, non-ASCII), odd sampling settings, missing models, gold and overlap votes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { ZExportQuery, type TExportQuery } from "@/lib/shared/export";
import { addLabel, seedWorld, type TExportWorld } from "./test-seed";

let db: TTestDatabase;
let stream: typeof import("./stream");
let query: typeof import("./query");
let w: TExportWorld;
let pool: import("pg").Pool;
const SECRET = "lines-test-secret-lines-test-secret-0123";
const t0 = new Date("2026-06-01T10:00:00Z");
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const now = new Date("2026-07-01T00:00:00Z");
const TRICKY = 'He said "hi", then: \\o/ \u0001\u001f\t\n\r\b\f é ✓ 😀 \u2028 </script> a, b: c';

beforeAll(async () => {
  db = await withTestDatabase();
  stream = await import("./stream");
  query = await import("./query");
  pool = query.createExportDb(db.url);
  w = await seedWorld(db.prisma);
  const { ann1, ann2, ann3 } = w.users;
  await addLabel(db.prisma, w, {
    round: 1,
    votes: [[ann1, "A", "significantly_better"]],
    at: at(0),
  });
  await addLabel(db.prisma, w, {
    round: 1,
    axis: "safety",
    swapped: true,
    votes: [[ann2, "B", "better"]],
    at: at(1),
    review: ["approved"],
    chosenUnsafeOtherSafe: true,
  });
  await addLabel(db.prisma, w, {
    round: 2,
    votes: [
      [ann1, "A", "slightly_better"],
      [ann2, "A", "better"],
      [ann3, "B", "negligibly_better"],
    ],
    at: at(2),
    responses: [TRICKY, "plain"],
  });
  await addLabel(db.prisma, w, {
    round: 2,
    votes: [
      [ann3, "B", "negligibly_better"],
      [ann1, "B", "better"],
    ],
    at: at(10),
    gold: true,
    review: ["approved", "rejected"],
  });
  await addLabel(db.prisma, w, {
    round: 1,
    votes: [[ann1, "B", "better"]],
    at: at(20),
    responses: ["same  answer", "same answer"],
  });
  // Text that JSON escapes, everywhere text is exported; odd sampling settings; no models.
  const last = await db.prisma.comparison.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
  await db.prisma.comparison.update({
    where: { id: last.id },
    data: {
      context: [
        { role: "system", content: TRICKY },
        { role: "user", content: "first, question: one" },
        { role: "assistant", content: "" },
        { role: "user", content: 'ünïcödé \\ "quoted"' },
      ],
      samplingA: {
        model: 7,
        temperature: "hot",
        topP: 0.9,
        maxTokens: 12,
        seed: 123456789,
        extra: [1],
      },
      samplingB: [1, 2],
      modelAId: null,
      modelBId: null,
    },
  });
  await db.prisma.annotation.updateMany({
    where: { comparisonId: last.id },
    data: { note: TRICKY, flags: ["offensive", TRICKY] },
  });
  // Contexts jsonb prints unlike JSON.stringify beyond its spaces: numbers as written ("1.50",
  // 20 digits), keys of digits (JavaScript puts them first); and a context that is no array.
  const [first, second] = await db.prisma.comparison.findMany({ orderBy: { createdAt: "asc" } });
  await db.prisma.$executeRawUnsafe(
    `UPDATE comparison SET context = $1::jsonb WHERE id = $2`,
    `[{"role": "user", "content": "1.50, 10: x", "n": 1.50, "big": 12345678901234567890,
      "neg": -0.0, "10": "ten", "9": {"2": [], "b": {}}}, {"role": "assistant", "content": ""}]`,
    first!.id,
  );
  await db.prisma.$executeRawUnsafe(
    `UPDATE comparison SET context = '{"role": "user", "content": "not a list"}' WHERE id = $1`,
    second!.id,
  );
});
afterAll(async () => {
  await pool?.end();
  await db?.close();
});

function plan(params: Record<string, string>, lines: "database" | "node", batchSize = 2) {
  const q: TExportQuery = ZExportQuery.parse(params);
  const after = params.cursor ? query.decodeCursor(params.cursor) : null;
  return { ...stream.planFromQuery(q, after, SECRET, now, 0), batchSize, lines };
}

async function text(body: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(body).text();
}

async function both(params: Record<string, string>) {
  const format = ZExportQuery.parse(params).format as "native" | "trl" | "hh-rlhf";
  const out = [];
  for (const lines of ["node", "database"] as const) {
    const p = plan(params, lines);
    out.push(
      p.limit === undefined
        ? { body: await text(stream.ndjsonStream(pool, p, format)), nextCursor: null }
        : await stream.ndjsonPage(pool, p, format),
    );
  }
  return out as [
    { body: string; nextCursor: string | null },
    { body: string; nextCursor: string | null },
  ];
}

describe(`lines built by the database on ${TEST_BACKEND}`, () => {
  for (const format of ["native", "trl", "hh-rlhf"])
    for (const margin of ["none", "small", "large"])
      it(`are the bytes formats.ts writes: ${format}, margins ${margin}`, async () => {
        const [node, database] = await both({ format, margin, identical: "include" });
        expect(node.body.split("\n").length).toBe(9); // 8 labels and the final newline
        expect(database.body).toBe(node.body);
      });

  it("a stream stopped after its first chunk leaves the pool working", async () => {
    for (const format of ["native", "trl"] as const) {
      const reader = stream.ndjsonStream(pool, plan({ format }, "database"), format).getReader();
      expect((await reader.read()).value!.length).toBeGreaterThan(0);
      await reader.cancel();
    }
    const [node, database] = await both({ identical: "include" });
    expect(database.body).toBe(node.body);
    expect(pool.totalCount).toBeLessThanOrEqual(4);
  });

  it("filters, pages and their cursors, and resuming after a cursor, are the same", async () => {
    for (const params of [
      { round: "2" },
      { reviewStatus: "approved,unreviewed" },
      { minAgreement: "0.6" },
      { axis: "safety" },
      { limit: "3" },
      { limit: "4", format: "trl" },
    ] as Record<string, string>[]) {
      const [node, database] = await both(params);
      expect(database).toEqual(node);
    }
    const [first] = await both({ limit: "4" });
    const cursor = first.nextCursor!;
    expect(cursor).toBeTruthy();
    const [node, database] = await both({ cursor });
    expect(database.body).toBe(node.body);
    expect(database.body.split("\n").length).toBe(5); // the 4 rows after the 4th
    const [pageNode, pageDb] = await both({ cursor, limit: "2" });
    expect(pageDb).toEqual(pageNode);
  });
});
