// First start: accounts are created once, passwords generated and saved privately; prompts are
// seeded idempotently.
import { mkdtemp, readFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";

let db: TTestDatabase;
beforeAll(async () => {
  db = await withTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe(`seed on ${TEST_BACKEND}`, () => {
  it("creates an admin and an annotator once, with generated passwords kept in a private file", async () => {
    const { ensureInitialAccounts } = await import("@/lib/seed/accounts");
    const dir = await mkdtemp(path.join(os.tmpdir(), "pairwise-seed-"));
    const cfg = { ADMIN_EMAIL: "first@seed.test", ANNOTATOR_EMAIL: "ann@seed.test" };
    const first = await ensureInitialAccounts(db.prisma, dir, cfg);
    expect(first.map((a) => [a.role, a.email])).toEqual([
      ["admin", "first@seed.test"],
      ["annotator", "ann@seed.test"],
    ]);
    expect(first.every((a) => (a.password ?? "").length >= 12)).toBe(true);
    const file = path.join(dir, "initial-credentials.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(first);

    const again = await ensureInitialAccounts(db.prisma, dir, cfg);
    expect(again).toEqual(first);
    expect(await db.prisma.user.count()).toBe(2);
  });

  it("takes passwords from the environment without writing them down", async () => {
    const { ensureInitialAccounts } = await import("@/lib/seed/accounts");
    await db.prisma.user.deleteMany({});
    const dir = await mkdtemp(path.join(os.tmpdir(), "pairwise-seed-"));
    const accounts = await ensureInitialAccounts(db.prisma, dir, {
      ADMIN_EMAIL: "env@seed.test",
      ADMIN_PASSWORD: "from-the-environment",
      ANNOTATOR_EMAIL: "ann2@seed.test",
      ANNOTATOR_PASSWORD: "also-from-the-env",
    });
    expect(accounts.map((a) => a.password)).toEqual([null, null]);
    expect(await readFile(path.join(dir, "initial-credentials.json"), "utf8")).not.toContain(
      "from-the-environment",
    );
  });

  it("seeds prompts once, tagged", async () => {
    const { seedPrompts, SEED_PROMPTS } = await import("@/lib/seed/prompts");
    expect(await seedPrompts(db.prisma)).toBe(SEED_PROMPTS.length);
    expect(await seedPrompts(db.prisma)).toBe(0);
    const unsafe = await db.prisma.prompt.findMany({ where: { isSafety: true } });
    expect(unsafe.length).toBeGreaterThanOrEqual(3);
    expect(unsafe.every((p) => p.riskCategory && p.tags.includes(p.riskCategory))).toBe(true);
  });
});
