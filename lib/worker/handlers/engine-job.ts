// Running one engine job from a worker handler: submit it under an id derived from the platform
// job, poll its snapshot into the job's progress, pass a cancel on to the engine, and return the
// finished result.
//
// The engine keeps jobs in memory. A retried attempt whose engine job is still running (the
// worker died, not the engine) follows it instead of starting over, because the id is the same.
// An engine that restarted answers 404: if the job had finished, its result.json in the output
// folder is used; otherwise the attempt fails (retryable) and the next one submits it again.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { Job, ModelVersion, Prisma } from "@/lib/generated/prisma/client";
import { EngineError } from "@/lib/engine/client";
import { engine } from "@/lib/server/engine";
import { DomainError } from "@/lib/server/errors";
import { appendJobLog } from "@/lib/server/jobs/transitions";
import { registerPolicy } from "@/lib/server/models/policies";
import type { TCreateJobRequest, TJobSnapshot } from "@/lib/shared/engine-protocol";
import {
  ZStoredResult,
  type ZLoraOptions,
  camelKeys,
  parseEngineResult,
  type TEngineResultOf,
  type TJobKind,
} from "@/lib/shared/jobs";
import { JobCancelled, PermanentJobError, type TJobContext } from "../runner";

export const POLL_MS = 1000;

export type TEngineJobRun = {
  ctx: TJobContext;
  request: TCreateJobRequest;
  /** What the job is, for people: "rejection sampling", "helpfulness reward model". */
  label: string;
  /** Maps the engine's progress (0..1) to the platform job's (for jobs of several engine jobs). */
  share?: (p: number) => number;
  /** Extra fields stored with the engine's metrics on the platform job. */
  metricsExtra?: Record<string, unknown>;
};

async function readResultFile(outputDir: string): Promise<Record<string, unknown> | null> {
  try {
    const text = await readFile(path.join(outputDir, "result.json"), "utf8");
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The engine's own sentence of an EngineError, without the client's "engine POST … answered" prefix. */
export function engineMessage(error: EngineError): string {
  return error.message.replace(/^engine [A-Z]+ \S+ answered \d+(?: \([^)]*\))?: /, "");
}

/** The training-method fields of an engine spec (docs/engine-protocol.md), from a job config;
 * absent fields are left out, so the engine's defaults apply (LoRA above 1 B parameters). */
export function trainingMethodSpec(cfg: {
  method?: "full" | "lora" | undefined;
  lora?: z.infer<typeof ZLoraOptions> | undefined;
  gradientCheckpointing?: boolean | undefined;
  saveMerged?: boolean | undefined;
}) {
  return {
    ...(cfg.method ? { method: cfg.method } : {}),
    ...(cfg.lora && cfg.method !== "full" ? { lora: cfg.lora } : {}),
    ...(cfg.gradientCheckpointing !== undefined
      ? { gradient_checkpointing: cfg.gradientCheckpointing }
      : {}),
    ...(cfg.saveMerged !== undefined ? { save_merged: cfg.saveMerged } : {}),
  };
}

const ZTrainedArtifacts = z.object({
  method: z.string().optional(),
  adapter_dir: z.string().min(1).optional(),
  merged_dir: z.string().min(1).optional(),
});

/** How an engine result says a model was trained, for a ModelVersion's metrics: `trainingMethod`
 * ("full" | "lora"), and for LoRA `adapterDir` (the PEFT folder) and `mergedDir` (when saved).
 * (`method` in a policy's metrics is the kind that made it: policyMethod().) */
export function trainedArtifacts(raw: unknown): Record<string, string> {
  const parsed = ZTrainedArtifacts.safeParse(raw);
  if (!parsed.success) return {};
  const r = parsed.data;
  return {
    ...(r.method ? { trainingMethod: r.method } : {}),
    ...(r.adapter_dir ? { adapterDir: r.adapter_dir } : {}),
    ...(r.merged_dir ? { mergedDir: r.merged_dir } : {}),
  };
}

/** Runs one engine job to its end and returns its final snapshot (state "succeeded", a result). */
export async function runEngineJob(run: TEngineJobRun): Promise<TJobSnapshot & { result: object }> {
  const { ctx, request, label } = run;
  const share = run.share ?? ((p: number) => p);
  const outputDir = request.spec.output_dir;
  const report = (snap: TJobSnapshot) =>
    ctx.report({
      progress: share(snap.progress),
      phase: `${label}: ${snap.phase ?? snap.state}`,
      etaSeconds: snap.eta_seconds ?? null,
      metrics: { ...(run.metricsExtra ?? {}), ...(snap.metrics ?? {}) } as Prisma.InputJsonValue,
    });

  // An earlier attempt's engine job finished (and the engine has restarted since): keep its work.
  const done = await readResultFile(outputDir);
  if (done) {
    const snap: TJobSnapshot = {
      id: request.id,
      kind: request.kind,
      state: "succeeded",
      progress: 1,
      phase: null,
      eta_seconds: 0,
      metrics: {},
      error: null,
      result: done,
    };
    await report(snap);
    return { ...snap, result: done };
  }
  let snap: TJobSnapshot;
  try {
    snap = await engine().createJob(request);
  } catch (error) {
    // 400: the engine refused the spec (a missing file, a bad value, a job its memory plan says
    // cannot fit); another attempt cannot fix it.
    if (error instanceof EngineError && error.status === 400) {
      if (error.code === "insufficient_memory")
        throw new PermanentJobError(
          `the ${label} job does not fit in the engine's memory: ${engineMessage(error)}`,
        );
      throw new PermanentJobError(`the engine refused the ${label} job: ${error.message}`);
    }
    throw error;
  }
  while (snap.state === "queued" || snap.state === "running") {
    try {
      await report(snap);
    } catch (error) {
      if (error instanceof JobCancelled)
        await engine()
          .cancelJob(request.id)
          .catch(() => undefined);
      throw error;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
    try {
      snap = await engine().getJob(request.id);
    } catch (error) {
      if (error instanceof EngineError && error.status === 404) {
        const result = await readResultFile(outputDir);
        if (result) {
          snap = { ...snap, state: "succeeded", progress: 1, result };
          break;
        }
        throw new Error(
          `the engine lost the ${label} job (it restarted?); the next attempt starts it again`,
        );
      }
      throw error;
    }
  }
  if (snap.state === "cancelled") throw new JobCancelled("cancelled in the engine");
  if (snap.state !== "succeeded" || !snap.result) {
    throw new Error(`the engine's ${label} job ${snap.state}: ${snap.error ?? "no reason given"}`);
  }
  // The final snapshot's metrics (loss curve, PPO iterations) stay on the job for the jobs page.
  await report(snap);
  return snap as TJobSnapshot & { result: object };
}

/** Missing data or a bad model id found while preparing a job: no retry can fix it. */
export async function permanent<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof DomainError) throw new PermanentJobError(error.message);
    throw error;
  }
}

/** The engine's result for a job of `kind` (lib/shared/jobs.ts), or a permanent failure. */
export function engineResult<K extends TJobKind>(
  kind: K,
  label: string,
  raw: unknown,
): TEngineResultOf<K> {
  const parsed = parseEngineResult(kind, raw);
  if (!parsed.ok)
    throw new PermanentJobError(`the engine's ${label} result is not as documented: ${parsed.why}`);
  return parsed.result;
}

/**
 * The step every policy-making job ends with: parse the engine's result, register the policy it
 * trained (idempotent by folder, so a retried attempt keeps the version it registered), log it.
 * The policy's metrics are the engine's result, `method` (the kind), `trainingMethod` (full |
 * lora), `adapterDir` / `mergedDir` for LoRA (trainedArtifacts) and `metrics`.
 */
export async function registerTrainedPolicy<K extends "sft" | "rejection_sampling" | "ppo">(args: {
  job: Pick<Job, "id">;
  kind: K;
  label: string;
  raw: unknown;
  baseName: string;
  parentId: string;
  roundId: string | null;
  metrics: Record<string, unknown>;
}): Promise<{ result: TEngineResultOf<K>; policy: ModelVersion }> {
  const result = engineResult(args.kind, args.label, args.raw);
  const { kind: _kind, ...fields } = result;
  const policy = await registerPolicy({
    baseName: args.baseName,
    parentId: args.parentId,
    roundId: args.roundId,
    artifactPath: result.model_dir,
    metrics: {
      ...fields,
      ...trainedArtifacts(args.raw),
      method: args.kind,
      ...args.metrics,
    } as Prisma.InputJsonValue,
  });
  await appendJobLog(args.job.id, `registered ${policy.name}`);
  return { result, policy };
}

/** The engine's result fields in the stored spelling (camelCase), without its `kind` tag. */
export function engineFields(result: { kind: string }): Record<string, unknown> {
  const { kind: _kind, ...fields } = result;
  return camelKeys(fields) as Record<string, unknown>;
}

/** A job's result checked against its kind's stored shape (lib/shared/jobs.ts) on the way in. */
export function storeResult<K extends TJobKind>(
  kind: K,
  /** Checked at run time; the engine's fields arrive untyped from engineFields. */
  value: Record<string, unknown>,
): Prisma.InputJsonValue {
  const parsed = ZStoredResult[kind].safeParse(value);
  if (!parsed.success)
    throw new Error(
      `the ${kind} job's result does not fit its stored shape: ${parsed.error.issues
        .map((i) => `${i.path.join(".")}: ${i.message}`)
        .join("; ")}`,
    );
  return parsed.data as Prisma.InputJsonValue;
}
