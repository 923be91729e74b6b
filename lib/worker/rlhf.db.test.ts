// One RLHF round end to end against a real engine, with tiny settings: reward models trained on
// the round's labels, rejection sampling (and PPO) registering the round's policies, the
// evaluation stored on the round and queued for annotators, publishing making the new policy
// "latest"; then the next round's rejection sampling pools the first round's best samples.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TEST_BACKEND } from "@/lib/testing/database";
import { engineSuite } from "@/lib/testing/engine";
import { createLabelledPairs } from "@/lib/testing/labels";
import { defaultRoundConfig } from "@/lib/shared/round-config";
import { ZRoundEvaluation } from "@/lib/shared/rlhf";
import { sameResponses } from "@/lib/shared/pairs";
import type { TJobSpecInput } from "@/lib/shared/jobs";

let roundId = "";

const suite = engineSuite("rlhf-worker", seed);

/** 16 labelled comparisons per axis in round 1 (collecting). */
async function seed() {
  const user = await suite.db.prisma.user.create({
    data: { id: "u-rw", name: "rw", email: "rw@rw.test", role: "annotator" },
  });
  const round = await suite.db.prisma.round.create({
    data: {
      number: 1,
      name: "r1",
      status: "collecting",
      config: { ...defaultRoundConfig(), minAnnotationsPerAxis: 8 },
    },
  });
  roundId = round.id;
  await createLabelledPairs(suite.db.prisma, {
    roundId: round.id,
    annotatorId: user.id,
    count: 32,
    keyPrefix: "rw",
  });
}

/** Starts a job the way the dashboard does (jobs.start) and runs it in this process. */
async function run(spec: TJobSpecInput, opts: { direct?: boolean; round?: string } = {}) {
  const { startJob } = await import("@/lib/server/rlhf/start");
  const { enqueueJob, claimNextJob } = await import("@/lib/server/jobs/transitions");
  const { runOne } = await import("./runner");
  const { trainReward } = await import("./handlers/train-reward");
  const { rejectionSampling } = await import("./handlers/rejection-sampling");
  const { ppo } = await import("./handlers/ppo");
  const { evaluate } = await import("./handlers/evaluate");
  const rid = opts.round ?? roundId;
  const job = opts.direct
    ? await enqueueJob(spec, { roundId: rid, maxAttempts: 1 })
    : await startJob({ roundId: rid, spec });
  const claimed = (await claimNextJob("w-rlhf", new Date()))!;
  expect(claimed.id).toBe(job.id);
  const log: string[] = [];
  await runOne(
    claimed,
    "w-rlhf",
    { train_reward: trainReward, rejection_sampling: rejectionSampling, ppo, evaluate },
    (l) => log.push(l),
  );
  const row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
  expect(row.state, `${log.join("\n")}\n${row.error ?? ""}\n${row.log.join("\n")}`).toBe(
    "succeeded",
  );
  return row;
}

describe(`an RLHF round through the worker on ${TEST_BACKEND}`, () => {
  it(
    "trains reward models, registers the round's policies, evaluates, and publishes",
    { timeout: 600_000 },
    async () => {
      const { advanceRound } = await import("@/lib/server/rounds/transitions");
      const { latestPolicies } = await import("@/lib/server/models/policies");
      await run({
        kind: "train_reward",
        config: { epochs: 1, learningRate: 1e-3, batchSize: 8, testFraction: 0.25, seed: 1 },
      });
      const rewards = await suite.db.prisma.modelVersion.findMany({
        where: { kind: { in: ["reward_helpfulness", "reward_safety"] } },
      });
      expect(rewards.map((r) => r.roundId)).toEqual([roundId, roundId]);
      await advanceRound(roundId, new Date()); // → training_rewards
      await advanceRound(roundId, new Date()); // → rlhf
      const [root] = await latestPolicies();

      const rsJob = await run({
        kind: "rejection_sampling",
        config: { k: 2, promptCount: 8, maxTokens: 12, epochs: 1, batchSize: 8, seed: 2 },
      });
      const rsResult = rsJob.result as {
        modelVersionId: string;
        bestFile: string;
        poolFiles: string[];
      };
      expect(rsResult.poolFiles).toEqual([]);
      expect(existsSync(rsResult.bestFile)).toBe(true);
      const rs = await suite.db.prisma.modelVersion.findUniqueOrThrow({
        where: { id: rsResult.modelVersionId },
      });
      expect(rs).toMatchObject({
        name: "policy-r1-rs",
        kind: "policy",
        parentId: root!.id,
        roundId,
      });
      expect(existsSync(path.join(rs.artifactPath, "config.json"))).toBe(true);
      // Not published yet: annotators still sample the previous policy.
      expect((await latestPolicies()).map((m) => m.id)).toEqual([root!.id]);

      {
        const ppoJob = await run({
          kind: "ppo",
          config: {
            iterations: 2,
            rolloutBatch: 4,
            minibatchSize: 2,
            ppoEpochs: 1,
            maxTokens: 8,
            promptCount: 8,
          },
        });
        const ppoPolicy = await suite.db.prisma.modelVersion.findUniqueOrThrow({
          where: { id: (ppoJob.result as { modelVersionId: string }).modelVersionId },
        });
        expect(ppoPolicy).toMatchObject({ name: "policy-r1-ppo", parentId: rs.id, roundId });
      }
      // PPO started from the round's rejection-sampling policy; the newest is the one evaluated.
      const newest = await suite.db.prisma.modelVersion.findFirstOrThrow({
        where: { roundId, kind: "policy" },
        orderBy: { createdAt: "desc" },
      });
      expect(newest.name).toBe("policy-r1-ppo");

      await advanceRound(roundId, new Date()); // → evaluating
      await run({
        kind: "evaluate",
        config: { promptCount: 8, maxTokens: 12, humanEval: true },
      });
      const round = await suite.db.prisma.round.findUniqueOrThrow({ where: { id: roundId } });
      const evaluation = ZRoundEvaluation.parse(round.evaluation);
      expect(evaluation).toMatchObject({ modelId: newest.id, baselineId: root!.id });
      expect(evaluation.rewardModel.n).toBe(8);
      expect(
        evaluation.rewardModel.win + evaluation.rewardModel.tie + evaluation.rewardModel.loss,
      ).toBe(8);
      expect(evaluation.oracle?.n).toBe(8);
      // k = 4 samples per prompt by default: policy-level numbers, the first draw alongside.
      expect(evaluation.samplesPerPrompt).toBe(4);
      expect(evaluation.oracle?.meanDiffCi95).toHaveLength(2);
      expect(evaluation.singleDraw?.oracle?.n).toBe(8);
      expect(evaluation.singleDraw?.rewardModel.n).toBe(8);
      const sideBySide = await suite.db.prisma.comparison.count({
        where: { roundId, status: "ready", modelAId: newest.id, modelBId: root!.id },
      });
      // Every pair is queued but those whose two (first) responses are the same (issue 21).
      const pairs = readFileSync(evaluation.pairsFile!, "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { model_response: string; baseline_response: string });
      expect(pairs).toHaveLength(8);
      expect(sideBySide).toBe(
        pairs.filter((p) => !sameResponses(p.model_response, p.baseline_response)).length,
      );

      await advanceRound(roundId, new Date()); // → published
      expect((await latestPolicies()).map((m) => m.id)).toEqual([newest.id, root!.id]);
    },
  );

  it(
    "pools the earlier round's best samples into the next round's rejection sampling",
    { timeout: 300_000 },
    async () => {
      const { latestPolicies } = await import("@/lib/server/models/policies");
      const r2 = await suite.db.prisma.round.create({
        data: { number: 2, name: "r2", status: "rlhf", config: defaultRoundConfig() },
      });
      const first = await suite.db.prisma.job.findFirstOrThrow({
        where: { kind: "rejection_sampling", roundId },
      });
      const [current] = await latestPolicies();
      // Round 2 has no reward models of its own: the job uses the newest ones (round 1's).
      const job = await run(
        {
          kind: "rejection_sampling",
          config: { k: 2, promptCount: 8, maxTokens: 12, epochs: 1, batchSize: 8, seed: 3 },
        },
        { direct: true, round: r2.id },
      );
      const result = job.result as {
        poolFiles: string[];
        baseModelId: string;
        poolSize: number;
        modelVersionId: string;
      };
      expect(result.poolFiles).toEqual([(first.result as { bestFile: string }).bestFile]);
      expect(result.baseModelId).toBe(current!.id);
      expect(result.poolSize).toBeGreaterThan(8);
      const policy = await suite.db.prisma.modelVersion.findUniqueOrThrow({
        where: { id: result.modelVersionId },
      });
      expect(policy).toMatchObject({ name: "policy-r2-rs", parentId: current!.id, roundId: r2.id });
      // Round 2 is not published: round 1's policy stays the latest.
      expect((await latestPolicies())[0]!.id).toBe(current!.id);
    },
  );

  it(
    "keeps an engine job's finished work when the engine forgot it (result.json), without running it again",
    { timeout: 120_000 },
    async () => {
      const { mkdir, writeFile, readFile } = await import("node:fs/promises");
      const { enqueueJob, claimNextJob } = await import("@/lib/server/jobs/transitions");
      const { jobDir } = await import("@/lib/server/rlhf/models");
      const { engine } = await import("@/lib/server/engine");
      const { runOne } = await import("./runner");
      const { rejectionSampling } = await import("./handlers/rejection-sampling");
      const r3 = await suite.db.prisma.round.create({
        data: { number: 3, name: "r3", status: "rlhf", config: defaultRoundConfig() },
      });
      const job = await enqueueJob(
        { kind: "rejection_sampling", config: { k: 2, promptCount: 8 } },
        { roundId: r3.id },
      );
      // What an earlier attempt's engine job left behind before the engine restarted.
      const earlier = await suite.db.prisma.job.findFirstOrThrow({
        where: { kind: "rejection_sampling", roundId },
      });
      const out = path.join(jobDir(job.id), "output");
      await mkdir(out, { recursive: true });
      const result = JSON.parse(
        await readFile(path.join(jobDir(earlier.id), "output", "result.json"), "utf8"),
      ) as { model_dir: string };
      await writeFile(path.join(out, "result.json"), JSON.stringify(result));
      const claimed = (await claimNextJob("w-rlhf", new Date()))!;
      await runOne(claimed, "w-rlhf", { rejection_sampling: rejectionSampling }, () => {});
      const row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(row.state, row.error ?? "").toBe("succeeded");
      await expect(engine().getJob(`${job.id}-rs`)).rejects.toMatchObject({ status: 404 });
      const policy = await suite.db.prisma.modelVersion.findUniqueOrThrow({
        where: { id: (row.result as { modelVersionId: string }).modelVersionId },
      });
      // Registered once per folder: the earlier round's policy is the same artifact.
      expect(policy.artifactPath).toBe(result.model_dir);
    },
  );

  it("passes a cancel on to the engine job", { timeout: 180_000 }, async () => {
    const t = await import("@/lib/server/jobs/transitions");
    const { engine } = await import("@/lib/server/engine");
    const { runOne } = await import("./runner");
    const { ppo } = await import("./handlers/ppo");
    const r4 = await suite.db.prisma.round.create({
      data: { number: 4, name: "r4", status: "rlhf", config: defaultRoundConfig() },
    });
    const job = await t.enqueueJob(
      {
        kind: "ppo",
        config: { iterations: 10_000, rolloutBatch: 4, minibatchSize: 2, maxTokens: 8 },
      },
      { roundId: r4.id },
    );
    const claimed = (await t.claimNextJob("w-rlhf", new Date()))!;
    const running = runOne(claimed, "w-rlhf", { ppo }, () => {});
    for (let i = 0; i < 600; i++) {
      const row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      if (/^PPO: /.test(row.phase ?? "")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await t.requestCancel(job.id, new Date());
    await running;
    const row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.state).toBe("cancelled");
    let snap = await engine().getJob(`${job.id}-ppo`);
    for (let i = 0; i < 100 && snap.state === "running"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      snap = await engine().getJob(`${job.id}-ppo`);
    }
    expect(snap.state).toBe("cancelled");
    expect(await suite.db.prisma.modelVersion.count({ where: { roundId: r4.id } })).toBe(0);
  });
});
