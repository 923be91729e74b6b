// Prisma's WebAssembly schema engine, connected to PostgreSQL or the PGlite server through the
// `pg` driver adapter. lib/db/migrate.ts drives it; this file holds what it takes to run it on
// Node and these databases (see prisma/prisma packages/migrate/src/SchemaEngineWasm.ts).
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
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import { startPgliteServer } from "@/lib/db/pglite-server";

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
export async function withEngine<T>(
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
