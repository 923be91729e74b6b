// A real engine (`python -m engine serve`) for the worker's DB suites, on a free port with its
// own data folder, started and killed from the test. `testEngine()` points this process at it
// (ENGINE_URL, ENGINE_TOKEN, PAIRWISE_DATA_DIR) before anything reads them, so call it first in
// beforeAll; `start()` may be called again after `stop()` (same port, same data: a restart).
// `engineSuite()` is the whole set-up of such a suite: engine, seeded test database, teardown.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { freePort } from "@/lib/db/pglite-server";
import type { TTestDatabase } from "@/lib/db/testing";
import { startService, type TService } from "@/lib/platform/services";
import { withTestDatabase } from "@/lib/testing/database";

export type TTestEngine = {
  /** The engine's data folder (job artifacts under `jobs/<id>`). */
  dataDir: string;
  /** Starts the engine and waits for its readiness line. */
  start: () => Promise<void>;
  /** Kills it (default SIGKILL: a crash) if running. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
};

export async function testEngine(name: string): Promise<TTestEngine> {
  const port = await freePort();
  const token = `${name}-test-token-${randomBytes(12).toString("hex")}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `pairwise-${name}-`));
  process.env.PAIRWISE_DATA_DIR = dataDir;
  process.env.ENGINE_URL = `http://127.0.0.1:${port}`;
  process.env.ENGINE_TOKEN = token;
  let proc: TService | undefined;
  return {
    dataDir,
    start: async () => {
      proc = await startService({
        name: "engine",
        command: "/usr/bin/python3",
        args: ["-m", "engine", "serve"],
        env: {
          ...process.env,
          OMP_WAIT_POLICY: "PASSIVE",
          ENGINE_PORT: String(port),
          ENGINE_TOKEN: token,
          PAIRWISE_DATA_DIR: dataDir,
        },
        readyPattern: /engine listening on/,
        timeoutMs: 120_000,
        log: () => {},
      });
    },
    stop: async (signal = "SIGKILL") => {
      await proc?.stop(signal);
    },
  };
}

export type TEngineSuite = {
  /** The test database (set in beforeAll). */
  readonly db: TTestDatabase;
  /** The engine (set in beforeAll). */
  readonly engine: TTestEngine;
};

/**
 * Registers the suite's beforeAll / afterAll: a real engine named `name` (see testEngine), a test
 * database (PGlite or PostgreSQL, lib/testing/database.ts), `seed()` run against it, then the
 * engine started; afterwards the engine killed and the database closed. Read `db` and `engine`
 * from the returned object inside hooks and tests.
 */
export function engineSuite(name: string, seed: () => Promise<void>): TEngineSuite {
  let db: TTestDatabase | undefined;
  let engine: TTestEngine | undefined;
  beforeAll(async () => {
    engine = await testEngine(name);
    db = await withTestDatabase();
    await seed();
    await engine.start();
  }, 240_000);
  afterAll(async () => {
    await engine?.stop();
    await db?.close();
  });
  return {
    get db() {
      if (!db) throw new Error("engineSuite: the database is set in beforeAll");
      return db;
    },
    get engine() {
      if (!engine) throw new Error("engineSuite: the engine is set in beforeAll");
      return engine;
    },
  };
}
