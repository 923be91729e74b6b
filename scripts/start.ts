// Starts Pairwise with embedded defaults: the PGlite database server (unless DATABASE_URL is set),
// migrations and seed, the engine, and the web app; prints the URL and the accounts. Ctrl-C stops
// everything. See README "Configuration" for the variables.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildIfChanged } from "@/lib/platform/build";
import { runToEnd, startService, type TService } from "@/lib/platform/services";

/**
 * Concurrent annotators the embedded PGlite serves with a submit p95 under 150 ms on an idle 2-core
 * machine (bench:annotators, 5 s think time: submit p95 94 ms at 50, measured with the cores
 * shared; docs/benchmarks.md, "Data path at team scale").
 * Its one backend runs every query in turn, so past this the queue, not the work, sets latency.
 */
const PGLITE_COMFORTABLE_ANNOTATORS = 50;

const root = path.resolve(import.meta.dirname, "..");
process.chdir(root);
const bin = (name: string) => path.join(root, "node_modules/.bin", name);

const dataDir = path.resolve(process.env.PAIRWISE_DATA_DIR || "data");
const port = Number(process.env.PORT || 3000);
const dev = process.env.PAIRWISE_DEV === "1";
const withEngine = (process.env.PAIRWISE_ENGINE ?? "on") !== "off";
if (!Number.isInteger(port) || port < 1 || port > 65535)
  fail(`PORT must be a port number, got ${process.env.PORT}`);

function fail(message: string): never {
  console.error(`pairwise: ${message}`);
  process.exit(1);
}

/** Secrets generated once per data folder, so sessions survive restarts. */
function loadSecrets(): { authSecret: string; engineToken: string } {
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

/** Builds the web app when sources changed since the last build (lib/platform/build.ts). */
async function buildIfNeeded(env: NodeJS.ProcessEnv) {
  await buildIfChanged(root, env, {
    log: (l) => process.stdout.write(`[build] ${l}\n`),
    announce: () => console.log("pairwise: building the web app (about a minute)…"),
  });
}

async function main() {
  mkdirSync(dataDir, { recursive: true });
  const secrets = loadSecrets();
  const services: TService[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const s of [...services].reverse()) await s.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));
  const watch = (s: TService) => {
    services.push(s);
    s.proc.once("exit", (code, signal) => {
      if (stopping) return;
      console.error(`pairwise: ${s.name} stopped unexpectedly (${signal ?? code}); shutting down`);
      void stopAll(1);
    });
  };

  const url = process.env.BETTER_AUTH_URL || `http://127.0.0.1:${port}`;
  const engineToken = process.env.ENGINE_TOKEN || secrets.engineToken;
  const enginePort = process.env.ENGINE_PORT || "8710";
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: "1",
    PAIRWISE_DATA_DIR: dataDir,
    BETTER_AUTH_URL: url,
    BETTER_AUTH_SECRET: process.env.BETTER_AUTH_SECRET || secrets.authSecret,
    ENGINE_TOKEN: engineToken,
    ENGINE_PORT: enginePort,
    ENGINE_URL: process.env.ENGINE_URL || `http://127.0.0.1:${enginePort}`,
  };

  try {
    if (!env.DATABASE_URL) {
      const db = await startService({
        name: "db",
        command: bin("tsx"),
        args: ["scripts/db-server.ts"],
        env,
        readyPattern: /database listening on (\S+)/,
        timeoutMs: 60_000,
      });
      watch(db);
      env.DATABASE_URL = db.ready[1];
    }
    await runToEnd("migrate", bin("tsx"), ["scripts/migrate.ts", "deploy"], env);
    const seedLines = await runToEnd(
      "seed",
      bin("tsx"),
      ["--conditions=react-server", "scripts/seed.ts"],
      env,
      () => {},
    );
    const accounts = seedLines.filter((l) => l.startsWith("account:"));

    if (withEngine) {
      const engine = await startService({
        name: "engine",
        command: process.env.ENGINE_PYTHON || "/usr/bin/python3",
        args: ["-m", "engine", "serve"],
        env,
        readyPattern: /engine listening on (\S+)/,
        timeoutMs: 180_000,
      });
      watch(engine);
    }

    {
      const worker = await startService({
        name: "worker",
        command: bin("tsx"),
        args: ["--conditions=react-server", "scripts/worker.ts"],
        env,
        readyPattern: /worker ready/,
        timeoutMs: 60_000,
      });
      watch(worker);
    }

    if (!dev) await buildIfNeeded(env);
    const web = await startService({
      name: "web",
      command: bin("next"),
      args: [dev ? "dev" : "start", "-p", String(port), "-H", "127.0.0.1"],
      env: { ...env, NODE_ENV: dev ? "development" : "production" },
      readyPattern: /Ready in|started server|Local:/i,
      timeoutMs: 120_000,
    });
    watch(web);

    console.log(
      [
        "",
        "──────────────────────────────────────────────────────────────",
        ` Pairwise is running at ${url}`,
        ` database: ${process.env.DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : `embedded PGlite in ${path.join(dataDir, "pglite")}`}`,
        ...(process.env.DATABASE_URL
          ? []
          : [
              `           comfortable for about ${PGLITE_COMFORTABLE_ANNOTATORS} annotators at once (submit p95 < 150 ms, idle 2 cores);`,
              "           for more: DATABASE_URL=postgres://user@host:5432/db npm start",
            ]),
        ` engine:   ${withEngine ? env.ENGINE_URL : "off (PAIRWISE_ENGINE=off)"}`,
        ...accounts.map((a) => ` ${a.replace(/^account:\s*/, "")}`),
        " Ctrl-C stops everything.",
        "──────────────────────────────────────────────────────────────",
        "",
      ].join("\n"),
    );
  } catch (error) {
    console.error(
      `pairwise: start failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    await stopAll(1);
  }
}

void main();
