// Job "sft": supervised fine-tuning of a policy on the approved demonstrations (the reviewer's
// edit when there is one), loss on assistant tokens only (the engine's `sft` kind, Llama 2 chat
// format, short dialogues packed). The result is registered as a policy version whose parent is
// the base policy, in the job's round, named `policy-r{n}-sft` (`policy-sft` without a round).
//
// The training file is written before the engine job is submitted, from the database as it is
// then; a retried attempt rewrites it and the engine job id stays the platform job's id, so a
// retry follows a running engine job (see engine-job.ts).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { prisma } from "@/lib/db";
import type { Job, Prisma } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";
import { approvedDemonstrations, sftJsonl } from "@/lib/server/demonstrations/training";
import { resolveBasePolicy } from "@/lib/server/models/policies";
import { jobSpec } from "@/lib/server/jobs/transitions";
import { PermanentJobError, type TJobContext } from "../runner";
import {
  engineFields,
  permanent,
  registerTrainedPolicy,
  runEngineJob,
  storeResult,
  trainingMethodSpec,
} from "./engine-job";

export async function sft(job: Job, ctx: TJobContext): Promise<Prisma.InputJsonValue> {
  const spec = jobSpec(job);
  if (spec.kind !== "sft") throw new PermanentJobError(`not an sft job: ${spec.kind}`);
  const cfg = spec.config;
  const dir = path.resolve(env().PAIRWISE_DATA_DIR, "jobs", job.id);
  await mkdir(dir, { recursive: true });

  await ctx.report({ progress: 0, phase: "collecting approved demonstrations" });
  const rows = await approvedDemonstrations(cfg.roundIds);
  if (rows.length === 0)
    throw new PermanentJobError(
      "no approved demonstrations: annotators write demonstrations and a reviewer approves them first",
    );
  const trainFile = path.join(dir, "sft-train.jsonl");
  await writeFile(trainFile, sftJsonl(rows));
  const base = await permanent(() => resolveBasePolicy(cfg.baseModelId));
  const outputDir = path.join(dir, "sft");

  const snap = await runEngineJob({
    ctx,
    label: "supervised fine-tuning",
    request: {
      id: job.id,
      kind: "sft",
      spec: {
        base_model: base.artifactPath,
        output_dir: outputDir,
        train_file: trainFile,
        epochs: cfg.epochs,
        learning_rate: cfg.learningRate,
        batch_size: cfg.batchSize,
        seed: cfg.seed,
        ...trainingMethodSpec(cfg),
      },
    },
    metricsExtra: { demonstrations: rows.length },
  });
  const round = job.roundId
    ? await prisma.round.findUnique({ where: { id: job.roundId }, select: { number: true } })
    : null;
  const { result, policy: model } = await registerTrainedPolicy({
    job,
    kind: "sft",
    label: "supervised fine-tuning",
    raw: snap.result,
    baseName: round ? `policy-r${round.number}-sft` : "policy-sft",
    parentId: base.id,
    roundId: job.roundId,
    metrics: { stage: "sft", demonstrations: rows.length, config: cfg },
  });
  await ctx.report({ progress: 1, phase: `saved as ${model.name}` });
  return storeResult("sft", {
    ...engineFields(result),
    modelVersionId: model.id,
    modelName: model.name,
    parentId: base.id,
    demonstrations: rows.length,
  });
}
