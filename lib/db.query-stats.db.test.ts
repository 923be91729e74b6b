// withQueryStats (lib/db.ts): with PAIRWISE_QUERY_STATS set, the statements sent through `prisma`
// in one async call tree are counted, and only those (what bench:annotators prints per request).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";

let db: TTestDatabase;
let dbModule: typeof import("@/lib/db");

beforeAll(async () => {
  process.env.PAIRWISE_QUERY_STATS = "1";
  db = await withTestDatabase();
  dbModule = await import("@/lib/db");
});
afterAll(async () => {
  delete process.env.PAIRWISE_QUERY_STATS;
  await db?.close();
});

describe(`query stats on ${TEST_BACKEND}`, () => {
  it("counts the statements of one call tree, not those of another running at the same time", async () => {
    const { prisma, withQueryStats } = dbModule;
    const [[, other], [, stats]] = await Promise.all([
      withQueryStats(async () => {
        await prisma.user.count();
      }),
      withQueryStats(async () => {
        await prisma.user.count();
        await prisma.round.findMany();
        await prisma.$queryRaw`SELECT 1`;
      }),
    ]);
    expect(other.queries).toBe(1);
    expect(stats.queries).toBe(3);
    expect(stats.ms).toBeGreaterThanOrEqual(0);
  });
});
