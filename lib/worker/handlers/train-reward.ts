// Job "train_reward": build the helpfulness and safety datasets from the annotations, have the
// engine train one reward model per axis (policy trunk + scalar head, margin loss), and register
// each as a model version with its Table 8 accuracies.
//
// The engine job id is derived from the platform job and the axis, so a retried attempt follows
// an engine job still running and an engine that restarted gets it again (./engine-job.ts).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { prisma } from "@/lib/db";
import type { Job, Prisma } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";
import { resolveBasePolicy } from "@/lib/server/models/policies";
import { buildDatasets, toJsonl } from "@/lib/server/training-data/build-datasets";
import { jobSpec } from "@/lib/server/jobs/transitions";
import { marginTable } from "@/lib/shared/jobs";
import { PermanentJobError, type TJobContext } from "../runner";
import {
  engineFields,
  engineResult,
  permanent,
  runEngineJob,
  storeResult,
  trainedArtifacts,
  trainingMethodSpec,
} from "./engine-job";

export async function trainReward(job: Job, ctx: TJobContext): Promise<Prisma.InputJsonValue> {
  const spec = jobSpec(job);
  if (spec.kind !== "train_reward")
    throw new PermanentJobError(`not a train_reward job: ${spec.kind}`);
  const cfg = spec.config;
  const dir = path.resolve(env().PAIRWISE_DATA_DIR, "jobs", job.id);
  await mkdir(dir, { recursive: true });

  await ctx.report({ progress: 0, phase: "building datasets" });
  const ds = await buildDatasets({
    roundIds: cfg.roundIds,
    testFraction: cfg.testFraction,
    helpfulnessSafetyShare: cfg.helpfulnessSafetyShare,
    safetyHelpfulnessShare: cfg.safetyHelpfulnessShare,
    seed: cfg.seed,
  });
  const files = {
    helpfulnessTrain: path.join(dir, "helpfulness-train.jsonl"),
    safetyTrain: path.join(dir, "safety-train.jsonl"),
    helpfulnessTest: path.join(dir, "helpfulness-test.jsonl"),
    safetyTest: path.join(dir, "safety-test.jsonl"),
  };
  await Promise.all([
    writeFile(files.helpfulnessTrain, toJsonl(ds.train.helpfulness)),
    writeFile(files.safetyTrain, toJsonl(ds.train.safety)),
    writeFile(files.helpfulnessTest, toJsonl(ds.test.helpfulness)),
    writeFile(files.safetyTest, toJsonl(ds.test.safety)),
  ]);
  for (const axis of cfg.axes) {
    if (ds.train[axis].length === 0) {
      throw new PermanentJobError(
        `no ${axis} training pairs: annotate some comparisons (and keep them unrejected) first`,
      );
    }
  }
  const base = await permanent(() => resolveBasePolicy(cfg.baseModelId));
  const testFiles = {
    ...(ds.test.helpfulness.length ? { helpfulness: files.helpfulnessTest } : {}),
    ...(ds.test.safety.length ? { safety: files.safetyTest } : {}),
  };

  const trained: Record<string, unknown> = {};
  for (const [i, axis] of cfg.axes.entries()) {
    const engineId = `${job.id}-${axis}`;
    const outputDir = path.join(dir, `reward-${axis}`);
    const share = (p: number) => (i + p) / cfg.axes.length;
    const snap = await runEngineJob({
      ctx,
      label: `${axis} reward model`,
      share,
      metricsExtra: { axis },
      request: {
        id: engineId,
        kind: "train_reward",
        spec: {
          base_model: base.artifactPath,
          output_dir: outputDir,
          train_file: axis === "helpfulness" ? files.helpfulnessTrain : files.safetyTrain,
          test_files: testFiles,
          axis,
          margins: marginTable(cfg.margins),
          epochs: cfg.epochs,
          learning_rate: cfg.learningRate,
          batch_size: cfg.batchSize,
          seed: cfg.seed,
          ...trainingMethodSpec(cfg),
        },
      },
    });
    const result = engineResult("train_reward", `${axis} reward model`, snap.result);
    const { kind: _kind, ...fields } = result;
    const kind = axis === "helpfulness" ? "reward_helpfulness" : "reward_safety";
    const version = (await prisma.modelVersion.count({ where: { kind } })) + 1;
    const model = await prisma.modelVersion.create({
      data: {
        name: `reward-${axis}-v${version}`,
        kind,
        parentId: base.id,
        roundId: job.roundId,
        artifactPath: outputDir,
        metrics: {
          ...fields,
          ...trainedArtifacts(snap.result),
          datasets: ds.counts,
          margins: marginTable(cfg.margins),
        } as Prisma.InputJsonValue,
      },
    });
    trained[axis] = { modelVersionId: model.id, ...engineFields(result) };
    // The final snapshot's metrics (the whole loss curve) stay on the job for the jobs page.
    await ctx.report({
      progress: share(1),
      phase: `${axis} reward model saved`,
      metrics: { axis, ...(snap.metrics ?? {}) } as Prisma.InputJsonValue,
    });
  }
  return storeResult("train_reward", { datasets: ds.counts, models: trained });
}
