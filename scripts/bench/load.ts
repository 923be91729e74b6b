// Load: N concurrent simulated annotators (default 200) for S seconds (default 300), against the
// embedded default (PGlite) and against PostgreSQL (a fresh database), through the same HTTP API
// as the browser. Each client loops: next item → (sample the pair through the engine if it has
// none) → think → submit with an idempotency key, retrying network errors and 5xx with the same
// key, and keeps a log of every submit. At the end each client's log is reconciled with the
// database: every acknowledged submit stored exactly once (zero lost), no label stored twice or
// without a log entry (zero duplicated), no refused submit stored. Prints p50/p95/p99 of "next
// item", "submit" and "sample a pair", and a markdown table for docs/benchmarks.md.
//
//   npm run bench:load [-- --annotators 200 --seconds 300 --think-ms 10000 --pairs 60
//                          --backend both|pglite|postgres --port 3210
//                          --pglite-port 54351 --engine-port 8751]
//
// As in bench:annotators, the engine's generation on CPU is the bottleneck for new pairs, so a
// sampler first samples `pairs` real pairs and those are opened to every annotator (overlap); a
// client that has labelled them all starts dialogues of its own and samples through the engine.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { TRPCClientError } from "@trpc/client";
import pg from "pg";
import { startPlatform, type TPlatform } from "@/lib/testing/platform";
import {
  generatePair,
  generatePairWaitingOutLimit,
  percentile,
  platformClient,
  signIn,
} from "./http-client";

const { values } = parseArgs({
  options: {
    annotators: { type: "string", default: "200" },
    seconds: { type: "string", default: "300" },
    pairs: { type: "string", default: "60" },
    port: { type: "string", default: "3210" },
    "pglite-port": { type: "string", default: "54351" },
    "engine-port": { type: "string", default: "8751" },
    /** Mean pause between getting an item and submitting it (a person reading and deciding). */
    "think-ms": { type: "string", default: "10000" },
    backend: { type: "string", default: "both" },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    keep: { type: "boolean", default: false },
  },
});
const N = Number(values.annotators);
const SECONDS = Number(values.seconds);
const PAIRS = Number(values.pairs);
const PORT = Number(values.port);
const PGLITE_PORT = Number(values["pglite-port"]);
const ENGINE_PORT = Number(values["engine-port"]);
const THINK_MS = Number(values["think-ms"]);
const BACKENDS = (values.backend === "both" ? ["pglite", "postgres"] : [values.backend]) as (
  "pglite" | "postgres"
)[];
if (
  ![N, SECONDS, PAIRS, PORT, PGLITE_PORT, ENGINE_PORT].every((x) => Number.isInteger(x) && x > 0) ||
  !(THINK_MS >= 0) ||
  !BACKENDS.every((b) => b === "pglite" || b === "postgres")
) {
  console.error(
    "--annotators, --seconds, --pairs, --port, --pglite-port, --engine-port: positive integers; --think-ms ≥ 0; --backend both|pglite|postgres",
  );
  process.exit(2);
}

const admin = { email: "admin@load.test", password: "load-admin-password" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type TSubmitLog = {
  key: string;
  assignmentId: string;
  /** acked: the server answered with the annotation; refused: a 4xx (nothing stored); lost: no answer after retries. */
  outcome: "acked" | "refused" | "unanswered";
  annotationId?: string;
  attempts: number;
  error?: string;
};

type TResult = {
  backend: string;
  nextMs: number[];
  submitMs: number[];
  sampleMs: number[];
  logs: TSubmitLog[][];
  retries: number;
  clientErrors: string[];
  stored: number;
  lost: string[];
  duplicated: string[];
  phantom: string[];
  refusedButStored: string[];
  unansweredStored: number;
  seconds: number;
  load: number[];
  setupSeconds: number;
  loopDelayP99Ms: number;
};

/** 4xx from the server: a refusal. Anything else (no answer, 5xx) may be retried with the same key. */
function httpStatus(error: unknown): number | null {
  if (error instanceof TRPCClientError) {
    const s = (error.data as { httpStatus?: number } | undefined)?.httpStatus;
    return typeof s === "number" ? s : null;
  }
  return null;
}

async function runBackend(backend: "pglite" | "postgres"): Promise<TResult> {
  const t0 = performance.now();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `pairwise-load-${backend}-`));
  let databaseUrl: string | undefined;
  let dbName: string | undefined;
  if (backend === "postgres") {
    dbName = `pairwise_load_${Date.now()}`;
    const c = new pg.Client({ connectionString: values["pg-url"] });
    await c.connect();
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.end();
    const u = new URL(values["pg-url"]!);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  console.log(`[${backend}] starting the platform in ${dataDir} …`);
  let platform: TPlatform | undefined;
  try {
    platform = await startPlatform({
      dataDir,
      // Measure the checkout's code: build again when it changed since the last build.
      rebuildIfChanged: true,
      webPort: PORT,
      pglitePort: PGLITE_PORT,
      enginePort: ENGINE_PORT,
      databaseUrl,
      worker: false,
      // The web process logs each tRPC request's statements (lib/db.ts withQueryStats).
      env: {
        ADMIN_EMAIL: admin.email,
        ADMIN_PASSWORD: admin.password,
        PAIRWISE_QUERY_STATS: "1",
        // Many clients at many addresses (X-Forwarded-For), as behind one reverse proxy.
        PAIRWISE_TRUSTED_PROXIES: "1",
      },
      log: (name, line) => {
        const m =
          /\[query-stats\] (annotation\.(?:next|submit)) queries=(\d+) ms=[\d.]+ handler=([\d.]+)/.exec(
            line,
          );
        if (name !== "web" || !m) return;
        const q = (queryStats[`${backend} ${m[1]}`] ??= { requests: 0, queries: 0, handlerMs: [] });
        q.requests += 1;
        q.queries += Number(m[2]);
        // Only the measured phase's requests, as for the client's percentiles.
        if (measuring) q.handlerMs.push(Number(m[3]));
      },
    });
    return await measure(backend, platform, t0);
  } finally {
    await platform?.stop();
    if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
    if (dbName && !values.keep) {
      const c = new pg.Client({ connectionString: values["pg-url"] });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    }
  }
}

async function measure(
  backend: "pglite" | "postgres",
  platform: TPlatform,
  t0: number,
): Promise<TResult> {
  const base = platform.baseUrl;
  const db = new pg.Pool({ connectionString: platform.databaseUrl, max: 2 });
  try {
    const adminClient = platformClient(base, await signIn(base, admin.email, admin.password));
    // Annotators 0…N-1 are measured; annotator N samples the shared pairs.
    console.log(`[${backend}] creating ${N + 1} annotators …`);
    const emails: string[] = [];
    for (let i = 0; i <= N; i++) {
      const email = `load-${i}@load.test`;
      await adminClient.users.create.mutate({
        name: `Load ${i}`,
        email,
        password: "load-password-1",
        role: "annotator",
      });
      emails.push(email);
    }
    const cookies: string[] = [];
    for (let i = 0; i <= N; i += 20)
      cookies.push(
        ...(await Promise.all(
          emails
            .slice(i, i + 20)
            .map((e, j) =>
              signIn(
                base,
                e,
                "load-password-1",
                `10.1.${Math.floor((i + j) / 250)}.${(i + j) % 250}`,
              ),
            ),
        )),
      );
    const ids = new Map<string, number>(); // user id → client index
    {
      const rows = await db.query<{ id: string; email: string }>(
        `SELECT id, email FROM "user" WHERE email LIKE 'load-%@load.test'`,
      );
      for (const r of rows.rows) ids.set(r.id, Number(/load-(\d+)@/.exec(r.email)![1]));
    }

    console.log(`[${backend}] sampling ${PAIRS} pairs through the engine …`);
    const sampler = platformClient(base, cookies[N]!);
    for (let i = 0; i < PAIRS; i++) {
      const item = await sampler.annotation.start.mutate({
        axis: i % 2 ? "safety" : "helpfulness",
        source: {
          kind: "write",
          prompt: { text: `Load prompt ${i}: what is ${i} + ${i * 3}?`, adversarial: false },
        },
      });
      // A dropped pair (identical responses) was let go by the server already.
      if ((await generatePairWaitingOutLimit(base, cookies[N]!, item.comparisonId)) === "done")
        await sampler.annotation.skip.mutate({ assignmentId: item.assignmentId, reason: "other" });
    }
    // Every annotator may label every shared pair (overlap), so the pool stays full.
    await db.query(`UPDATE comparison SET "annotationsWanted" = $1`, [N + 1]);
    const setupSeconds = (performance.now() - t0) / 1000;

    console.log(
      `[${backend}] ${N} annotators for ${SECONDS} s, think time ${THINK_MS} ms (setup took ${setupSeconds.toFixed(0)} s) …`,
    );
    const nextMs: number[] = [];
    const submitMs: number[] = [];
    const sampleMs: number[] = [];
    const clientErrors: string[] = [];
    const logs: TSubmitLog[][] = Array.from({ length: N }, () => []);
    const load: number[] = [];
    let retries = 0;
    const loadTimer = setInterval(() => load.push(os.loadavg()[0]!), 10_000);
    const start = Date.now();
    const deadline = start + SECONDS * 1000;
    measuring = true;
    loopDelay.reset();
    loopDelay.enable();

    await Promise.all(
      cookies.slice(0, N).map(async (cookie, i) => {
        const client = platformClient(base, cookie);
        let k = 0;
        await sleep(Math.random() * Math.min(THINK_MS, 10_000)); // people do not all start at once
        while (Date.now() < deadline) {
          try {
            let t = performance.now();
            let item = await client.annotation.next.mutate();
            nextMs.push(performance.now() - t);
            if (!item) {
              // Labelled every shared pair: a dialogue of its own, sampled through the engine.
              item = await client.annotation.start.mutate({
                source: {
                  kind: "write",
                  prompt: { text: `Client ${i} asks: what is ${k} + ${i}?`, adversarial: false },
                },
              });
            }
            if (item.status !== "ready" && item.status !== "complete") {
              t = performance.now();
              const outcome = await generatePair(base, cookie, item.comparisonId);
              sampleMs.push(performance.now() - t);
              if (outcome === "dropped") continue; // identical responses: the server let it go
            }
            if (THINK_MS > 0) await sleep(THINK_MS * (0.5 + Math.random()));
            const entry: TSubmitLog = {
              key: `load-${i}-${k++}`,
              assignmentId: item.assignmentId,
              outcome: "unanswered",
              attempts: 0,
            };
            logs[i]!.push(entry);
            for (;;) {
              entry.attempts += 1;
              t = performance.now();
              try {
                const r = await client.annotation.submit.mutate({
                  assignmentId: item.assignmentId,
                  idempotencyKey: entry.key,
                  chosenSide: Math.random() < 0.5 ? "left" : "right",
                  degree: "better",
                  safety: item.axis === "safety" ? "both_safe" : undefined,
                  flags: [],
                  timeSpentMs: 1000,
                });
                submitMs.push(performance.now() - t);
                entry.outcome = "acked";
                entry.annotationId = r.annotationId;
                break;
              } catch (error) {
                const status = httpStatus(error);
                entry.error = error instanceof Error ? error.message : String(error);
                if (status !== null && status < 500) {
                  entry.outcome = "refused";
                  break;
                }
                if (entry.attempts >= 5) break; // stays "unanswered"
                retries += 1;
                await sleep(500 * entry.attempts);
              }
            }
          } catch (error) {
            clientErrors.push(error instanceof Error ? error.message : String(error));
            await sleep(1000);
          }
        }
      }),
    );
    clearInterval(loadTimer);
    measuring = false;
    loopDelay.disable();
    const loopDelayP99Ms = loopDelay.percentile(99) / 1e6;
    const seconds = (Date.now() - start) / 1000;

    // Reconcile every client's log with the database.
    const rows = (
      await db.query<{
        id: string;
        annotatorId: string;
        idempotencyKey: string;
        assignmentId: string;
      }>(`SELECT id, "annotatorId", "idempotencyKey", "assignmentId" FROM annotation`)
    ).rows.filter((r) => ids.has(r.annotatorId) && ids.get(r.annotatorId)! < N);
    const byKey = new Map<string, typeof rows>();
    for (const r of rows) byKey.set(r.idempotencyKey, [...(byKey.get(r.idempotencyKey) ?? []), r]);
    const logged = new Map(logs.flat().map((e) => [e.key, e]));
    const lost: string[] = [];
    const duplicated: string[] = [];
    const refusedButStored: string[] = [];
    let unansweredStored = 0;
    for (const e of logged.values()) {
      const stored = byKey.get(e.key) ?? [];
      if (stored.length > 1) duplicated.push(e.key);
      if (e.outcome === "acked" && (stored.length !== 1 || stored[0]!.id !== e.annotationId))
        lost.push(e.key);
      if (e.outcome === "refused" && stored.length > 0) refusedButStored.push(e.key);
      if (e.outcome === "unanswered" && stored.length > 0) unansweredStored += 1;
    }
    const phantom = [...byKey.keys()].filter((key) => !logged.has(key));
    // One label per annotator per assignment, and per comparison.
    const perAssignment = new Map<string, number>();
    for (const r of rows)
      perAssignment.set(r.assignmentId, (perAssignment.get(r.assignmentId) ?? 0) + 1);
    for (const [a, n] of perAssignment) if (n > 1) duplicated.push(`assignment ${a} ×${n}`);
    const perComparison = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM annotation a JOIN assignment s ON s.id = a."assignmentId"
        GROUP BY s."comparisonId", a."annotatorId" HAVING count(*) > 1) d`,
    );
    if (Number(perComparison.rows[0]!.n) > 0)
      duplicated.push(`${perComparison.rows[0]!.n} comparisons labelled twice by one annotator`);

    return {
      backend,
      nextMs,
      submitMs,
      sampleMs,
      logs,
      retries,
      clientErrors,
      stored: rows.length,
      lost,
      duplicated,
      phantom,
      refusedButStored,
      unansweredStored,
      seconds,
      load,
      setupSeconds,
      loopDelayP99Ms,
    };
  } finally {
    await db.end();
  }
}

/** Statements per request by "backend path", from the web log. */
const queryStats: Record<string, { requests: number; queries: number; handlerMs: number[] }> = {};
/** True while the annotators run (the web log's handler times outside it are setup). */
let measuring = false;
/** The benchmark process's own event-loop delay while the annotators run: time a client waited to be served here. */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
function serverPcts(backend: string, path: string): string {
  const q = queryStats[`${backend} ${path}`];
  return q?.handlerMs.length ? pcts(q.handlerMs) : "?";
}
function perRequest(backend: string, path: string): string {
  const q = queryStats[`${backend} ${path}`];
  return q?.requests ? (q.queries / q.requests).toFixed(1) : "?";
}

const f = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en") : "–");
function pcts(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  return `${f(percentile(s, 50))} / ${f(percentile(s, 95))} / ${f(percentile(s, 99))}`;
}

function summary(r: TResult): string {
  const all = r.logs.flat();
  const acked = all.filter((e) => e.outcome === "acked").length;
  const refused = all.filter((e) => e.outcome === "refused").length;
  const unanswered = all.filter((e) => e.outcome === "unanswered").length;
  const requests = r.nextMs.length + r.submitMs.length;
  return [
    `[${r.backend}] ${r.seconds.toFixed(0)} s, load average ${r.load.length ? `${Math.min(...r.load).toFixed(1)}–${Math.max(...r.load).toFixed(1)}` : os.loadavg()[0]!.toFixed(1)}`,
    `  next item  n=${r.nextMs.length}  p50/p95/p99 ms ${pcts(r.nextMs)}  max ${f(Math.max(...r.nextMs))}`,
    `  submit     n=${r.submitMs.length}  p50/p95/p99 ms ${pcts(r.submitMs)}  max ${f(Math.max(...r.submitMs))}`,
    `  sample     n=${r.sampleMs.length}  p50/p95/p99 ms ${pcts(r.sampleMs)}`,
    `  submits: ${acked} acknowledged, ${refused} refused (4xx), ${unanswered} unanswered after 5 tries (${r.unansweredStored} of them stored); ${r.retries} retries`,
    `  statements per request (setup included, session lookup included): next ${perRequest(r.backend, "annotation.next")}, submit ${perRequest(r.backend, "annotation.submit")}`,
    `  in the web server's handler, p50/p95/p99 ms: next ${serverPcts(r.backend, "annotation.next")}, submit ${serverPcts(r.backend, "annotation.submit")}; this process's event-loop delay p99 ${f(r.loopDelayP99Ms)} ms`,
    `  stored ${r.stored}; lost ${r.lost.length}, duplicated ${r.duplicated.length}, stored without a log entry ${r.phantom.length}, refused but stored ${r.refusedButStored.length}`,
    `  ${(requests / r.seconds).toFixed(1)} requests/s; client errors (next/start/sample): ${r.clientErrors.length}${r.clientErrors.length ? ` e.g. ${r.clientErrors[0]!.slice(0, 160)}` : ""}`,
    ...[...new Set(all.filter((e) => e.outcome !== "acked").map((e) => e.error?.slice(0, 120)))]
      .slice(0, 3)
      .map((e) => `  refusal: ${e}`),
  ].join("\n");
}

function markdownRow(r: TResult): string {
  const all = r.logs.flat();
  const acked = all.filter((e) => e.outcome === "acked").length;
  const load = r.load.length
    ? `${Math.min(...r.load).toFixed(1)}–${Math.max(...r.load).toFixed(1)}`
    : "?";
  return `| ${r.backend === "pglite" ? "embedded PGlite" : "PostgreSQL 15"} | ${N} × ${r.seconds.toFixed(0)} s | ${pcts(r.nextMs)} | ${pcts(r.submitMs)} | ${r.sampleMs.length} × ${pcts(r.sampleMs)} | ${((r.nextMs.length + r.submitMs.length) / r.seconds).toFixed(1)} | ${acked} / ${r.stored} | ${r.lost.length} / ${r.duplicated.length} | ${load} |`;
}

async function main() {
  console.log(
    `load: ${N} annotators × ${SECONDS} s, think ${THINK_MS} ms, ${PAIRS} shared pairs; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  const results: TResult[] = [];
  for (const b of BACKENDS) {
    const r = await runBackend(b);
    results.push(r);
    console.log(summary(r));
  }
  console.log(
    [
      "",
      "| backend | annotators × time | next p50 / p95 / p99 ms | submit p50 / p95 / p99 ms | pairs sampled × p50 / p95 / p99 ms | requests/s | submits acked / stored | lost / duplicated | load average |",
      "|---|---|---|---|---|---|---|---|---|",
      ...results.map(markdownRow),
    ].join("\n"),
  );
  const bad = results.some(
    (r) => r.lost.length || r.duplicated.length || r.phantom.length || r.refusedButStored.length,
  );
  if (bad) {
    for (const r of results)
      if (r.lost.length || r.duplicated.length || r.phantom.length)
        console.error(
          `[${r.backend}] MISMATCH lost ${r.lost.slice(0, 5).join(", ")} duplicated ${r.duplicated.slice(0, 5).join(", ")} phantom ${r.phantom.slice(0, 5).join(", ")}`,
        );
    process.exitCode = 1;
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
