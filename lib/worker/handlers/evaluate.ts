// Job "evaluate": the round's new policy against the previous (published) one on held-out
// prompts, judged by the reward models (R_c) and, in the demo world, by its oracle. The outcome
// is stored on Round.evaluation (ZRoundEvaluation); with humanEval the pairs are also queued in
// the round as a blind side-by-side for annotators.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Job, Prisma } from "@/lib/generated/prisma/client";
import { currentPolicy, newestRoundPolicy, requirePolicy } from "@/lib/server/models/policies";
import { appendJobLog, jobSpec } from "@/lib/server/jobs/transitions";
import {
  queueHumanEval,
  storeRoundEvaluation,
  toRoundEvaluation,
} from "@/lib/server/rlhf/evaluation";
import { jobDir, rewardModelsFor } from "@/lib/server/rlhf/models";
import { unusedRoundPrompts, writePromptsFile } from "@/lib/server/rlhf/prompts";
import { PermanentJobError, type TJobContext } from "../runner";
import { engineResult, permanent, runEngineJob, storeResult } from "./engine-job";
import { requireRound } from "./rejection-sampling";

export async function evaluate(job: Job, ctx: TJobContext): Promise<Prisma.InputJsonValue> {
  const spec = jobSpec(job);
  if (spec.kind !== "evaluate") throw new PermanentJobError(`not an evaluate job: ${spec.kind}`);
  const cfg = spec.config;
  const round = await requireRound(job, "an evaluation");
  const dir = jobDir(job.id);
  await mkdir(dir, { recursive: true });

  await ctx.report({ progress: 0, phase: "preparing prompts" });
  const { model, baseline, rewards, promptsFile } = await permanent(async () => {
    const model = cfg.modelId
      ? await requirePolicy(cfg.modelId, "modelId")
      : await newestRoundPolicy(round.id);
    if (!model)
      throw new PermanentJobError(
        `round ${round.number} has no new policy to evaluate: run rejection sampling or PPO first`,
      );
    const baseline = cfg.baselineId
      ? await requirePolicy(cfg.baselineId, "baselineId")
      : await currentPolicy();
    if (baseline.id === model.id)
      throw new PermanentJobError(
        `${model.name} is both the model and its baseline: give a baselineId`,
      );
    const promptsFile =
      cfg.promptSet === "round"
        ? await writePromptsFile(
            job.id,
            await unusedRoundPrompts(round.id, cfg.promptCount, cfg.seed),
          )
        : null;
    return { model, baseline, rewards: await rewardModelsFor(round.id), promptsFile };
  });
  await appendJobLog(
    job.id,
    `${model.name} against ${baseline.name} on ${cfg.promptSet === "round" ? "this round's unused prompts" : "the demo world's held-out prompts"}`,
  );

  const snap = await runEngineJob({
    ctx,
    label: "evaluation",
    request: {
      id: `${job.id}-eval`,
      kind: "evaluate",
      spec: {
        model: model.artifactPath,
        baseline: baseline.artifactPath,
        reward_models: {
          helpfulness: rewards.helpfulness.artifactPath,
          safety: rewards.safety.artifactPath,
        },
        output_dir: path.join(dir, "output"),
        ...(promptsFile ? { prompts_file: promptsFile } : { demo_heldout: true }),
        prompt_count: cfg.promptCount,
        temperature: cfg.temperature,
        max_tokens: cfg.maxTokens,
        tie_margin: cfg.tieMargin,
        samples_per_prompt: cfg.samplesPerPrompt,
        seed: cfg.seed,
      },
    },
  });
  const result = engineResult("evaluate", "evaluation", snap.result);
  const evaluation = toRoundEvaluation(result, {
    jobId: job.id,
    modelId: model.id,
    baselineId: baseline.id,
    promptSet: cfg.promptSet,
    now: new Date(),
  });
  await storeRoundEvaluation(round.id, evaluation);
  await appendJobLog(
    job.id,
    `win rate ${evaluation.rewardModel.winRate.toFixed(3)} by the reward models` +
      (evaluation.oracle ? `, ${evaluation.oracle.winRate.toFixed(3)} by the oracle` : ""),
  );
  let humanEval = 0;
  if (cfg.humanEval) {
    humanEval = await permanent(() =>
      queueHumanEval({
        jobId: job.id,
        roundId: round.id,
        pairsFile: result.pairs_file,
        model,
        baseline,
        sampling: { temperature: cfg.temperature, maxTokens: cfg.maxTokens },
      }),
    );
    await appendJobLog(job.id, `queued ${humanEval} pairs for the blind side-by-side`);
  }
  return storeResult("evaluate", {
    evaluation,
    humanEvalComparisons: humanEval,
    ...(result.mean_reward ? { meanReward: result.mean_reward } : {}),
    ...(result.seconds !== undefined ? { seconds: result.seconds } : {}),
  });
}
