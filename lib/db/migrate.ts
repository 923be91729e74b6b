// Offline migrations: Prisma's WebAssembly schema engine driven through the `pg` driver adapter.
// The native engine would be downloaded on first use, which this network cannot do; the Wasm build
// is an npm package. It reads and writes the same prisma/migrations folders and
// migration_lock.toml as the Prisma CLI, so `prisma migrate` still works where the native engine is
// available. Follows prisma/prisma packages/migrate (SchemaEngineWasm.ts, the CLI's migrations
// directory reader and writer).
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  type ErrorRegistry,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import * as engineBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import type {
  DiagnoseMigrationHistoryOutput,
  DiffTarget,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
} from "@prisma/schema-engine-wasm";
import { startPgliteServer } from "@/lib/db/pglite-server";

export interface TMigrateOptions {
  /** Defaults to prisma/schema.prisma under the working directory. */
  schemaPath?: string;
  /** Defaults to prisma/migrations under the working directory. */
  migrationsDir?: string;
}

export interface TMigrationStatus {
  /** Folder names under prisma/migrations, in order. */
  localMigrations: string[];
  hasMigrationsTable: boolean;
  /** null when the database has exactly the local migrations applied. */
  history: DiagnoseMigrationHistoryOutput["history"];
  failedMigrationNames: string[];
  editedMigrationNames: string[];
  upToDate: boolean;
}

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };
const LOCKFILE = "migration_lock.toml";

function resolvePaths(options: TMigrateOptions) {
  return {
    schemaPath: path.resolve(options.schemaPath ?? "prisma/schema.prisma"),
    migrationsDir: path.resolve(options.migrationsDir ?? "prisma/migrations"),
  };
}

// ───────────────────────────── the Wasm engine ─────────────────────────────

let engineReady = false;

/**
 * The package is built for bundlers (`import * as wasm from "./x.wasm"`), which Node 20 cannot
 * import: instantiate the module by hand with the JS glue as its import object, as a bundler would.
 */
function initEngineWasm(): void {
  if (engineReady) return;
  const require = createRequire(import.meta.url);
  const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const bytes = fs.readFileSync(path.join(path.dirname(gluePath), "schema_engine_bg.wasm"));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    "./schema_engine_bg.js": engineBindings as unknown as WebAssembly.ModuleImports,
  });
  engineBindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  engineReady = true;
}

/**
 * Engine errors that come from the adapter arrive as "External error id#N"; the real error waits
 * in the adapter's registry under N.
 */
function explainEngineError(e: unknown, registry: ErrorRegistry): Error {
  const message = e instanceof Error ? e.message : String(e);
  const match = /External error id#(\d+)/.exec(message);
  if (match) {
    const record = registry.consumeError(Number(match[1]));
    if (record) {
      const inner = record.error as
        { message?: string; cause?: unknown; kind?: string } | undefined;
      const cause = inner?.cause as { message?: string; originalMessage?: string } | undefined;
      const detail =
        cause?.originalMessage ?? cause?.message ?? inner?.message ?? JSON.stringify(record.error);
      return new Error(`schema engine: ${detail}`, { cause: record.error });
    }
  }
  return e instanceof Error ? e : new Error(message);
}

/** Runs `fn` with an engine connected to `url`, freeing it afterwards. */
async function withEngine<T>(
  url: string,
  schema: { path: string; content: string } | undefined,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  initEngineWasm();
  const factory = new MigrationAdapterFactory(url);
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  let engine: SchemaEngine;
  try {
    engine = await engineBindings.SchemaEngine.new(
      { datamodels: schema ? [[schema.path, schema.content]] : undefined },
      () => {},
      adapter,
    );
  } catch (e) {
    await factory.disposeAll();
    throw explainEngineError(e, adapter.errorRegistry);
  }
  try {
    return await fn(engine);
  } catch (e) {
    throw explainEngineError(e, adapter.errorRegistry);
  } finally {
    engine.free();
    await factory.disposeAll();
  }
}

// ───────────────────────────── the driver adapter ─────────────────────────────

/**
 * A pg client that reports Postgres' one-byte `"char"` type (OID 18, used by the catalog tables
 * the engine introspects) as text: @prisma/adapter-pg 7.10 rejects it as an unsupported type.
 */
class CharAsTextClient extends pg.Client {
  override query(...args: unknown[]): never {
    const patch = (result: unknown) => {
      for (const r of Array.isArray(result) ? result : [result]) {
        for (const field of (r as pg.QueryResult | undefined)?.fields ?? []) {
          if (field.dataTypeID === 18) field.dataTypeID = 25;
        }
      }
      return result;
    };
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (err: unknown, result: unknown) =>
        last(err, err ? result : patch(result));
    }
    const ret = (super.query as (...a: unknown[]) => unknown).apply(this, args);
    if (ret instanceof Promise) return ret.then(patch) as never;
    return ret as never;
  }
}

function poolConfig(url: string): pg.PoolConfig {
  return { connectionString: url, Client: CharAsTextClient as unknown as typeof pg.Client };
}

/** The database named in a postgres:// URL replaced by `database`. */
export function urlWithDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function isPglite(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>("select version() as version");
    return /wasm32|emscripten/i.test(rows[0]?.version ?? "");
  } finally {
    await client.end();
  }
}

/**
 * Main connection plus a shadow database for the commands that replay migrations (create, drift).
 * PrismaPg's own shadow database is lost when the config is a connection string (the URL's
 * database wins over `database`), so the URL is rewritten instead. PGlite serves one database
 * whatever the URL names, so its shadow is a temporary in-memory PGlite on a free port.
 */
class MigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName = "@prisma/adapter-pg";
  /**
   * Every connection handed to the engine. `free()` does not close them, and an open one keeps
   * the engine's advisory lock, so the next command on the database would wait 10 s for it.
   */
  private readonly opened: SqlDriverAdapter[] = [];

  constructor(private readonly url: string) {}

  async connect(): Promise<SqlDriverAdapter> {
    return this.track(await new PrismaPg(poolConfig(this.url)).connect(), async () => {});
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    if (await isPglite(this.url)) {
      const shadow = await startPgliteServer({ port: 0 });
      return this.track(await new PrismaPg(poolConfig(shadow.url)).connect(), () => shadow.close());
    }
    const name = `pairwise_shadow_${randomBytes(6).toString("hex")}`;
    await adminQuery(this.url, `CREATE DATABASE "${name}"`);
    const adapter = await new PrismaPg(poolConfig(urlWithDatabase(this.url, name))).connect();
    return this.track(adapter, () =>
      adminQuery(this.url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    );
  }

  /** Closes whatever the engine left open. */
  async disposeAll(): Promise<void> {
    await Promise.all(this.opened.map((adapter) => adapter.dispose()));
  }

  /** Makes `dispose` idempotent and run `cleanup` after closing the pool. */
  private track(adapter: SqlDriverAdapter, cleanup: () => Promise<void>): SqlDriverAdapter {
    const dispose = adapter.dispose.bind(adapter);
    let disposing: Promise<void> | undefined;
    adapter.dispose = () =>
      (disposing ??= (async () => {
        try {
          await dispose();
        } finally {
          await cleanup();
        }
      })());
    this.opened.push(adapter);
    return adapter;
  }
}

/** One statement on its own connection (CREATE/DROP DATABASE cannot run in a transaction). */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// ───────────────────────────── the migrations folder ─────────────────────────────

/** The folder as the CLI reads it: sorted migration folders, each with its migration.sql. */
function readMigrationsList(migrationsDir: string): MigrationList {
  const lockPath = path.join(migrationsDir, LOCKFILE);
  const lockContent = fs.existsSync(lockPath) ? fs.readFileSync(lockPath, "utf8") : null;
  const entries = fs.existsSync(migrationsDir)
    ? fs.readdirSync(migrationsDir, { withFileTypes: true })
    : [];
  const migrationDirectories = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => {
      const file = path.join(migrationsDir, name, "migration.sql");
      let content: MigrationList["migrationDirectories"][number]["migrationFile"]["content"];
      try {
        content = { tag: "ok", value: fs.readFileSync(file, "utf8") };
      } catch (e) {
        content = { tag: "error", value: (e as Error).message };
      }
      return { path: name, migrationFile: { path: "migration.sql", content } };
    });
  return {
    baseDir: migrationsDir,
    lockfile: { path: LOCKFILE, content: lockContent },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

/** What the folder builds; the engine needs migration_lock.toml for a folder, so none yet is "empty". */
function migrationsSource(list: MigrationList): DiffTarget {
  return list.migrationDirectories.length === 0 ? { tag: "empty" } : { tag: "migrations", ...list };
}

function readSchema(schemaPath: string) {
  return { path: schemaPath, content: fs.readFileSync(schemaPath, "utf8") };
}

// ───────────────────────────── commands ─────────────────────────────

/** Applies every pending migration (`prisma migrate deploy`); returns the names applied. */
export async function applyMigrations(
  url: string,
  options: TMigrateOptions = {},
): Promise<string[]> {
  const { migrationsDir } = resolvePaths(options);
  const migrationsList = readMigrationsList(migrationsDir);
  return withEngine(url, undefined, async (engine) => {
    // On an empty database the engine fails with "_prisma_migrations does not exist" unless an
    // empty list is applied first, which creates the table.
    await engine.applyMigrations({
      migrationsList: { ...migrationsList, migrationDirectories: [] },
      filters: NO_FILTER,
    });
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList,
      filters: NO_FILTER,
    });
    return appliedMigrationNames;
  });
}

/**
 * Writes prisma/migrations/<timestamp>_<name>/migration.sql for the difference between the
 * migrations folder and the schema (`prisma migrate dev --name`), then applies pending migrations
 * to `url`. Returns the new folder name, or null when the schema has no changes.
 *
 * The Wasm engine's own createMigration cannot reach a shadow database for PostgreSQL (it does not
 * pass the adapter factory on: "PostgreSQL shadow DB must be provided through an external
 * factory"), so the script comes from `diff` (migrations → schema), which does; both render the
 * same SQL. The folder name uses the CLI's UTC timestamp format, %Y%m%d%H%M%S.
 */
export async function createMigration(
  url: string,
  name: string,
  options: TMigrateOptions = {},
): Promise<string | null> {
  const { schemaPath, migrationsDir } = resolvePaths(options);
  const schema = readSchema(schemaPath);
  const migrationsList = readMigrationsList(migrationsDir);
  const out = await withEngine(url, undefined, (engine) =>
    engine.diff({
      from: migrationsSource(migrationsList),
      to: { tag: "schemaDatamodel", files: [schema] },
      script: true,
      exitCode: true,
      filters: NO_FILTER,
    }),
  );
  if (out.exitCode === 0 || !out.stdout) return null;
  const folderName = `${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}_${name}`;
  const folder = path.join(migrationsDir, folderName);
  if (fs.existsSync(folder)) throw new Error(`The migration directory already exists at ${folder}`);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, "migration.sql"), out.stdout, "utf8");
  // Same text the CLI writes.
  fs.writeFileSync(
    path.join(migrationsDir, LOCKFILE),
    '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
    "utf8",
  );
  await applyMigrations(url, options);
  return folderName;
}

/** How the database's applied migrations compare with the folder (`prisma migrate status`). */
export async function migrationStatus(
  url: string,
  options: TMigrateOptions = {},
): Promise<TMigrationStatus> {
  const { migrationsDir } = resolvePaths(options);
  const migrationsList = readMigrationsList(migrationsDir);
  const out = await withEngine(url, undefined, (engine) =>
    engine.diagnoseMigrationHistory({
      migrationsList,
      optInToShadowDatabase: false,
      filters: NO_FILTER,
    }),
  );
  return {
    localMigrations: migrationsList.migrationDirectories.map((d) => d.path),
    hasMigrationsTable: out.hasMigrationsTable,
    history: out.history,
    failedMigrationNames: out.failedMigrationNames,
    editedMigrationNames: out.editedMigrationNames,
    upToDate:
      out.hasMigrationsTable &&
      out.history === null &&
      out.failedMigrationNames.length === 0 &&
      out.editedMigrationNames.length === 0,
  };
}

/**
 * Differences between the schema and what the migrations folder builds (replayed on a shadow
 * database reached through `url`), one human-readable line each; empty when they agree.
 */
export async function checkDrift(url: string, options: TMigrateOptions = {}): Promise<string[]> {
  const { schemaPath, migrationsDir } = resolvePaths(options);
  const schema = readSchema(schemaPath);
  const migrationsList = readMigrationsList(migrationsDir);
  const out = await withEngine(url, undefined, (engine) =>
    engine.diff({
      from: migrationsSource(migrationsList),
      to: { tag: "schemaDatamodel", files: [schema] },
      script: false,
      exitCode: true,
      filters: NO_FILTER,
    }),
  );
  if (out.exitCode === 0) return [];
  return (out.stdout ?? "")
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "");
}
