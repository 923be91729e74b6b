// The job runner: reap expired leases, claim the oldest queued job, run its handler while a
// heartbeat renews the lease, then record the outcome. Handlers report progress through `ctx`
// and learn there whether to stop (cancel requested, or the lease was lost).
import type { Job, Prisma } from "@/lib/generated/prisma/client";
import {
  appendJobLog,
  cancelledByWorker,
  claimNextJob,
  failAttempt,
  heartbeat,
  reapExpiredLeases,
  succeedJob,
  type TProgress,
} from "@/lib/server/jobs/transitions";

export const HEARTBEAT_MS = 5_000;

/** A failure that another attempt cannot fix (bad config, no data): the job fails at once. */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}
/** Thrown inside a handler when the job was cancelled; the runner records "cancelled". */
export class JobCancelled extends Error {
  override name = "JobCancelled";
}
/** Thrown when this worker no longer holds the job; the runner records nothing. */
export class LeaseLost extends Error {
  override name = "LeaseLost";
}

export type TJobContext = {
  workerId: string;
  /** Records progress and renews the lease; throws JobCancelled or LeaseLost when it must stop. */
  report: (p: TProgress) => Promise<void>;
  signal: AbortSignal;
};

export type THandler = (job: Job, ctx: TJobContext) => Promise<Prisma.InputJsonValue>;

/** How an attempt ended: the job's new state, or "lost" (the lease was taken from this worker). */
export type TAttemptOutcome = "succeeded" | "queued" | "failed" | "cancelled" | "lost" | null;

export async function runOne(
  job: Job,
  workerId: string,
  handlers: Record<string, THandler>,
  log: (line: string) => void,
): Promise<TAttemptOutcome> {
  const handler = handlers[job.kind];
  if (!handler) {
    await failAttempt(job.id, workerId, new Date(), `no handler for job kind ${job.kind}`, false);
    return "failed";
  }
  const stop = new AbortController();
  let stopReason: "cancel" | "lost" | null = null;
  let lastPhase = job.phase;
  const beat = async (p: TProgress = {}) => {
    const r = await heartbeat(job.id, workerId, new Date(), p);
    if (r.held && p.phase && p.phase !== lastPhase) {
      lastPhase = p.phase;
      await appendJobLog(job.id, p.phase);
    }
    if (!r.held) stopReason = "lost";
    else if (r.cancel) stopReason = "cancel";
    if (stopReason) stop.abort();
  };
  // The lease is renewed even while a handler is busy between its own reports.
  const timer = setInterval(() => void beat().catch(() => undefined), HEARTBEAT_MS);
  const ctx: TJobContext = {
    workerId,
    signal: stop.signal,
    report: async (p) => {
      await beat(p);
      if (stopReason === "cancel") throw new JobCancelled("cancelled");
      if (stopReason === "lost") throw new LeaseLost("lease lost");
    },
  };
  log(`job ${job.id} (${job.kind}) attempt ${job.attempts}: started`);
  await appendJobLog(job.id, `attempt ${job.attempts} started on ${workerId}`);
  try {
    const result = await handler(job, ctx);
    if (stopReason === "cancel") throw new JobCancelled("cancelled");
    await succeedJob(job.id, workerId, new Date(), result);
    await appendJobLog(job.id, "succeeded");
    log(`job ${job.id}: succeeded`);
    return "succeeded";
  } catch (error) {
    if (error instanceof JobCancelled || stopReason === "cancel") {
      await cancelledByWorker(job.id, workerId, new Date());
      await appendJobLog(job.id, "cancelled");
      log(`job ${job.id}: cancelled`);
      return "cancelled";
    } else if (error instanceof LeaseLost || stopReason === "lost") {
      log(`job ${job.id}: lease lost, leaving it to the reaper`);
      return "lost";
    } else {
      const message = error instanceof Error ? error.message : String(error);
      const outcome = await failAttempt(
        job.id,
        workerId,
        new Date(),
        message,
        !(error instanceof PermanentJobError),
      );
      if (outcome)
        await appendJobLog(job.id, `attempt ${job.attempts} failed: ${message}; now ${outcome}`);
      log(`job ${job.id}: attempt failed (${message}); now ${outcome ?? "not ours"}`);
      return outcome;
    }
  } finally {
    clearInterval(timer);
  }
}

/** Runs until `signal` aborts: one job at a time. */
export async function runWorker(opts: {
  workerId: string;
  handlers: Record<string, THandler>;
  signal: AbortSignal;
  pollMs?: number;
  /** Milliseconds per second of the wait after a failed attempt (tests shorten it). */
  retryDelayScale?: number;
  log?: (line: string) => void;
  onIdle?: () => void;
}) {
  const log = opts.log ?? ((line: string) => console.log(line));
  while (!opts.signal.aborted) {
    const now = new Date();
    const reaped = await reapExpiredLeases(now);
    if (reaped.requeued || reaped.failed)
      log(`reaped expired leases: ${reaped.requeued} requeued, ${reaped.failed} failed`);
    const job = await claimNextJob(opts.workerId, now);
    if (!job) {
      opts.onIdle?.();
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
      continue;
    }
    const outcome = await runOne(job, opts.workerId, opts.handlers, log);
    // A failed attempt is often the engine restarting: wait before claiming again, so the job's
    // remaining attempts are not used up within a second (10 s after attempt 1, 20 s after 2, …).
    if (outcome === "queued")
      await new Promise((r) =>
        setTimeout(r, Math.min(60, 10 * job.attempts) * (opts.retryDelayScale ?? 1000)),
      );
  }
}
