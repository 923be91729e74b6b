// The comparison lifecycle: each move from the states it may come from, a refusal from any other,
// and no other module writes Comparison.status.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";

let db: TTestDatabase;
let l: typeof import("./lifecycle");

beforeAll(async () => {
  db = await withTestDatabase();
  l = await import("./lifecycle");
});
afterAll(async () => {
  await db?.close();
});

async function newComparison(sampled: boolean) {
  const round = await db.prisma.round.findFirst();
  const roundId =
    round?.id ?? (await db.prisma.round.create({ data: { number: 1, name: "lc", config: {} } })).id;
  const prompt = await db.prisma.prompt.create({ data: { text: "p", source: "seed", tags: [] } });
  return db.prisma.comparison.create({
    data: {
      roundId,
      promptId: prompt.id,
      axis: "helpfulness",
      context: [],
      samplingA: {},
      samplingB: {},
      swapped: false,
      status: l.initialStatus(sampled),
    },
  });
}

/** The submit's move (`labelledSql`) for a comparison with `labels` of `wanted` labels. */
const labelled = (comparisonId: string, labels: number, wanted: number) =>
  db.prisma.$queryRaw`WITH t AS (SELECT ${comparisonId} AS "comparisonId", ${labels}::int AS labels,
    ${wanted}::int AS wanted), moved AS (${l.labelledSql()}) SELECT count(*)::int AS n FROM moved`;

const statusOf = async (id: string) =>
  (await db.prisma.comparison.findUniqueOrThrow({ where: { id } })).status;

describe("the comparison moves", () => {
  it("has a move out of every state but the final ones and into every state but its start", () => {
    for (const s of l.COMPARISON_STATES)
      expect(l.COMPARISON_MOVES[s].length > 0).toBe(!l.FINAL_STATES.includes(s));
    const reachable = new Set(Object.values(l.COMPARISON_MOVES).flat());
    expect([...reachable].sort()).toEqual([...l.COMPARISON_STATES].sort());
    expect(l.canMove("complete", "ready")).toBe(true); // undo
    expect(l.canMove("complete", "failed")).toBe(false);
    expect(l.canMove("failed", "ready")).toBe(false);
    expect(l.canMove("generating", "dropped")).toBe(true);
    expect(l.canMove("ready", "dropped")).toBe(false);
  });

  it("is written by lifecycle.ts only", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        // Test fixtures (test-seed.ts, lib/testing) write finished comparisons directly.
        else if (/\.tsx?$/.test(name) && !/(\.test|test-seed)\.ts$/.test(name)) files.push(p);
      }
    };
    walk("lib/server");
    walk("app");
    const writers = files.filter((f) => {
      if (f.endsWith(path.join("annotation", "lifecycle.ts"))) return false;
      const text = readFileSync(f, "utf8");
      return (
        /comparison\.(update|updateMany|upsert)\(\{[^;]*?\bstatus:/s.test(text) ||
        /comparison\.create\(\{[^;]*?\bstatus: "/s.test(text)
      );
    });
    expect(writers).toEqual([]);
  });
});

describe(`comparison lifecycle on ${TEST_BACKEND}`, () => {
  it("walks generating → failed → generating → ready → complete → ready (undo) → complete", async () => {
    const c = await newComparison(false);
    expect(c.status).toBe("generating");
    await l.samplingFailed(db.prisma, c.id, "engine down");
    expect(await statusOf(c.id)).toBe("failed");
    await l.startSampling(db.prisma, c.id);
    const restarted = await db.prisma.comparison.findUniqueOrThrow({ where: { id: c.id } });
    expect([restarted.status, restarted.error]).toEqual(["generating", null]);
    await l.pairSampled(db.prisma, c.id, { responseA: "a", responseB: "b" });
    expect(await statusOf(c.id)).toBe("ready");
    await labelled(c.id, 1, 2); // one of two labels: still ready
    expect(await statusOf(c.id)).toBe("ready");
    await labelled(c.id, 2, 2);
    expect(await statusOf(c.id)).toBe("complete");
    await l.labelUndone(db.prisma, c.id);
    expect(await statusOf(c.id)).toBe("ready");
    await labelled(c.id, 1, 1);
    expect(await statusOf(c.id)).toBe("complete");
  });

  it("drops a pair whose responses stayed identical, for good, with its reason", async () => {
    const c = await newComparison(false);
    await l.pairDropped(db.prisma, c.id, "identical after 3 resamples", 3);
    const dropped = await db.prisma.comparison.findUniqueOrThrow({ where: { id: c.id } });
    expect([dropped.status, dropped.error, dropped.resamples]).toEqual([
      "dropped",
      "identical after 3 resamples",
      3,
    ]);
    await expect(l.startSampling(db.prisma, c.id)).rejects.toThrow(/cannot become generating/);
    const ready = await newComparison(true);
    await expect(l.pairDropped(db.prisma, ready.id, "x", 0)).rejects.toThrow(
      /cannot become dropped/,
    );
  });

  it("refuses a move from a state it may not come from", async () => {
    const c = await newComparison(true);
    expect(c.status).toBe("ready");
    await expect(l.samplingFailed(db.prisma, c.id, "x")).rejects.toThrow(/cannot become failed/);
    await expect(l.startSampling(db.prisma, c.id)).rejects.toThrow(/cannot become generating/);
    const g = await newComparison(false);
    expect(await labelled(g.id, 1, 1)).toEqual([{ n: 0 }]); // a label on nothing sampled moves nothing
    await expect(l.labelUndone(db.prisma, g.id)).rejects.toThrow(/cannot become ready/);
    expect(await statusOf(g.id)).toBe("generating");
  });
});
