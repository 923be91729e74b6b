// The embedded server: many clients at once through one PGlite, and the refusals that protect it.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPgliteServer } from "@/lib/db/pglite-server";
import { withPgliteDatabase, type TTestDatabase } from "@/lib/db/testing";

describe("PGlite socket server", () => {
  let db: TTestDatabase;
  beforeAll(async () => {
    db = await withPgliteDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it("runs 8 concurrent interactive transactions through Prisma without losing an update", async () => {
    const round = await db.prisma.round.create({
      data: { number: 1, name: "r", config: { n: 0 } },
    });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Each transaction reads, waits while the others run, then writes: read-modify-write that
    // only adds up if the server keeps each transaction's statements together.
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        db.prisma.$transaction(
          async (tx) => {
            const current = await tx.round.findUniqueOrThrow({ where: { id: round.id } });
            await sleep(50);
            const n = (current.config as { n: number }).n + 1;
            await tx.round.update({ where: { id: round.id }, data: { config: { n } } });
            await tx.prompt.create({ data: { text: `from transaction ${i}`, source: "seed" } });
            return n;
          },
          { maxWait: 20_000, timeout: 20_000 },
        ),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const after = await db.prisma.round.findUniqueOrThrow({ where: { id: round.id } });
    expect(after.config).toEqual({ n: 8 });
    expect(await db.prisma.prompt.count()).toBe(8);
  });

  it("answers many parameterised queries from a pool of connections, each with its own result", async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 10 });
    try {
      const rows = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          pool.query<{ v: number; s: string }>("select $1::int as v, repeat('x', $2::int) as s", [
            i,
            i % 7,
          ]),
        ),
      );
      rows.forEach((r, i) => expect(r.rows[0]).toEqual({ v: i, s: "x".repeat(i % 7) }));
    } finally {
      await pool.end();
    }
  });
});

describe("PGlite server refusals", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pairwise-pglite-"));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a data folder that another live server holds", async () => {
    const dataDir = path.join(dir, "nested", "pglite");
    const first = await startPgliteServer({ dataDir, port: 0 });
    try {
      await expect(startPgliteServer({ dataDir, port: 0 })).rejects.toThrow(
        /in use by another database server/,
      );
    } finally {
      await first.close();
    }
    // Released on close: a new server may open it.
    const second = await startPgliteServer({ dataDir, port: 0 });
    await second.close();
  });

  it("takes over a lock left by a process that is gone", async () => {
    const dataDir = path.join(dir, "stale");
    fs.writeFileSync(`${dataDir}.lock`, "2147483646");
    const server = await startPgliteServer({ dataDir, port: 0 });
    await server.close();
    expect(fs.existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it("refuses a port that is taken, before opening the database", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(startPgliteServer({ dataDir: path.join(dir, "busy"), port })).rejects.toThrow(
        `port ${port} on 127.0.0.1 is already in use`,
      );
      expect(fs.existsSync(path.join(dir, "busy.lock"))).toBe(false);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
