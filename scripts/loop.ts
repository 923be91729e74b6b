// `npm run loop`: three RLHF rounds on the demo world through the platform's real HTTP API, then
// docs/loop-report.md with the reward models' Table 8, each round's win rate against the previous
// one, the safety rates and PNG charts, and every target marked PASS or MISS.
//
//   npm run loop [-- --rounds 3 --comparisons 300 --annotators 6 --port 3400 --small
//                    --report docs/loop-report.md --img docs/img --json out.json]
//   npm run loop -- --from-json out.json   (the report again from a saved result, no run)
//
// It starts its own platform (fresh data folder, embedded PGlite, real engine and worker) on
// --port (+1000 database, +2000 engine), so it runs beside a `npm start` on the default ports.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { writeReport } from "./loop/report";
import { FULL_OPTIONS, ROOT, runLoop, type TLoopOptions, type TLoopResult } from "./loop/run";
import { SMALL_OPTIONS } from "./loop/small";

const { values } = parseArgs({
  options: {
    rounds: { type: "string" },
    comparisons: { type: "string" },
    annotators: { type: "string" },
    port: { type: "string" },
    small: { type: "boolean", default: false },
    report: { type: "string", default: "docs/loop-report.md" },
    img: { type: "string", default: "docs/img" },
    json: { type: "string" },
    "data-dir": { type: "string" },
    /** Write the report again from a saved --json result (no run). */
    "from-json": { type: "string" },
  },
});

function int(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer from ${min} to ${max}, got ${v}`);
    process.exit(2);
  }
  return n;
}

async function main() {
  const base = values.small ? SMALL_OPTIONS : FULL_OPTIONS;
  const opts: TLoopOptions = {
    ...base,
    rounds: int("rounds", values.rounds, 1, 10) ?? base.rounds,
    comparisons: int("comparisons", values.comparisons, 20, 100_000) ?? base.comparisons,
    annotators: int("annotators", values.annotators, 1, 200) ?? base.annotators,
    port: int("port", values.port, 1024, 60_000) ?? base.port,
    ...(values["data-dir"] ? { dataDir: path.resolve(values["data-dir"]) } : {}),
    log: (l) => console.log(l),
  };
  const result: TLoopResult = values["from-json"]
    ? (JSON.parse(readFileSync(values["from-json"], "utf8")) as TLoopResult)
    : await runLoop(opts);
  if (values.json) {
    mkdirSync(path.dirname(path.resolve(values.json)), { recursive: true });
    writeFileSync(values.json, JSON.stringify(result, null, 2));
  }
  const report = await writeReport(result, {
    reportPath: path.resolve(ROOT, values.report!),
    imgDir: path.resolve(ROOT, values.img!),
  });
  console.log("");
  for (const t of report.targets) console.log(`${t.status.padEnd(4)} ${t.name}: ${t.measured}`);
  console.log(
    `\nloop ${result.error ? "stopped" : "finished"} in ${(result.seconds / 60).toFixed(1)} min; report: ${report.reportPath}`,
  );
  return result.error ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
