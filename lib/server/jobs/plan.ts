import "server-only";
// The memory plan of a training job before it is queued (docs/engine-protocol.md, "Memory
// plan"): the launch form asks for it before submit (tRPC jobs.plan) and startJob refuses a job
// the engine says cannot fit. The plan request is built from the job's config: the base model's
// folder, method, LoRA shape and the batch that sizes memory; no data files are needed.
import { issuesMessage } from "@/lib/shared/messages";
import { EngineError, EngineProtocolError, EngineUnreachableError } from "@/lib/engine/client";
import { engine } from "@/lib/server/engine";
import { DomainError } from "@/lib/server/errors";
import { currentPolicy, newestRoundPolicy, resolveBasePolicy } from "@/lib/server/models/policies";
import type { TJobPlanRequest } from "@/lib/shared/engine-protocol";
import { ZJobSpec, type TJobSpec, type TJobSpecInput } from "@/lib/shared/jobs";

export type TJobMemoryPlan =
  | {
      /** The engine answered: whether the job fits, and the plan's sentence. */
      checked: true;
      fits: boolean;
      message: string;
      method: "full" | "lora";
      peakGb: number;
      freeGb: number | null;
      device: string;
      suggestions: string[];
    }
  /** No plan (evaluation trains nothing; the engine is down): `message` says why. */
  | { checked: false; fits: null; message: string };

function parseSpec(input: TJobSpecInput): TJobSpec {
  const parsed = ZJobSpec.safeParse(input);
  if (!parsed.success) throw new DomainError("BAD_REQUEST", issuesMessage(parsed.error.issues));
  return parsed.data;
}

/** The engine's plan request for a training job, or null for a kind that trains nothing. */
export async function planRequest(
  spec: TJobSpec,
  roundId?: string,
): Promise<TJobPlanRequest | null> {
  if (spec.kind === "evaluate") return null;
  const c = spec.config;
  let base;
  if (spec.kind === "ppo" && !c.baseModelId && roundId)
    base = (await newestRoundPolicy(roundId, "rejection_sampling")) ?? (await currentPolicy());
  else base = await resolveBasePolicy(c.baseModelId);
  const method = {
    ...(c.method ? { method: c.method } : {}),
    ...(c.lora && c.method !== "full" ? { lora: c.lora } : {}),
    ...(c.gradientCheckpointing !== undefined
      ? { gradient_checkpointing: c.gradientCheckpointing }
      : {}),
  };
  const sizes =
    spec.kind === "ppo"
      ? {
          minibatch_size: spec.config.minibatchSize,
          rollout_batch: spec.config.rolloutBatch,
          max_tokens: spec.config.maxTokens,
        }
      : spec.kind === "rejection_sampling"
        ? { batch_size: spec.config.batchSize, k: spec.config.k, max_tokens: spec.config.maxTokens }
        : { batch_size: spec.config.batchSize };
  return { kind: spec.kind, spec: { base_model: base.artifactPath, ...method, ...sizes } };
}

/**
 * The memory plan of a job (validated like jobs.start). A job that trains nothing, or an engine
 * that does not answer, gives `checked: false` with the reason; the engine checks again when the
 * job is submitted.
 */
export async function planJobMemory(args: {
  spec: TJobSpecInput;
  roundId?: string | undefined;
}): Promise<TJobMemoryPlan> {
  const spec = parseSpec(args.spec);
  let request: TJobPlanRequest | null;
  try {
    // Resolving the default base may ask the engine for its loaded model (the first policy).
    request = await planRequest(spec, args.roundId);
  } catch (error) {
    if (engineTrouble(error)) return skipped(error as Error);
    throw error;
  }
  if (!request)
    return {
      checked: false,
      fits: null,
      message: "Evaluation trains nothing: no memory plan is needed.",
    };
  try {
    const plan = await engine().planJob(request, { signal: AbortSignal.timeout(10_000) });
    return {
      checked: true,
      fits: plan.fits,
      message: plan.message,
      method: plan.method,
      peakGb: plan.peak_gb,
      freeGb: plan.free_gb,
      device: plan.device,
      suggestions: plan.suggestions,
    };
  } catch (error) {
    if (error instanceof EngineError && error.status === 400)
      throw new DomainError(
        "BAD_REQUEST",
        `The engine cannot plan this job: ${error.message.replace(/^engine [A-Z]+ \S+ answered \d+(?: \([^)]*\))?: /, "")}`,
      );
    if (engineTrouble(error)) return skipped(error as Error);
    throw error;
  }
}

/** An engine that is down, unconfigured, slow or off-contract: the check is skipped, not failed. */
function engineTrouble(error: unknown): boolean {
  return (
    error instanceof EngineUnreachableError ||
    error instanceof EngineProtocolError ||
    error instanceof EngineError ||
    (error instanceof DomainError && error.code === "CONFLICT") ||
    (error instanceof Error &&
      (error.name === "TimeoutError" ||
        error.name === "AbortError" ||
        error.message.startsWith("the engine")))
  );
}

function skipped(error: Error): TJobMemoryPlan {
  return {
    checked: false,
    fits: null,
    message: `The memory check was skipped: the engine did not answer (${error.message}). The engine checks again when the job starts.`,
  };
}

/** startJob's guard: refuses (BAD_REQUEST, the plan's sentence) a job the engine says cannot fit. */
export async function refuseUnfitJob(spec: TJobSpec, roundId?: string): Promise<void> {
  if (spec.kind === "evaluate") return;
  const plan = await planJobMemory({ spec, roundId }).catch((error: unknown) => {
    // A plan the engine cannot make (e.g. an unreadable base folder) does not block the start:
    // the worker reports the engine's reason when it submits the job.
    if (error instanceof DomainError) return null;
    throw error;
  });
  if (plan?.checked && !plan.fits)
    throw new DomainError(
      "BAD_REQUEST",
      `The job does not fit in the engine's memory: ${plan.message}`,
    );
}
