import "server-only";
// The job state machine's moves (see lib/shared/jobs.ts for the picture). Each move is one
// conditional UPDATE, so two workers (or a worker and the reaper) can never both win a move.
import { prisma } from "@/lib/db";
import type { Job, Prisma } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/server/errors";
import { ZJobSpec, type TJobSpec, type TJobSpecInput } from "@/lib/shared/jobs";

export const LEASE_MS = 30_000;

/** Queues a job after validating its config for its kind. */
export async function enqueueJob(
  spec: TJobSpecInput,
  opts: { actorId?: string | null; roundId?: string | null; maxAttempts?: number } = {},
) {
  const parsed = ZJobSpec.parse(spec);
  return prisma.job.create({
    data: {
      kind: parsed.kind,
      config: parsed.config as Prisma.InputJsonValue,
      createdById: opts.actorId ?? null,
      roundId: opts.roundId ?? null,
      maxAttempts: opts.maxAttempts ?? 3,
    },
  });
}

/** The job's config, validated again on the way out (a hand-edited row fails here, clearly). */
export function jobSpec(job: Pick<Job, "kind" | "config">): TJobSpec {
  return ZJobSpec.parse({ kind: job.kind, config: job.config });
}

/** Takes the oldest queued job for `workerId`, holding it under a lease; null when none waits. */
export async function claimNextJob(workerId: string, now: Date): Promise<Job | null> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    UPDATE job SET state = 'running', "leaseOwner" = ${workerId},
      "leaseExpiresAt" = ${new Date(now.getTime() + LEASE_MS)}, "heartbeatAt" = ${now},
      attempts = attempts + 1, "startedAt" = COALESCE("startedAt", ${now}), error = NULL
    WHERE id = (SELECT id FROM job WHERE state = 'queued' AND "cancelRequested" = false
                ORDER BY "createdAt" ASC LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id`;
  const id = rows[0]?.id;
  return id ? prisma.job.findUnique({ where: { id } }) : null;
}

/** Lines kept in Job.log; older ones drop off. */
export const JOB_LOG_LINES = 200;

/** Appends one timestamped line to the job's log tail (the jobs page shows it). */
export async function appendJobLog(jobId: string, line: string, now: Date = new Date()) {
  const entry = `${now.toISOString()} ${line.slice(0, 1000)}`;
  await prisma.$executeRaw`
    UPDATE job SET log = (log || ARRAY[${entry}]::text[])[
      greatest(1, coalesce(array_length(log, 1), 0) + 2 - ${JOB_LOG_LINES}::int):]
    WHERE id = ${jobId}`;
}

export type TProgress = {
  progress?: number;
  phase?: string | null;
  etaSeconds?: number | null;
  metrics?: Prisma.InputJsonValue;
};

/**
 * Renews the lease and records progress. Returns false when the worker no longer holds the job
 * (its lease was reaped) or a cancel was requested: the caller must stop.
 */
export async function heartbeat(
  jobId: string,
  workerId: string,
  now: Date,
  p: TProgress = {},
): Promise<{ held: boolean; cancel: boolean }> {
  const { count } = await prisma.job.updateMany({
    where: { id: jobId, state: "running", leaseOwner: workerId },
    data: {
      leaseExpiresAt: new Date(now.getTime() + LEASE_MS),
      heartbeatAt: now,
      ...(p.progress !== undefined ? { progress: Math.max(0, Math.min(1, p.progress)) } : {}),
      ...(p.phase !== undefined ? { phase: p.phase } : {}),
      ...(p.etaSeconds !== undefined
        ? { etaSeconds: p.etaSeconds === null ? null : Math.round(p.etaSeconds) }
        : {}),
      ...(p.metrics !== undefined ? { metrics: p.metrics } : {}),
    },
  });
  if (count === 0) return { held: false, cancel: false };
  const job = await prisma.job.findUnique({
    where: { id: jobId },
    select: { cancelRequested: true },
  });
  return { held: true, cancel: job?.cancelRequested ?? false };
}

export async function succeedJob(
  jobId: string,
  workerId: string,
  now: Date,
  result: Prisma.InputJsonValue,
) {
  const { count } = await prisma.job.updateMany({
    where: { id: jobId, state: "running", leaseOwner: workerId },
    data: {
      state: "succeeded",
      progress: 1,
      result,
      finishedAt: now,
      leaseOwner: null,
      leaseExpiresAt: null,
      etaSeconds: 0,
    },
  });
  return count === 1;
}

/** A failed attempt: back to queued while attempts remain and the error is retryable, else failed. */
export async function failAttempt(
  jobId: string,
  workerId: string,
  now: Date,
  error: string,
  retryable: boolean,
) {
  const job = await prisma.job.findUnique({ where: { id: jobId } });
  if (!job || job.state !== "running" || job.leaseOwner !== workerId) return null;
  const retry = retryable && job.attempts < job.maxAttempts && !job.cancelRequested;
  await prisma.job.updateMany({
    where: { id: jobId, state: "running", leaseOwner: workerId },
    data: retry
      ? {
          state: "queued",
          error: `attempt ${job.attempts} failed: ${error}`,
          leaseOwner: null,
          leaseExpiresAt: null,
        }
      : { state: "failed", error, finishedAt: now, leaseOwner: null, leaseExpiresAt: null },
  });
  return retry ? "queued" : "failed";
}

export async function cancelledByWorker(jobId: string, workerId: string, now: Date) {
  await prisma.job.updateMany({
    where: { id: jobId, state: "running", leaseOwner: workerId },
    data: {
      state: "cancelled",
      finishedAt: now,
      leaseOwner: null,
      leaseExpiresAt: null,
      error: "cancelled by an admin",
    },
  });
}

/**
 * Jobs whose lease ran out (the worker died, or hung) go back to queued while attempts remain,
 * else to failed saying why. Run by every worker before it claims.
 */
export async function reapExpiredLeases(now: Date): Promise<{ requeued: number; failed: number }> {
  const expired = await prisma.job.findMany({
    where: { state: "running", leaseExpiresAt: { lt: now } },
  });
  let requeued = 0;
  let failed = 0;
  for (const job of expired) {
    const reason = `the worker stopped renewing its lease (last heartbeat ${job.heartbeatAt?.toISOString() ?? "never"})`;
    const retry = job.attempts < job.maxAttempts && !job.cancelRequested;
    const { count } = await prisma.job.updateMany({
      where: { id: job.id, state: "running", leaseExpiresAt: { lt: now } },
      data: retry
        ? {
            state: "queued",
            error: `attempt ${job.attempts} lost: ${reason}`,
            leaseOwner: null,
            leaseExpiresAt: null,
          }
        : job.cancelRequested
          ? {
              state: "cancelled",
              finishedAt: now,
              leaseOwner: null,
              leaseExpiresAt: null,
              error: "cancelled by an admin",
            }
          : {
              state: "failed",
              error: `gave up after ${job.attempts} attempts: ${reason}`,
              finishedAt: now,
              leaseOwner: null,
              leaseExpiresAt: null,
            },
    });
    if (count) {
      await appendJobLog(
        job.id,
        `${reason}: ${retry ? "back to queued" : "no attempts left"}`,
        now,
      );
      if (retry) requeued += 1;
      else failed += 1;
    }
  }
  return { requeued, failed };
}

/** An admin asks to cancel: a queued job ends at once, a running one when its worker notices. */
export async function requestCancel(jobId: string, now: Date) {
  const job = await prisma.job.findUnique({ where: { id: jobId } });
  if (!job) throw new DomainError("NOT_FOUND", "No such job");
  if (job.state === "succeeded" || job.state === "failed" || job.state === "cancelled") {
    throw new DomainError(
      "CONFLICT",
      `The job already ${job.state === "cancelled" ? "was cancelled" : job.state}`,
    );
  }
  const { count } = await prisma.job.updateMany({
    where: { id: jobId, state: "queued" },
    data: {
      state: "cancelled",
      cancelRequested: true,
      finishedAt: now,
      error: "cancelled by an admin",
    },
  });
  if (count === 0)
    await prisma.job.update({ where: { id: jobId }, data: { cancelRequested: true } });
  return { id: jobId };
}

/** A failed or cancelled job runs again as a new job with the same config. */
export async function retryJob(jobId: string, actorId: string) {
  const job = await prisma.job.findUnique({ where: { id: jobId } });
  if (!job) throw new DomainError("NOT_FOUND", "No such job");
  if (job.state !== "failed" && job.state !== "cancelled")
    throw new DomainError(
      "CONFLICT",
      `Only failed or cancelled jobs can be retried; this one is ${job.state}`,
    );
  return enqueueJob(jobSpec(job), { actorId, roundId: job.roundId, maxAttempts: job.maxAttempts });
}
