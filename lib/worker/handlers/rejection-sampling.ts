// Job "rejection_sampling": K samples per prompt from the base policy, the best by reward kept,
// and the policy fine-tuned on the best samples pooled over this and every earlier round. The
// result is registered as the round's policy `policy-r{round}-rs` (parent: the base policy).
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { prisma } from "@/lib/db";
import type { Job, Prisma } from "@/lib/generated/prisma/client";
import { currentPolicy, resolveBasePolicy } from "@/lib/server/models/policies";
import { appendJobLog, jobSpec } from "@/lib/server/jobs/transitions";
import { jobDir, rewardModelsFor } from "@/lib/server/rlhf/models";
import { earlierBestFiles, promptPool, writePromptsFile } from "@/lib/server/rlhf/prompts";
import { PermanentJobError, type TJobContext } from "../runner";
import {
  engineFields,
  permanent,
  registerTrainedPolicy,
  runEngineJob,
  storeResult,
  trainingMethodSpec,
} from "./engine-job";

export async function requireRound(job: Job, what: string) {
  if (!job.roundId)
    throw new PermanentJobError(`${what} belongs to a round: start it with a roundId`);
  const round = await prisma.round.findUnique({ where: { id: job.roundId } });
  if (!round) throw new PermanentJobError(`the job's round ${job.roundId} no longer exists`);
  return round;
}

export async function rejectionSampling(
  job: Job,
  ctx: TJobContext,
): Promise<Prisma.InputJsonValue> {
  const spec = jobSpec(job);
  if (spec.kind !== "rejection_sampling")
    throw new PermanentJobError(`not a rejection_sampling job: ${spec.kind}`);
  const cfg = spec.config;
  const round = await requireRound(job, "rejection sampling");
  const dir = jobDir(job.id);
  await mkdir(dir, { recursive: true });

  await ctx.report({ progress: 0, phase: "preparing prompts" });
  const { base, rewards, pool, best } = await permanent(async () => ({
    base: cfg.baseModelId ? await resolveBasePolicy(cfg.baseModelId) : await currentPolicy(),
    rewards: await rewardModelsFor(round.id),
    pool: await promptPool(round.id, cfg.promptCount, cfg.seed),
    best: await earlierBestFiles(round.id),
  }));
  const promptsFile = await writePromptsFile(job.id, pool.rows);
  await appendJobLog(
    job.id,
    `${pool.rows.length} prompts (${pool.fromComparisons} from comparisons so far, ${pool.queued} queued); ` +
      `${best.files.length} earlier best files in the pool`,
  );
  for (const missing of best.missing)
    await appendJobLog(job.id, `left out of the pool, no longer on disk: ${missing}`);

  const snap = await runEngineJob({
    ctx,
    label: "rejection sampling",
    request: {
      id: `${job.id}-rs`,
      kind: "rejection_sampling",
      spec: {
        base_model: base.artifactPath,
        output_dir: path.join(dir, "output"),
        prompts_file: promptsFile,
        pool_files: best.files,
        reward_models: {
          helpfulness: rewards.helpfulness.artifactPath,
          safety: rewards.safety.artifactPath,
        },
        reward: cfg.reward,
        k: cfg.k,
        temperature: cfg.temperature,
        top_p: cfg.topP,
        max_tokens: cfg.maxTokens,
        epochs: cfg.epochs,
        learning_rate: cfg.learningRate,
        batch_size: cfg.batchSize,
        seed: cfg.seed,
        ...trainingMethodSpec(cfg),
      },
    },
  });
  const { result, policy } = await registerTrainedPolicy({
    job,
    kind: "rejection_sampling",
    label: "rejection sampling",
    raw: snap.result,
    baseName: `policy-r${round.number}-rs`,
    parentId: base.id,
    roundId: round.id,
    metrics: {
      rewardModels: { helpfulness: rewards.helpfulness.id, safety: rewards.safety.id },
      poolFiles: best.files,
    },
  });
  return storeResult("rejection_sampling", {
    ...engineFields(result),
    modelVersionId: policy.id,
    modelName: policy.name,
    baseModelId: base.id,
    rewardModelIds: { helpfulness: rewards.helpfulness.id, safety: rewards.safety.id },
    promptsFile,
    poolFiles: best.files,
  });
}
