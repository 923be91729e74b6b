// Job "ppo": the policy optimised against the combined reward with a KL penalty to a frozen
// reference (the current published policy). Starts from config.baseModelId, else this round's
// rejection-sampling policy, else the current policy; registered as `policy-r{round}-ppo`.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Job, Prisma } from "@/lib/generated/prisma/client";
import { currentPolicy, newestRoundPolicy, resolveBasePolicy } from "@/lib/server/models/policies";
import { appendJobLog, jobSpec } from "@/lib/server/jobs/transitions";
import { jobDir, rewardModelsFor } from "@/lib/server/rlhf/models";
import { promptPool, writePromptsFile } from "@/lib/server/rlhf/prompts";
import { PermanentJobError, type TJobContext } from "../runner";
import {
  engineFields,
  permanent,
  registerTrainedPolicy,
  runEngineJob,
  storeResult,
  trainingMethodSpec,
} from "./engine-job";
import { requireRound } from "./rejection-sampling";

export async function ppo(job: Job, ctx: TJobContext): Promise<Prisma.InputJsonValue> {
  const spec = jobSpec(job);
  if (spec.kind !== "ppo") throw new PermanentJobError(`not a ppo job: ${spec.kind}`);
  const cfg = spec.config;
  const round = await requireRound(job, "PPO");
  const dir = jobDir(job.id);
  await mkdir(dir, { recursive: true });

  await ctx.report({ progress: 0, phase: "preparing prompts" });
  const { base, reference, rewards, pool } = await permanent(async () => {
    const reference = await currentPolicy();
    const base = cfg.baseModelId
      ? await resolveBasePolicy(cfg.baseModelId)
      : ((await newestRoundPolicy(round.id, "rejection_sampling")) ?? reference);
    return {
      base,
      reference,
      rewards: await rewardModelsFor(round.id),
      pool: await promptPool(round.id, cfg.promptCount, cfg.seed),
    };
  });
  const promptsFile = await writePromptsFile(job.id, pool.rows);
  await appendJobLog(
    job.id,
    `PPO from ${base.name} against reference ${reference.name} on ${pool.rows.length} prompts`,
  );

  const snap = await runEngineJob({
    ctx,
    label: "PPO",
    request: {
      id: `${job.id}-ppo`,
      kind: "ppo",
      spec: {
        base_model: base.artifactPath,
        reference_model: reference.artifactPath,
        output_dir: path.join(dir, "output"),
        prompts_file: promptsFile,
        reward_models: {
          helpfulness: rewards.helpfulness.artifactPath,
          safety: rewards.safety.artifactPath,
        },
        iterations: cfg.iterations,
        rollout_batch: cfg.rolloutBatch,
        minibatch_size: cfg.minibatchSize,
        ppo_epochs: cfg.ppoEpochs,
        kl_beta: cfg.klBeta,
        clip: cfg.clip,
        learning_rate: cfg.learningRate,
        temperature: cfg.temperature,
        max_tokens: cfg.maxTokens,
        kl_stop: cfg.klStop,
        seed: cfg.seed,
        ...trainingMethodSpec(cfg),
      },
    },
  });
  const { result, policy } = await registerTrainedPolicy({
    job,
    kind: "ppo",
    label: "PPO",
    raw: snap.result,
    baseName: `policy-r${round.number}-ppo`,
    parentId: base.id,
    roundId: round.id,
    metrics: {
      referenceId: reference.id,
      rewardModels: { helpfulness: rewards.helpfulness.id, safety: rewards.safety.id },
    },
  });
  return storeResult("ppo", {
    ...engineFields(result),
    modelVersionId: policy.id,
    modelName: policy.name,
    baseModelId: base.id,
    referenceId: reference.id,
    rewardModelIds: { helpfulness: rewards.helpfulness.id, safety: rewards.safety.id },
    promptsFile,
  });
}
