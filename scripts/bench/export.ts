// Benchmark: exporting comparisons as NDJSON from PostgreSQL through the real route handler.
//
//   npm run bench:export [-- --comparisons 1000000 --format native,trl,parquet --before
//                           --keep | --database pairwise_bench_export_…]
//
// It creates a fresh database on the PostgreSQL server (TEST_POSTGRES_URL, default
// postgresql://postgres@127.0.0.1:5432/postgres), applies the migrations, seeds synthetic rows in
// bulk with INSERT … SELECT generate_series (10 % of comparisons carry a second, overlap label, 20 %
// of labels are reviewed), then calls the GET handler of app/api/v1/comparisons/route.ts in this
// process with a real API key — the same code `next start` runs, minus Next's HTTP layer — and
// reads the streamed body to the end, counting rows and bytes and sampling the RSS every 100 ms.
// Each export runs in a process of its own (forked with the same Node flags), which loads the
// route's modules and serves one small page first (the API key check, Prisma's engine), as a
// server that has served a request has: its RSS is the route's, not this seeding process's.
// The database is dropped afterwards, also on failure, unless --keep (then --database NAME reuses
// it without seeding again). --before also times, in the same run, the code before issue 20
// (rows in keyset batches with JIT on, formatted in Node) and the way before COPY (the database's
// lines through a server-side cursor with FETCH; Parquet: rows in keyset batches).
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { adminQuery, urlWithDatabase } from "@/lib/db/schema-engine";
import { optionalVar } from "@/lib/env";

const { values } = parseArgs({
  options: {
    comparisons: { type: "string", default: "1000000" },
    format: { type: "string", default: "native" },
    before: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    database: { type: "string" },
  },
  // A forked export process gets its task in BENCH_EXPORT_CHILD, not in its arguments.
  strict: false,
});
const N = Number(values.comparisons as string);
if (!Number.isInteger(N) || N < 1) {
  console.error("--comparisons must be a positive integer");
  process.exit(2);
}
const baseUrl = optionalVar("TEST_POSTGRES_URL") ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const FORMATS = (values.format as string).split(",");
if (!FORMATS.every((f) => ["native", "trl", "hh-rlhf", "parquet"].includes(f))) {
  console.error("--format: a comma-separated list of native, trl, hh-rlhf, parquet");
  process.exit(2);
}
if (
  values.database !== undefined &&
  !/^pairwise_bench_export_[0-9a-f]{8}$/.test(values.database as string)
) {
  console.error("--database: the name of a database kept by an earlier --keep run");
  process.exit(2);
}
const reuse = values.database !== undefined;
const dbName =
  (values.database as string | undefined) ??
  `pairwise_bench_export_${randomBytes(4).toString("hex")}`;
const url = urlWithDatabase(baseUrl, dbName);

const mib = (b: number) => (b / 2 ** 20).toFixed(0);

async function seed(client: pg.Client) {
  const q = (sql: string) => client.query(sql);
  await q(`INSERT INTO "user" (id, name, email, role, "updatedAt")
    SELECT 'u' || g, 'annotator ' || g, 'a' || g || '@bench.test', 'annotator', now()
    FROM generate_series(1, 50) g`);
  await q(`INSERT INTO "user" (id, name, email, role, "updatedAt")
    VALUES ('admin', 'admin', 'admin@bench.test', 'admin', now())`);
  await q(`INSERT INTO round (id, number, name, status, config, "updatedAt")
    VALUES ('r1', 1, 'r1', 'collecting', '{}', now()), ('r2', 2, 'r2', 'collecting', '{}', now())`);
  await q(`INSERT INTO model_version (id, name, kind, "artifactPath")
    VALUES ('m1', 'policy-v1', 'policy', 'models/m1'), ('m2', 'policy-v2', 'policy', 'models/m2')`);
  await q(`INSERT INTO prompt (id, text, source) VALUES ('p1', 'seed prompt', 'seed')`);
  // Realistic sizes: a two-message context and ~300-character responses.
  await q(`INSERT INTO comparison (id, "roundId", "promptId", "turnIndex", axis, context,
      "responseA", "responseB", "modelAId", "modelBId", "samplingA", "samplingB", swapped, status,
      "annotationsWanted", "createdAt")
    SELECT 'c' || g, CASE WHEN g % 2 = 0 THEN 'r1' ELSE 'r2' END, 'p1', 0,
      (CASE WHEN g % 3 = 0 THEN 'safety' ELSE 'helpfulness' END)::"Axis",
      json_build_object('role', 'user', 'content', 'What is ' || g || ' plus ' || (g * 7 % 1000) || '? Answer briefly and explain.')::jsonb
        || '[{"role":"assistant","content":"Sure, ask me anything."}]'::jsonb,
      repeat('The answer is ' || g || '. ', 18), repeat('I think it is ' || (g + 1) || '. ', 18),
      'm1', 'm2',
      '{"model":"latest","temperature":0.7,"topP":0.95,"maxTokens":96,"seed":1}',
      '{"model":"previous","temperature":1,"topP":0.95,"maxTokens":96,"seed":2}',
      g % 2 = 0, 'complete', CASE WHEN g % 10 = 0 THEN 2 ELSE 1 END,
      timestamp '2026-01-01' + g * interval '10 ms'
    FROM generate_series(1, ${N}) g`);
  await q(`INSERT INTO assignment (id, "comparisonId", "annotatorId", status, source, "assignedAt",
      "leaseExpiresAt", "finishedAt")
    SELECT 's' || g, 'c' || g, 'u' || (g % 50 + 1), 'submitted', 'own',
      timestamp '2026-01-01' + g * interval '10 ms', timestamp '2026-01-02', timestamp '2026-01-02'
    FROM generate_series(1, ${N}) g`);
  await q(`INSERT INTO assignment (id, "comparisonId", "annotatorId", status, source, "assignedAt",
      "leaseExpiresAt", "finishedAt")
    SELECT 'o' || g, 'c' || g, 'u' || ((g + 7) % 50 + 1), 'submitted', 'overlap',
      timestamp '2026-01-01' + g * interval '10 ms', timestamp '2026-01-02', timestamp '2026-01-02'
    FROM generate_series(10, ${N}, 10) g`);
  await q(`INSERT INTO annotation (id, "assignmentId", "comparisonId", "annotatorId", choice, degree,
      "safetyLabel", flags, "timeSpentMs", "idempotencyKey", "createdAt")
    SELECT 'a' || s.id, s.id, s."comparisonId", s."annotatorId",
      (CASE WHEN (hashtext(s.id) & 1) = 0 THEN 'A' ELSE 'B' END)::"Choice",
      (ARRAY['significantly_better','better','slightly_better','negligibly_better'])[1 + (hashtext(s.id) >> 1 & 3)]::"Degree",
      CASE WHEN c.axis = 'safety' THEN 'both_safe'::"SafetyLabel" END, '{}', 5000 + (hashtext(s.id) & 4095),
      s.id, s."assignedAt" + CASE WHEN s.source = 'overlap' THEN interval '1 hour' ELSE interval '1 s' END
    FROM assignment s JOIN comparison c ON c.id = s."comparisonId"`);
  await q(`INSERT INTO review (id, "annotationId", "reviewerId", decision, "createdAt")
    SELECT 'v' || a.id, a.id, 'admin',
      (CASE WHEN hashtext(a.id) % 7 = 0 THEN 'rejected' ELSE 'approved' END)::"ReviewDecision",
      a."createdAt" + interval '1 day'
    FROM annotation a WHERE hashtext(a.id) % 5 = 0`);
  await q(`VACUUM ANALYZE`);
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM annotation`);
  return rows[0]!.n;
}

type TRun = {
  label: string;
  rows: number;
  bytes: number;
  wall: number;
  firstByteMs: number;
  /** After loading the route's modules, before its first request. */
  rssLoaded: number;
  /** After one small page (the warm-up), just before the export. */
  rssStart: number;
  load: [number, number];
  peak: number;
  nodeCpuS: number;
  tenths: number[];
};

/** Reads `body` to the end, timing it and sampling the RSS every 100 ms. */
async function measure(
  label: string,
  open: () => Promise<ReadableStream<Uint8Array>>,
  lines: boolean,
  rssLoaded: number,
): Promise<TRun> {
  const load0 = os.loadavg()[0]!;
  const rssStart = process.memoryUsage().rss;
  let peak = rssStart;
  const samples: number[] = [];
  const timer = setInterval(() => {
    const rss = process.memoryUsage().rss;
    peak = Math.max(peak, rss);
    samples.push(rss);
  }, 100);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const reader = (await open()).getReader();
  let bytes = 0;
  let rows = 0;
  let firstByteMs = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!firstByteMs) firstByteMs = performance.now() - start;
    bytes += value.length;
    if (lines) for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) rows++;
  }
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  // RSS over the run in tenths: flat memory means the later tenths are no higher than the first.
  const tenths = Array.from({ length: 10 }, (_, i) => {
    const part = samples.slice(
      Math.floor((i * samples.length) / 10),
      Math.floor(((i + 1) * samples.length) / 10),
    );
    return part.length ? Math.max(...part) : NaN;
  });
  const run: TRun = {
    label,
    rows,
    bytes,
    wall,
    firstByteMs,
    rssLoaded,
    rssStart,
    load: [load0, os.loadavg()[0]!],
    peak,
    nodeCpuS: (cpu.user + cpu.system) / 1e6,
    tenths,
  };
  console.log(
    `${label}: ${wall.toFixed(1)} s, ${rows.toLocaleString("en")} lines, peak RSS ${mib(peak)} MiB`,
  );
  return run;
}

async function main() {
  const client = new pg.Client({ connectionString: url });
  if (!reuse) {
    console.log(
      `database ${dbName}: creating, migrating, seeding ${N.toLocaleString()} comparisons …`,
    );
    await adminQuery(baseUrl, `CREATE DATABASE "${dbName}"`);
  }
  try {
    let seedS = 0;
    // Imported only when needed: the schema engine (WebAssembly) would weigh on the RSS measured.
    if (!reuse) await (await import("@/lib/db/migrate")).applyMigrations(url);
    await client.connect();
    let labels: number;
    if (reuse) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM annotation`,
      );
      labels = rows[0]!.n;
      console.log(`reusing ${dbName}: ${labels.toLocaleString()} labels`);
    } else {
      const t0 = performance.now();
      labels = await seed(client);
      seedS = (performance.now() - t0) / 1000;
      console.log(`seeded ${labels.toLocaleString()} labels in ${seedS.toFixed(1)} s`);
    }
    const comparisons = (
      await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM comparison`)
    ).rows[0]!.n;

    process.env.DATABASE_URL = url;
    process.env.BETTER_AUTH_SECRET ??= "bench-secret-bench-secret-bench-secret-0123";
    const { createApiKey } = await import("@/lib/server/api-keys/keys");
    await client.query(`DELETE FROM api_key WHERE name = 'bench'`);
    const key = await createApiKey("admin", { name: "bench", scopes: ["comparisons:read"] });
    const { closeExportDb } = await import("@/lib/server/export/query");
    await closeExportDb();

    const runs: TRun[] = [];
    for (const format of FORMATS) {
      const variants: TVariant[] = ["now"];
      if (values.before)
        variants.push("main", ...(format === "parquet" ? [] : ["before" as const]));
      for (const variant of variants) {
        const run = await inChild({ url, key: key.secret, format, variant });
        runs.push(run);
        const now = runs.find((r) => r.label === `${format} (now)`)!;
        if (format === "native" && run.rows !== labels)
          throw new Error(`${run.label}: exported ${run.rows} rows, expected ${labels}`);
        if (format !== "parquet" && (run.rows > labels || run.rows !== now.rows))
          throw new Error(`${run.label}: ${run.rows} rows, now: ${now.rows} (labels ${labels})`);
        if (format !== "parquet" || variant === "now") continue;
        if (run.bytes === 0) throw new Error(`${run.label}: empty`);
      }
    }

    console.log();
    console.log(
      `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(
          " / ",
        )}; ${comparisons.toLocaleString("en")} comparisons, ${labels.toLocaleString("en")} labels${seedS ? `, seeded in ${seedS.toFixed(0)} s` : ""}`,
    );
    console.log();
    console.log(
      `| export | rows | wall s | rows/s | MiB/s | first byte ms | RSS loaded → start → peak MiB | Node CPU s | output MiB | load |`,
    );
    console.log(`|---|---|---|---|---|---|---|---|---|---|`);
    for (const r of runs)
      console.log(
        `| ${r.label} | ${r.rows ? r.rows.toLocaleString("en") : "–"} | ${r.wall.toFixed(1)} | ${r.rows ? Math.round(r.rows / r.wall).toLocaleString("en") : "–"} | ${(r.bytes / 2 ** 20 / r.wall).toFixed(1)} | ${r.firstByteMs.toFixed(0)} | ${mib(r.rssLoaded)} → ${mib(r.rssStart)} → ${mib(r.peak)} | ${r.nodeCpuS.toFixed(1)} | ${(r.bytes / 2 ** 20).toFixed(0)} | ${r.load.map((l) => l.toFixed(1)).join("–")} |`,
      );
    console.log();
    for (const r of runs)
      console.log(
        `${r.label}: RSS peak per tenth (MiB): ${r.tenths.map((b) => mib(b)).join(", ")}`,
      );
    for (const format of FORMATS) {
      const now = runs.find((r) => r.label === `${format} (now)`)!;
      for (const variant of ["main", "before"])
        for (const r of runs.filter((r) => r.label === `${format} (${variant})`))
          console.log(
            `${format}: ${variant} / now wall = ${(r.wall / now.wall).toFixed(2)}× (${r.wall.toFixed(1)} s → ${now.wall.toFixed(1)} s), peak RSS ${mib(r.peak)} → ${mib(now.peak)} MiB`,
          );
    }
  } finally {
    await client.end().catch(() => {});
    if (values.keep || reuse) {
      console.log(`kept ${dbName} (reuse it with --database ${dbName}; drop it when done)`);
    } else {
      await adminQuery(baseUrl, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      console.log(`dropped ${dbName}`);
    }
  }
}

/**
 * now: the route handler (GET /api/v1/comparisons). main: the way before COPY, the code of the
 * main branch when this benchmark was written (lines through a server-side cursor with FETCH;
 * Parquet from rows in keyset batches). before: the code before issue 20 (rows in keyset batches
 * with JIT on, formatted in Node).
 */
type TVariant = "now" | "main" | "before";
type TChildTask = { url: string; key: string; format: string; variant: TVariant };

/** Runs one export in a process of its own and returns its measurement. */
function inChild(task: TChildTask): Promise<TRun> {
  return new Promise((resolve, reject) => {
    const child = fork(process.argv[1]!, [], {
      env: { ...process.env, BENCH_EXPORT_CHILD: JSON.stringify(task) },
    });
    let run: TRun | null = null;
    child.on("message", (m) => (run = m as TRun));
    child.on("error", reject);
    child.on("exit", (code) =>
      run && code === 0
        ? resolve(run)
        : reject(new Error(`${task.format} ${task.variant}: exit ${code}`)),
    );
  });
}

/** In the forked process: load what the route loads, serve one page, then measure the export. */
async function child(task: TChildTask): Promise<TRun> {
  process.env.DATABASE_URL = task.url;
  process.env.BETTER_AUTH_SECRET ??= "bench-secret-bench-secret-bench-secret-0123";
  const { GET } = await import("@/app/api/v1/comparisons/route");
  const { closeExportDb, createExportDb } = await import("@/lib/server/export/query");
  const { ndjsonStream, parquetStream, planFromQuery } = await import("@/lib/server/export/stream");
  const { ZExportQuery } = await import("@/lib/shared/export");
  const rssLoaded = process.memoryUsage().rss;
  const get = async (query: string) => {
    const res = await GET(
      new Request(`http://127.0.0.1/api/v1/comparisons?${query}`, {
        headers: { authorization: `Bearer ${task.key}` },
      }),
    );
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
    return res;
  };
  await (await get("format=native&limit=10")).text();
  const { format, variant } = task;
  const lines = format !== "parquet";
  const label = `${format} (${variant})`;
  if (variant === "now")
    return measure(label, async () => (await get(`format=${format}`)).body!, lines, rssLoaded);
  const db = createExportDb(task.url, 4, { jit: variant === "before" });
  const plan = {
    ...planFromQuery(ZExportQuery.parse({ format }), null, process.env.BETTER_AUTH_SECRET),
    ...(variant === "before"
      ? { lines: "node" as const, read: "keyset" as const }
      : { read: format === "parquet" ? ("keyset" as const) : ("fetch" as const) }),
  };
  const run = await measure(
    label,
    async () =>
      format === "parquet"
        ? parquetStream(db, plan)
        : ndjsonStream(db, plan, format as "native" | "trl" | "hh-rlhf"),
    lines,
    rssLoaded,
  );
  await db.end();
  await closeExportDb();
  return run;
}

const childTask = process.env.BENCH_EXPORT_CHILD;
(childTask
  ? child(JSON.parse(childTask) as TChildTask).then(
      (run) => new Promise<void>((resolve) => process.send!(run, () => resolve())),
    )
  : main()
).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
