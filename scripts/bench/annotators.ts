// Benchmark: N concurrent annotators (default 50) against the embedded default, through the same
// HTTP API as the browser. Prints p50/p95/p99 of "get the next item" and "submit".
//
//   npm run bench:annotators [-- --annotators 50 --pairs 40 --seconds 60]
//
// It starts its own platform (fresh data folder, embedded PGlite, real engine), creates the
// annotators, has one annotator sample `pairs` real pairs through the engine, then marks those
// comparisons to be labelled by every annotator (overlap), so each client loops next → submit
// without waiting on the CPU engine: the measured path is assignment and submission.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createPrisma } from "@/lib/db";
import { startService } from "@/lib/platform/services";
import { generatePairWaitingOutLimit, percentile, platformClient, signIn } from "./http-client";

const { values } = parseArgs({
  options: {
    annotators: { type: "string", default: "50" },
    pairs: { type: "string", default: "40" },
    seconds: { type: "string", default: "60" },
    port: { type: "string", default: "3200" },
    "pglite-port": { type: "string", default: "54350" },
    "engine-port": { type: "string", default: "8750" },
    /** Mean pause between items, as a person reads and decides (0 = saturation test). */
    "think-ms": { type: "string", default: "2000" },
  },
});
const N = Number(values.annotators);
const PAIRS = Number(values.pairs);
const SECONDS = Number(values.seconds);
const PORT = Number(values.port);
const PGLITE_PORT = Number(values["pglite-port"]);
const ENGINE_PORT = Number(values["engine-port"]);
const THINK_MS = Number(values["think-ms"]);
if (
  ![N, PAIRS, SECONDS, PORT, PGLITE_PORT, ENGINE_PORT].every((x) => Number.isInteger(x) && x > 0) ||
  !(THINK_MS >= 0)
) {
  console.error(
    "--annotators, --pairs, --seconds, --port, --pglite-port and --engine-port must be positive integers, --think-ms ≥ 0",
  );
  process.exit(2);
}

const root = path.resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(path.join(os.tmpdir(), "pairwise-bench-"));
const base = `http://127.0.0.1:${PORT}`;
const admin = { email: "admin@bench.test", password: "bench-admin-password" };

function row(name: string, ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(1).padStart(8);
  return `| ${name.padEnd(10)} | ${String(s.length).padStart(6)} | ${f(percentile(s, 50))} | ${f(percentile(s, 95))} | ${f(percentile(s, 99))} | ${f(s.at(-1) ?? NaN)} |`;
}

/** Statements per request from the web log, counted while the clients run. */
const queryStats: Record<string, { requests: number; queries: number; ms: number }> = {};
let measuring = false;

function statsLine(path: string): string {
  const q = queryStats[path];
  if (!q?.requests) return `${path}: no query stats in the web log`;
  return `${path}: ${(q.queries / q.requests).toFixed(1)} statements per request (session lookup included), ${(q.ms / q.requests).toFixed(1)} ms of database time per request as Prisma reports it (${q.requests} requests)`;
}

async function main() {
  console.log(`starting the platform in ${dataDir} …`);
  const platform = await startService({
    name: "platform",
    command: path.join(root, "node_modules/.bin/tsx"),
    args: ["scripts/start.ts"],
    cwd: root,
    env: {
      ...process.env,
      PORT: String(PORT),
      PAIRWISE_DATA_DIR: dataDir,
      PGLITE_PORT: String(PGLITE_PORT),
      ENGINE_PORT: String(ENGINE_PORT),
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      // The web process logs the statements of each tRPC request (lib/db.ts withQueryStats).
      PAIRWISE_QUERY_STATS: "1",
      // The clients stand for many people at many addresses (X-Forwarded-For, set per client), as
      // behind one reverse proxy: otherwise the per-address sign-in limit refuses all but 30.
      PAIRWISE_TRUSTED_PROXIES: "1",
    },
    readyPattern: /Pairwise is running at/,
    timeoutMs: 600_000,
    log: (line) => {
      const m = /\[query-stats\] (annotation\.(?:next|submit)) queries=(\d+) ms=([\d.]+)/.exec(
        line,
      );
      if (m && measuring) {
        const q = (queryStats[m[1]!] ??= { requests: 0, queries: 0, ms: 0 });
        q.requests += 1;
        q.queries += Number(m[2]);
        q.ms += Number(m[3]);
      }
    },
  });
  const db = createPrisma(`postgresql://postgres@127.0.0.1:${PGLITE_PORT}/postgres`);
  try {
    const adminClient = platformClient(base, await signIn(base, admin.email, admin.password));
    const users = [];
    // Annotators 0…N-1 are measured; annotator N samples the pairs.
    for (let i = 0; i <= N; i++) {
      const email = `bench-${i}@bench.test`;
      await adminClient.users.create.mutate({
        name: `Bench ${i}`,
        email,
        password: "bench-password-1",
        role: "annotator",
      });
      users.push(email);
    }
    const cookies = await Promise.all(
      users.map((email, i) => signIn(base, email, "bench-password-1", `127.0.1.${i + 1}`)),
    );
    const sampler = platformClient(base, cookies[N]!);
    const clients = cookies.slice(0, N).map((c) => platformClient(base, c));

    // Real pairs from the engine, sampled by the sampler (who then skips each, so the item
    // returns to the pool unlabelled).
    console.log(`sampling ${PAIRS} pairs through the engine …`);
    const t0 = performance.now();
    for (let i = 0; i < PAIRS; i++) {
      const item = await sampler.annotation.start.mutate({
        axis: i % 2 ? "safety" : "helpfulness",
        source: {
          kind: "write",
          prompt: { text: `Benchmark prompt ${i}: what is ${i} + ${i * 3}?`, adversarial: false },
        },
      });
      // A dropped pair (identical responses) was let go by the server already.
      if ((await generatePairWaitingOutLimit(base, cookies[N]!, item.comparisonId)) === "done")
        await sampler.annotation.skip.mutate({ assignmentId: item.assignmentId, reason: "other" });
    }
    const sampleSeconds = (performance.now() - t0) / 1000;
    // Bench setup: every annotator labels every pair (as overlap), so the pool stays full.
    await db.comparison.updateMany({ data: { annotationsWanted: N + 1 } });

    console.log(`${N} annotators labelling for up to ${SECONDS} s …`);
    const nextMs: number[] = [];
    const submitMs: number[] = [];
    let errors = 0;
    const deadline = Date.now() + SECONDS * 1000;
    measuring = true;
    await Promise.all(
      clients.map(async (client, i) => {
        let k = 0;
        // People do not all click at the same millisecond: stagger the first request.
        if (THINK_MS > 0) await new Promise((r) => setTimeout(r, THINK_MS * Math.random()));
        while (Date.now() < deadline) {
          let t = performance.now();
          const item = await client.annotation.next.mutate();
          nextMs.push(performance.now() - t);
          if (!item) break; // labelled everything
          // Reading and deciding: uniform in [0.5, 1.5] × the mean.
          if (THINK_MS > 0)
            await new Promise((r) => setTimeout(r, THINK_MS * (0.5 + Math.random())));
          t = performance.now();
          try {
            await client.annotation.submit.mutate({
              assignmentId: item.assignmentId,
              idempotencyKey: `bench-${i}-${k++}`,
              chosenSide: Math.random() < 0.5 ? "left" : "right",
              degree: "better",
              safety: item.axis === "safety" ? "both_safe" : undefined,
              flags: [],
              timeSpentMs: 1000,
            });
            submitMs.push(performance.now() - t);
          } catch (e) {
            errors += 1;
            console.error(e instanceof Error ? e.message : e);
          }
        }
      }),
    );
    measuring = false;
    const stored = await db.annotation.count();
    console.log(
      [
        "",
        `${N} concurrent annotators, think time ${THINK_MS} ms, embedded PGlite, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg()[0]!.toFixed(1)}`,
        `pairs sampled through the engine: ${PAIRS} in ${sampleSeconds.toFixed(1)} s`,
        "",
        "| request    |      n |  p50 ms |  p95 ms |  p99 ms |  max ms |",
        "|------------|--------|---------|---------|---------|---------|",
        row("next item", nextMs),
        row("submit", submitMs),
        "",
        `submits ok: ${submitMs.length}, failed: ${errors}, annotations stored: ${stored}, ` +
          `throughput ${((nextMs.length + submitMs.length) / SECONDS).toFixed(1)} requests/s`,
        statsLine("annotation.next"),
        statsLine("annotation.submit"),
      ].join("\n"),
    );
    if (stored !== submitMs.length) {
      console.error(
        `MISMATCH: ${submitMs.length} submits acknowledged but ${stored} annotations stored`,
      );
      process.exitCode = 1;
    }
  } finally {
    await db.$disconnect();
    await platform.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
