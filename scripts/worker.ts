// The worker process: runs jobs from the database one at a time (lib/worker/runner.ts). Started by
// the start command; several may run, on one machine or many. SIGTERM stops it at once: a job it
// held goes back to the queue when its lease runs out (≤ 30 s), exactly as after a crash.
import os from "node:os";
import { env } from "@/lib/env";
import { ensureFirstPolicy } from "@/lib/server/models/policies";
import { HANDLERS as handlers } from "@/lib/worker/handlers";
import { runWorker } from "@/lib/worker/runner";

const workerId = `${os.hostname()}-${process.pid}`;
const stop = new AbortController();
process.on("SIGINT", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));

try {
  env();
} catch (error) {
  console.error(`worker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
// The first policy is registered once, at start, after the engine (lib/server/models/policies.ts).
await ensureFirstPolicy().catch((error: unknown) =>
  console.error(`worker: first policy not registered yet: ${String(error)}`),
);
console.log(`worker ready (${workerId})`);
runWorker({
  workerId,
  handlers,
  signal: stop.signal,
  log: (line) => console.log(line),
}).catch((error: unknown) => {
  console.error(
    `worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
