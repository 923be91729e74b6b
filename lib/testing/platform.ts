// The platform's processes started one by one on chosen ports — database server (PGlite, unless
// a PostgreSQL URL is given), engine, worker, web — each of which can be killed (kill -9 included)
// and started again on the same ports and data folder. Used by the fault test (e2e/faults.spec.ts),
// the load benchmark (scripts/bench/load.ts) and anything else that needs a whole platform it
// controls; scripts/start.ts is the production counterpart (one command, one platform).
//
//   const p = await startPlatform({ dataDir, webPort: 3300 });
//   await p.web.kill();      // SIGKILL, like a crash
//   await p.web.start();     // same port, same data
//   await p.stop();
//
// The web process runs `next start` on the production build (.next); `ensureBuild()` builds one
// when it is missing (or, with `rebuildIfChanged`, when the sources changed since). No Node-side server-only imports: usable from Playwright too.
// The TypeScript processes run as `node --import tsx …`, one process each: the tsx command would
// start a second Node process that a SIGKILL to the first leaves running.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildIfChanged } from "@/lib/platform/build";
import { runToEnd, startService, type TService } from "@/lib/platform/services";

const root = path.resolve(import.meta.dirname, "../..");
const bin = (name: string) => path.join(root, "node_modules/.bin", name);

export type TProcessName = "db" | "engine" | "worker" | "web";

/** One platform process: started, killed and started again with the same command. */
export type TPlatformProcess = {
  name: TProcessName;
  running: () => boolean;
  pid: () => number | undefined;
  /** Starts it and waits for its readiness line. */
  start: () => Promise<void>;
  /** Sends `signal` (default SIGKILL: a crash) and waits until the process is gone. */
  kill: (signal?: NodeJS.Signals) => Promise<void>;
  /** kill, then start. */
  restart: (signal?: NodeJS.Signals) => Promise<void>;
};

export type TPlatformOptions = {
  /** Data folder (created); PGlite files, secrets, job artifacts. */
  dataDir: string;
  webPort: number;
  enginePort?: number;
  pglitePort?: number;
  /** A PostgreSQL URL: no database process is started and this database is used. */
  databaseUrl?: string;
  /** Which processes to start (default all). The database and migrations always come first. */
  engine?: boolean;
  worker?: boolean;
  web?: boolean;
  /**
   * Build the web app again when its sources changed since the last build (benchmarks: they must
   * measure the checkout's code). Default: build only when none exists — a platform started beside
   * another one that serves the same build (the e2e suite's) must not rebuild it under that one.
   */
  rebuildIfChanged?: boolean;
  /** Extra environment for every process (ADMIN_EMAIL, ADMIN_PASSWORD, …). */
  env?: Record<string, string | undefined>;
  /** Each process's output lines; default: dropped. */
  log?: (name: TProcessName | "migrate" | "seed", line: string) => void;
};

export type TPlatform = {
  baseUrl: string;
  databaseUrl: string;
  env: NodeJS.ProcessEnv;
  db: TPlatformProcess | null;
  engine: TPlatformProcess;
  worker: TPlatformProcess;
  web: TPlatformProcess;
  /** Stops everything (SIGTERM, then SIGKILL after 10 s), web first, database last. */
  stop: () => Promise<void>;
};

function secretsFor(dataDir: string): { authSecret: string; engineToken: string } {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file))
    return JSON.parse(readFileSync(file, "utf8")) as { authSecret: string; engineToken: string };
  const secrets = {
    authSecret: randomBytes(32).toString("base64url"),
    engineToken: randomBytes(24).toString("base64url"),
  };
  writeFileSync(file, JSON.stringify(secrets) + "\n", { mode: 0o600 });
  return secrets;
}

/**
 * Builds the web app when none exists, or (`ifChanged`) when its sources changed since the last
 * build, as the start command does (lib/platform/build.ts).
 */
export async function ensureBuild(
  log: (line: string) => void = () => {},
  ifChanged = false,
): Promise<void> {
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  await buildIfChanged(root, env, { log, onlyIfMissing: !ifChanged });
}

function processHandle(
  name: TProcessName,
  spec: () => Parameters<typeof startService>[0],
): TPlatformProcess {
  let service: TService | null = null;
  const running = () =>
    service !== null && service.proc.exitCode === null && service.proc.signalCode === null;
  const handle: TPlatformProcess = {
    name,
    running,
    pid: () => (running() ? service?.proc.pid : undefined),
    start: async () => {
      if (running()) throw new Error(`${name} is already running`);
      service = await startService({ cwd: root, ...spec() });
    },
    kill: async (signal = "SIGKILL") => {
      if (!service) return;
      await service.stop(signal);
    },
    restart: async (signal = "SIGKILL") => {
      await handle.kill(signal);
      await handle.start();
    },
  };
  return handle;
}

/** Starts the platform's processes (database, migrations and seed, engine, worker, web). */
export async function startPlatform(opts: TPlatformOptions): Promise<TPlatform> {
  const dataDir = path.resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const secrets = secretsFor(dataDir);
  const enginePort = opts.enginePort ?? opts.webPort + 2000;
  const pglitePort = opts.pglitePort ?? opts.webPort + 1000;
  const baseUrl = `http://127.0.0.1:${opts.webPort}`;
  const log = opts.log ?? (() => {});
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...opts.env,
    NEXT_TELEMETRY_DISABLED: "1",
    PAIRWISE_DATA_DIR: dataDir,
    PGLITE_PORT: String(pglitePort),
    BETTER_AUTH_URL: baseUrl,
    BETTER_AUTH_SECRET: opts.env?.BETTER_AUTH_SECRET || secrets.authSecret,
    ENGINE_TOKEN: opts.env?.ENGINE_TOKEN || secrets.engineToken,
    ENGINE_PORT: String(enginePort),
    ENGINE_URL: `http://127.0.0.1:${enginePort}`,
    OMP_WAIT_POLICY: "PASSIVE",
  };
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  else delete env.DATABASE_URL;

  const db = opts.databaseUrl
    ? null
    : processHandle("db", () => ({
        name: "db",
        command: process.execPath,
        args: ["--import", "tsx", "scripts/db-server.ts"],
        env,
        readyPattern: /database listening on (\S+)/,
        timeoutMs: 60_000,
        log: (l) => log("db", l),
      }));
  const engine = processHandle("engine", () => ({
    name: "engine",
    command: env.ENGINE_PYTHON || "/usr/bin/python3",
    args: ["-m", "engine", "serve"],
    env,
    readyPattern: /engine listening on (\S+)/,
    timeoutMs: 180_000,
    log: (l) => log("engine", l),
  }));
  const worker = processHandle("worker", () => ({
    name: "worker",
    command: process.execPath,
    args: ["--import", "tsx", "--conditions=react-server", "scripts/worker.ts"],
    env,
    readyPattern: /worker ready/,
    timeoutMs: 60_000,
    log: (l) => log("worker", l),
  }));
  const web = processHandle("web", () => ({
    name: "web",
    command: bin("next"),
    args: ["start", "-p", String(opts.webPort), "-H", "127.0.0.1"],
    env: { ...env, NODE_ENV: "production" },
    readyPattern: /Ready in|started server|Local:/i,
    timeoutMs: 120_000,
    log: (l) => log("web", l),
  }));

  const started: TPlatformProcess[] = [];
  const stop = async () => {
    for (const p of [web, worker, engine, db]) if (p) await p.kill("SIGTERM");
  };
  try {
    if (db) {
      await db.start();
      started.push(db);
      env.DATABASE_URL = `postgresql://postgres@127.0.0.1:${pglitePort}/postgres`;
    }
    await runToEnd(
      "migrate",
      bin("tsx"),
      [path.join(root, "scripts/migrate.ts"), "deploy"],
      env,
      (l) => log("migrate", l),
    );
    await runToEnd(
      "seed",
      bin("tsx"),
      ["--conditions=react-server", path.join(root, "scripts/seed.ts")],
      env,
      (l) => log("seed", l),
    );
    // The engine and the web app start side by side (both take seconds); the worker needs neither.
    await Promise.all([
      opts.engine === false ? null : engine.start(),
      opts.worker === false ? null : worker.start(),
      opts.web === false
        ? null
        : ensureBuild((l) => log("web", l), opts.rebuildIfChanged).then(() => web.start()),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, databaseUrl: env.DATABASE_URL!, env, db, engine, worker, web, stop };
}

/** Waits until `check` returns a value other than undefined/false, polling every `everyMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false | null>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
