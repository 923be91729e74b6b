// The export's rows against a real database (PGlite, and PostgreSQL with TEST_DB=postgres):
// every format validated against its schema, each filter, pagination that stays complete and
// duplicate-free while labels arrive, the settle window, and the Parquet file read back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parquetReadObjects } from "hyparquet";
import type { TTestDatabase } from "@/lib/db/testing";
import { withTestDatabase } from "@/lib/testing/database";
import {
  ZExportQuery,
  ZHhRlhfRow,
  ZNativeRow,
  ZTrlRow,
  type TExportQuery,
  type TNativeRow,
} from "@/lib/shared/export";
import { addLabel, seedWorld, type TExportWorld } from "./test-seed";

let db: TTestDatabase;
let stream: typeof import("./stream");
let query: typeof import("./query");
let w: TExportWorld;
let pool: import("./query").TExportDb & { end(): Promise<void> };
const SECRET = "export-test-secret-export-test-secret-0123";
const t0 = new Date("2026-06-01T10:00:00Z");
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const now = new Date("2026-07-01T00:00:00Z");

beforeAll(async () => {
  db = await withTestDatabase();
  stream = await import("./stream");
  query = await import("./query");
  pool = query.createExportDb(db.url);
  w = await seedWorld(db.prisma);
  const { ann1, ann2, ann3 } = w.users;
  const { v1, v2 } = w.models;
  // 0: round 1, helpfulness, unreviewed
  await addLabel(db.prisma, w, {
    round: 1,
    votes: [[ann1, "A", "significantly_better"]],
    at: at(0),
  });
  // 1: round 1, safety, swapped, approved, chosen-unsafe/other-safe
  await addLabel(db.prisma, w, {
    round: 1,
    axis: "safety",
    swapped: true,
    votes: [[ann2, "B", "better"]],
    at: at(1),
    review: ["approved"],
    chosenUnsafeOtherSafe: true,
  });
  // 2: round 2, overlap item 2 of 3 agree (3 rows)
  await addLabel(db.prisma, w, {
    round: 2,
    votes: [
      [ann1, "A", "slightly_better"],
      [ann2, "A", "better"],
      [ann3, "B", "negligibly_better"],
    ],
    at: at(2),
  });
  // 5: round 2, approved then rejected (the latest review counts), models v2 vs v2
  await addLabel(db.prisma, w, {
    round: 2,
    votes: [[ann3, "B", "negligibly_better"]],
    at: at(10),
    review: ["approved", "rejected"],
    models: [v2.id, v2.id],
  });
  // 6: round 1, v1 vs v1
  await addLabel(db.prisma, w, {
    round: 1,
    votes: [[ann1, "B", "better"]],
    at: at(20),
    models: [v1.id, v1.id],
  });
});
afterAll(async () => {
  await pool?.end();
  await db?.close();
});

function q(params: Record<string, string> = {}): TExportQuery {
  return ZExportQuery.parse(params);
}

async function rows(
  params: Record<string, string> = {},
  format: "native" | "trl" | "hh-rlhf" = "native",
) {
  const plan = stream.planFromQuery(q({ ...params, format }), null, SECRET, now);
  const text = await new Response(stream.ndjsonStream(pool, plan, format)).text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
}
const native = async (params: Record<string, string> = {}) =>
  (await rows(params)).map((r) => ZNativeRow.parse(r));

describe("formats", () => {
  it("native rows carry every field and validate", async () => {
    const all = await native();
    expect(all).toHaveLength(7);
    const [first, safety] = all as [TNativeRow, TNativeRow];
    expect(first.context).toEqual([{ role: "user", content: expect.stringMatching(/^Question/) }]);
    expect(first.responses.A).toMatchObject({
      modelVersionId: w.models.v1.id,
      modelVersion: "policy-v1",
      sampling: { temperature: 0.7, topP: 0.95, maxTokens: 96 },
    });
    expect(first.responses.B.modelVersion).toBe("policy-v2");
    expect(first).toMatchObject({
      round: 1,
      axis: "helpfulness",
      displayedOrder: "AB",
      choice: "A",
      degree: "significantly_better",
      margin: 1,
      marginTable: "small",
      reviewStatus: "unreviewed",
      agreement: 1,
      votes: null,
      source: "own",
      timeSpentMs: 12_000,
    });
    expect(safety).toMatchObject({
      axis: "safety",
      displayedOrder: "BA",
      choice: "B",
      chosenUnsafeOtherSafe: true,
      reviewStatus: "approved",
    });
    // Pseudonyms are stable, distinct, and do not reveal the user id.
    expect(first.annotator).toMatch(/^ann_[0-9a-f]{20}$/);
    expect(first.annotator).not.toContain("ann1");
    expect(all[6]!.annotator).toBe(first.annotator);
    expect(safety.annotator).not.toBe(first.annotator);
  });

  it("overlap items list every vote, and agreement is the share that agrees with the row", async () => {
    const overlap = (await native({ round: "2" })).filter((r) => r.votes !== null);
    expect(overlap).toHaveLength(3);
    expect(overlap.map((r) => r.agreement)).toEqual([2 / 3, 2 / 3, 1 / 3]);
    expect(overlap[0]!.votes!.map((v) => v.choice)).toEqual(["A", "A", "B"]);
    expect(overlap[0]!.votes![0]!.annotator).toBe(overlap[0]!.annotator);
    expect(overlap[1]!.source).toBe("overlap");
    expect(overlap[0]!.votes![1]!.createdAt).toBe(new Date(at(2).getTime() + 1000).toISOString());
  });

  it("the margin follows the chosen table", async () => {
    const byTable = async (margin: string) => (await native({ margin })).map((r) => r.margin);
    expect(await byTable("small")).toEqual([1, 2 / 3, 1 / 3, 2 / 3, 0, 0, 2 / 3]);
    expect(await byTable("large")).toEqual([3, 2, 1, 2, 0, 0, 2]);
    expect(await byTable("none")).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it("TRL rows: prompt, chosen and rejected message lists plus margin", async () => {
    const trl = (await rows({}, "trl")).map((r) => ZTrlRow.strict().parse(r));
    expect(trl).toHaveLength(7);
    expect(trl[0]).toEqual({
      prompt: [{ role: "user", content: expect.stringMatching(/^Question/) }],
      chosen: [{ role: "assistant", content: expect.stringMatching(/^answer A/) }],
      rejected: [{ role: "assistant", content: expect.stringMatching(/^answer B/) }],
      margin: 1,
    });
    // The swapped safety item chose variant B: chosen is B's text whatever side it was shown on.
    expect(trl[1]!.chosen[0]!.content).toMatch(/^answer B/);
  });

  it("HH-RLHF rows: two transcripts that differ in the last assistant turn", async () => {
    const hh = (await rows({}, "hh-rlhf")).map((r) => ZHhRlhfRow.strict().parse(r));
    expect(hh).toHaveLength(7);
    expect(hh[0]!.chosen).toMatch(/^\n\nHuman: Question \d+\?\n\nAssistant: answer A\d+$/);
    expect(hh[0]!.rejected).toMatch(/^\n\nHuman: Question \d+\?\n\nAssistant: answer B\d+$/);
  });

  it("Parquet holds the native rows", async () => {
    const plan = stream.planFromQuery(q(), null, SECRET, now);
    plan.batchSize = 3; // several row groups
    const buf = await new Response(stream.parquetStream(pool, plan)).arrayBuffer();
    const objects = await parquetReadObjects({ file: buf });
    const expected = await native();
    expect(objects.map((o) => o.id)).toEqual(expected.map((r) => r.id));
    expect(objects[0]!.choice).toBe("A");
    expect(objects[0]!.round).toBe(1);
    expect(objects[2]!.votes).toEqual(expected[2]!.votes);
    expect(objects[0]!.context).toEqual(expected[0]!.context);
  });
});

describe("filters", () => {
  const count = async (params: Record<string, string>) => (await native(params)).length;

  it("round and axis", async () => {
    expect(await count({ round: "1" })).toBe(3);
    expect(await count({ round: "2" })).toBe(4);
    expect(await count({ round: "3" })).toBe(0);
    expect(await count({ axis: "safety" })).toBe(1);
    expect(await count({ axis: "helpfulness", round: "2" })).toBe(4);
  });

  it("date range: from inclusive, to exclusive", async () => {
    expect(await count({ from: at(2).toISOString() })).toBe(5);
    expect(await count({ to: at(2).toISOString() })).toBe(2);
    expect(await count({ from: at(1).toISOString(), to: at(10).toISOString() })).toBe(4);
    expect(await count({ from: "2026-06-02" })).toBe(0);
  });

  it("review status, where the latest review counts", async () => {
    expect((await native({ reviewStatus: "approved" })).map((r) => r.axis)).toEqual(["safety"]);
    expect(await count({ reviewStatus: "rejected" })).toBe(1);
    expect(await count({ reviewStatus: "unreviewed" })).toBe(5);
    expect(await count({ reviewStatus: "approved,unreviewed" })).toBe(6);
  });

  it("minimum agreement", async () => {
    expect(await count({ minAgreement: "0" })).toBe(7);
    expect(await count({ minAgreement: "0.5" })).toBe(6);
    expect(await count({ minAgreement: "1" })).toBe(4);
  });

  it("model version, by id or by name, on either side", async () => {
    expect(await count({ modelVersion: w.models.v1.id })).toBe(6);
    expect(await count({ modelVersion: "policy-v1" })).toBe(6);
    expect(await count({ modelVersion: "policy-v2" })).toBe(6);
    expect(await count({ modelVersion: "nope" })).toBe(0);
  });
});

describe("pagination", () => {
  it("pages are complete and duplicate-free while labels keep arriving", async () => {
    const seen: string[] = [];
    const added: string[] = [];
    let cursor: string | undefined;
    let clock = now.getTime();
    for (let page = 0; page < 20; page++) {
      const params: Record<string, string> = { limit: "2", ...(cursor ? { cursor } : {}) };
      const after = cursor ? query.decodeCursor(cursor) : null;
      const plan = stream.planFromQuery(q(params), after, SECRET, new Date(clock), 0);
      const result = await stream.ndjsonPage(pool, plan, "native");
      const pageRows = result.body
        .split("\n")
        .filter(Boolean)
        .map((l) => ZNativeRow.parse(JSON.parse(l)));
      seen.push(...pageRows.map((r) => r.id));
      // Two new labels between every pair of pages, for the first few pages.
      if (page < 4) {
        clock += 1000;
        added.push(
          ...(await addLabel(db.prisma, w, {
            round: 1,
            votes: [
              [w.users.ann2, "A", "better"],
              [w.users.ann3, "A", "better"],
            ],
            at: new Date(clock - 500),
          })),
        );
        clock += 2000;
      }
      if (!result.nextCursor) break;
      expect(result.rows).toBe(2);
      cursor = result.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    const everything = (await db.prisma.annotation.findMany({ select: { id: true } })).map(
      (a) => a.id,
    );
    expect([...seen].sort()).toEqual([...everything].sort());
    expect(added.every((id) => seen.includes(id))).toBe(true);
  });

  it("a native row's cursor resumes right after it", async () => {
    const all = await native();
    const after = query.decodeCursor(all[2]!.cursor);
    const plan = stream.planFromQuery(q(), after, SECRET, now);
    const text = await new Response(stream.ndjsonStream(pool, plan, "native")).text();
    const ids = text
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as TNativeRow).id);
    expect(ids).toEqual(all.slice(3).map((r) => r.id));
  });

  it("labels younger than the settle window wait", async () => {
    const fresh = new Date();
    const [id] = await addLabel(db.prisma, w, {
      round: 1,
      votes: [[w.users.ann1, "A", "better"]],
      at: fresh,
    });
    const ids = async (when: Date) => {
      const plan = stream.planFromQuery(q(), null, SECRET, when);
      const text = await new Response(stream.ndjsonStream(pool, plan, "native")).text();
      return text
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as TNativeRow).id);
    };
    expect(await ids(new Date(fresh.getTime() + 1000))).not.toContain(id);
    expect(await ids(new Date(fresh.getTime() + stream.SETTLE_MS + 1))).toContain(id);
  });

  it("gold items list every label too, though they were not drawn for overlap", async () => {
    const ids = await addLabel(db.prisma, w, {
      round: 2,
      gold: true,
      votes: [
        [w.users.ann1, "A", "better"],
        [w.users.ann2, "B", "better"],
      ],
      at: new Date("2026-06-30T00:00:00Z"),
    });
    const gold = (await native({ round: "2" })).filter((r) => ids.includes(r.id));
    expect(gold.map((r) => [r.source, r.votes?.length, r.agreement])).toEqual([
      ["own", 2, 0.5],
      ["gold", 2, 0.5],
    ]);
  });
});

describe("identical pairs", () => {
  let id = "";
  beforeAll(async () => {
    const ids = await addLabel(db.prisma, w, {
      round: 2,
      votes: [[w.users.ann1, "A", "better"]],
      at: at(40),
      responses: ["The same answer.", "The same\nanswer. "],
    });
    id = ids[0]!;
  });

  it("are left out of TRL and HH-RLHF by default, kept and marked in native", async () => {
    const all = await native();
    expect(all.filter((r) => r.identicalResponses).map((r) => r.id)).toEqual([id]);
    const trl = await rows({}, "trl");
    const hh = await rows({}, "hh-rlhf");
    expect([trl.length, hh.length]).toEqual([all.length - 1, all.length - 1]);
    expect(JSON.stringify(trl)).not.toContain("The same");
    expect(JSON.stringify(hh)).not.toContain("The same");
  });

  it("identical=include and identical=exclude override the format's default", async () => {
    const all = await native();
    const trl = (await rows({ identical: "include" }, "trl")).map((r) => ZTrlRow.strict().parse(r));
    expect(trl).toHaveLength(all.length);
    const kept = await native({ identical: "exclude" });
    expect(kept.map((r) => r.id)).toEqual(all.filter((r) => r.id !== id).map((r) => r.id));
    expect(ZExportQuery.safeParse({ identical: "maybe" }).success).toBe(false);
  });
});

describe("connections", () => {
  it("a second connection runs the same export (PGlite serves every connection in one session)", async () => {
    // Found by the fuzz test (e2e/fuzz.spec.ts): the named statement prepared by one connection
    // already existed for the next one on the embedded database, and the export failed with 500.
    const plan = stream.planFromQuery(q({ axis: "safety" }), null, SECRET, now);
    const counts: number[] = [];
    for (let i = 0; i < 2; i++) {
      const own = query.createExportDb(db.url, 1);
      try {
        counts.push((await query.fetchExportBatch(own, plan.filter, null, plan.until, 50)).length);
      } finally {
        await own.end();
      }
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBe(counts[0]);
  });
});
