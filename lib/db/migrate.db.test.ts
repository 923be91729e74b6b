// Migrations through the Wasm schema engine, on each backend (TEST_DB, see lib/db/testing.ts).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, checkDrift, createMigration, migrationStatus } from "@/lib/db/migrate";
import { emptyDatabase, testBackends, type TEmptyDatabase } from "@/lib/db/testing";

const SCHEMA = path.resolve("prisma/schema.prisma");
const MIGRATIONS = path.resolve("prisma/migrations");

describe.each(testBackends())("migrations on %s", (backend) => {
  let db: TEmptyDatabase;
  beforeAll(async () => {
    db = await emptyDatabase(backend);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("apply to an empty database, then report it up to date", async () => {
    const before = await migrationStatus(db.url);
    expect(before.hasMigrationsTable).toBe(false);
    expect(before.upToDate).toBe(false);

    const started = performance.now();
    const applied = await applyMigrations(db.url);
    console.log(
      `[${backend}] applied ${applied.length} migration(s) in ${Math.round(performance.now() - started)} ms`,
    );
    expect(applied).toEqual(
      fs
        .readdirSync(MIGRATIONS)
        .filter((f) => !f.endsWith(".toml"))
        .sort(),
    );

    const after = await migrationStatus(db.url);
    expect(after).toMatchObject({ hasMigrationsTable: true, history: null, upToDate: true });
    expect(await applyMigrations(db.url)).toEqual([]);
  });

  it("build exactly the schema (no drift)", async () => {
    expect(await checkDrift(db.url)).toEqual([]);
  });

  it("stop at a failing migration with the database's reason", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pairwise-bad-migration-"));
    try {
      fs.mkdirSync(path.join(dir, "20000101000000_bad"));
      fs.writeFileSync(
        path.join(dir, "20000101000000_bad", "migration.sql"),
        "SELECT * FROM no_such_table;",
      );
      fs.writeFileSync(path.join(dir, "migration_lock.toml"), 'provider = "postgresql"\n');
      const scratch = await emptyDatabase(backend);
      try {
        await expect(applyMigrations(scratch.url, { migrationsDir: dir })).rejects.toThrow(
          /no_such_table/,
        );
        expect(
          (await migrationStatus(scratch.url, { migrationsDir: dir })).failedMigrationNames,
        ).toEqual(["20000101000000_bad"]);
      } finally {
        await scratch.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("with a schema change", () => {
    let dir: string;
    const options = () => ({
      schemaPath: path.join(dir, "schema.prisma"),
      migrationsDir: path.join(dir, "migrations"),
    });
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "pairwise-migrate-"));
      fs.cpSync(MIGRATIONS, path.join(dir, "migrations"), { recursive: true });
      const changed = fs
        .readFileSync(SCHEMA, "utf8")
        .replace("  overlapOf   String?\n", "  overlapOf   String?\n  driftProbe  Int?\n");
      expect(changed).toContain("driftProbe");
      fs.writeFileSync(path.join(dir, "schema.prisma"), changed);
    });
    afterAll(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("reports the drift, then creates a migration that removes it", async () => {
      const drift = await checkDrift(db.url, options());
      expect(drift.join("\n")).toMatch(/comparison/);
      expect(drift.join("\n")).toMatch(/driftProbe/);

      const name = await createMigration(db.url, "drift_probe", options());
      expect(name).toMatch(/^\d{14}_drift_probe$/);
      const sql = fs.readFileSync(path.join(dir, "migrations", name!, "migration.sql"), "utf8");
      expect(sql).toContain('ALTER TABLE "comparison" ADD COLUMN     "driftProbe" INTEGER;');
      expect(
        fs.readFileSync(path.join(dir, "migrations", "migration_lock.toml"), "utf8"),
      ).toContain('provider = "postgresql"');

      expect(await checkDrift(db.url, options())).toEqual([]);
      expect((await migrationStatus(db.url, options())).upToDate).toBe(true);
      expect(await createMigration(db.url, "nothing", options())).toBeNull();
    });
  });
});
