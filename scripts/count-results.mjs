// Reads one suite's result file and prints "passed failed" for scripts/test.sh.
// A suite that exited non-zero without reporting a failure (a crash, a compile error) counts one
// failure, so a broken suite can never look green.
import { existsSync, readFileSync } from "node:fs";

const [kind, file, exitCode] = process.argv.slice(2);
let passed = 0;
let failed = 0;

if (existsSync(file)) {
  const text = readFileSync(file, "utf8");
  if (kind === "vitest") {
    const r = JSON.parse(text);
    passed = r.numPassedTests ?? 0;
    failed =
      (r.numFailedTests ?? 0) +
      (r.testResults ?? []).filter((t) => t.status === "failed" && t.assertionResults?.length === 0)
        .length;
  } else if (kind === "playwright") {
    const s = JSON.parse(text).stats ?? {};
    passed = (s.expected ?? 0) + (s.flaky ?? 0);
    failed = s.unexpected ?? 0;
  } else if (kind === "pytest") {
    // The last summary line, e.g. "==== 40 passed, 1 failed, 2 skipped in 9.1s ====".
    const line =
      text
        .trim()
        .split("\n")
        .reverse()
        .find((l) => /\d+ (passed|failed|error)/.test(l)) ?? "";
    const n = (word) => Number(line.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
    passed = n("passed");
    failed = n("failed") + n("errors?");
  }
}
if (Number(exitCode) !== 0 && failed === 0) failed = 1;
console.log(`${passed} ${failed}`);
