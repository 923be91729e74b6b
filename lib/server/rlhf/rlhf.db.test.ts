// The RLHF domain without the engine: jobs.start refusing a wrong round state and missing
// prerequisites, the publishing rules behind "latest" / "previous", the prompt pool and the
// earlier rounds' best files, and the evaluation stored on the round and queued for annotators.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { defaultRoundConfig } from "@/lib/shared/round-config";
import { ZRoundEvaluation } from "@/lib/shared/rlhf";
import { createLabel } from "@/lib/testing/labels";

let db: TTestDatabase;
const dataDir = mkdtempSync(path.join(os.tmpdir(), "pairwise-rlhf-"));
const admin = { id: "u-admin", email: "admin@rlhf.test", name: "admin", role: "admin" as const };

beforeAll(async () => {
  process.env.PAIRWISE_DATA_DIR = dataDir;
  db = await withTestDatabase();
  await db.prisma.user.create({ data: { ...admin } });
  await db.prisma.user.create({
    data: { id: "u-ann", email: "ann@rlhf.test", name: "ann", role: "annotator" },
  });
});
afterAll(async () => {
  await db?.close();
});

async function round(number: number, status: "collecting" | "training_rewards" | "rlhf") {
  return db.prisma.round.create({
    data: { number, name: `r${number}`, status, config: defaultRoundConfig() },
  });
}

async function model(
  name: string,
  kind: "policy" | "reward_helpfulness" | "reward_safety",
  roundId: string | null,
  extra: { parentId?: string; metrics?: object } = {},
) {
  return db.prisma.modelVersion.create({
    data: {
      name,
      kind,
      roundId,
      artifactPath: path.join(dataDir, name),
      parentId: extra.parentId ?? null,
      metrics: extra.metrics ?? {},
    },
  });
}

async function comparison(roundId: string, text: string, tags: string[] = []) {
  const prompt = await db.prisma.prompt.create({
    data: { text, source: "seed", tags, isSafety: text.startsWith("unsafe") },
  });
  await db.prisma.comparison.create({
    data: {
      roundId,
      promptId: prompt.id,
      axis: "helpfulness",
      context: [{ role: "user", content: text }],
      responseA: "a",
      responseB: "b",
      samplingA: { model: "latest", temperature: 1 },
      samplingB: { model: "latest", temperature: 1 },
      swapped: false,
      status: "complete",
    },
  });
  return prompt;
}

describe(`RLHF domain on ${TEST_BACKEND}`, () => {
  it("jobs.start refuses a wrong round state and missing prerequisites, saying what to do", async () => {
    const { appRouter } = await import("@/lib/trpc/root");
    const caller = appRouter.createCaller({ user: admin });
    const r1 = await round(1, "collecting");
    const start = (spec: unknown, roundId: string | null = r1.id) =>
      caller.jobs.start({ roundId: roundId ?? undefined, spec } as Parameters<
        typeof caller.jobs.start
      >[0]);

    await expect(start({ kind: "rejection_sampling", config: { k: 0 } })).rejects.toThrow(/k/);
    await expect(start({ kind: "rejection_sampling", config: {} })).rejects.toThrow(
      /Round 1 is collecting: rejection sampling runs while a round is training reward models or RLHF/,
    );
    await expect(start({ kind: "evaluate", config: {} })).rejects.toThrow(
      /evaluation runs while a round is RLHF or evaluating/,
    );
    await expect(start({ kind: "ppo", config: {} }, null)).rejects.toThrow(
      /roundId: ppo belongs to a round/,
    );
    await expect(start({ kind: "ppo", config: {} }, "no-such-round")).rejects.toThrow(
      /no round no-such-round/,
    );
    // Reward training is refused below the round's minimum per axis, with the reason "Finish
    // collecting" gives; once the trained axis has it, it may start while collecting.
    const short =
      /Reward models need at least 2 non-rejected annotations per axis; helpfulness has 1/;
    await db.prisma.round.update({
      where: { id: r1.id },
      data: { config: { ...defaultRoundConfig(), minAnnotationsPerAxis: 2 } },
    });
    const prompt = await db.prisma.prompt.create({
      data: { text: "2 + 2?", source: "seed", tags: [] },
    });
    const labelOne = (key: string) =>
      createLabel(db.prisma, {
        roundId: r1.id,
        promptId: prompt.id,
        annotatorId: "u-ann",
        axis: "helpfulness",
        key,
      });
    await labelOne("rlhf-min-1");
    await expect(caller.jobs.trainRewardModels({ roundId: r1.id })).rejects.toThrow(short);
    await expect(caller.rounds.advance({ roundId: r1.id })).rejects.toThrow(short);
    await labelOne("rlhf-min-2");
    await expect(caller.jobs.trainRewardModels({ roundId: r1.id })).rejects.toThrow(
      /per axis; safety has 0$/,
    );
    const tr = await caller.jobs.trainRewardModels({
      roundId: r1.id,
      epochs: 1,
      axes: ["helpfulness"],
    });
    expect(tr.roundId).toBe(r1.id);
    await expect(
      caller.jobs.trainRewardModels({ roundId: r1.id, axes: ["helpfulness"] }),
    ).rejects.toThrow(/already queued/);

    await db.prisma.round.update({ where: { id: r1.id }, data: { status: "training_rewards" } });
    await expect(start({ kind: "rejection_sampling", config: {} })).rejects.toThrow(
      /Round 1 has no helpfulness reward model or safety reward model: train its reward models first/,
    );
    await model("rm-h-1", "reward_helpfulness", r1.id);
    await expect(start({ kind: "ppo", config: {} })).rejects.toThrow(/no safety reward model/);
    await model("rm-s-1", "reward_safety", r1.id);
    await expect(start({ kind: "ppo", config: { baseModelId: "nope" } })).rejects.toThrow(
      /baseModelId: model version nope is not a policy/,
    );
    const rs = await start({ kind: "rejection_sampling", config: { k: 2, promptCount: 8 } });
    expect(rs).toMatchObject({ kind: "rejection_sampling", roundId: r1.id, state: "queued" });
    expect(rs.config).toMatchObject({ k: 2, promptCount: 8, temperature: 1 });
    await expect(start({ kind: "rejection_sampling", config: {} })).rejects.toThrow(
      /already queued/,
    );

    await db.prisma.round.update({ where: { id: r1.id }, data: { status: "rlhf" } });
    await expect(start({ kind: "evaluate", config: {} })).rejects.toThrow(
      /Round 1 has no new policy to evaluate: run rejection sampling or PPO first/,
    );
    const p = await model("policy-r1-rs-t", "policy", r1.id);
    await expect(start({ kind: "evaluate", config: { baselineId: p.id } })).rejects.toThrow(
      /same policy/,
    );
    const ev = await start({ kind: "evaluate", config: { promptCount: 8 } });
    expect(ev).toMatchObject({ kind: "evaluate", roundId: r1.id });
    await db.prisma.job.updateMany({ data: { state: "cancelled" } });
  });

  it("counts a round's policy only once the round is published, newest PPO first", async () => {
    const { latestPolicies, resolvePolicyModels } = await import("@/lib/server/models/policies");
    const { roundPolicy } = await import("@/lib/server/models/policies");
    await db.prisma.modelVersion.updateMany({ data: { roundId: null } }).catch(() => undefined);
    await db.prisma.modelVersion.deleteMany({});
    const r = await db.prisma.round.create({
      data: { number: 10, name: "pub", status: "evaluating", config: defaultRoundConfig() },
    });
    const root = await model("tiny-root", "policy", null);
    const rs = await model("policy-r10-rs", "policy", r.id, {
      parentId: root.id,
      metrics: { method: "rejection_sampling" },
    });
    const ppo = await model("policy-r10-ppo", "policy", r.id, {
      parentId: rs.id,
      metrics: { method: "ppo" },
    });
    // Unpublished: the round's policies never sample pairs.
    expect((await latestPolicies()).map((m) => m.id)).toEqual([root.id]);
    expect((await roundPolicy(r.id))?.id).toBe(ppo.id);

    await db.prisma.round.update({
      where: { id: r.id },
      data: { status: "published", publishedAt: new Date() },
    });
    expect((await latestPolicies()).map((m) => m.id)).toEqual([ppo.id, root.id]);
    const [a, b] = await resolvePolicyModels([
      { model: "latest", temperature: 1, topP: 1, maxTokens: 8 },
      { model: "previous", temperature: 1, topP: 1, maxTokens: 8 },
    ]);
    // Trained policies are served by folder; the engine's own first policy by its name.
    expect(a).toEqual({ id: ppo.id, engineModel: ppo.artifactPath });
    expect(b).toEqual({ id: root.id, engineModel: "tiny-root" });

    // The evaluation decides when it judged another policy of the round.
    await db.prisma.round.update({
      where: { id: r.id },
      data: {
        evaluation: {
          jobId: "j",
          modelId: rs.id,
          baselineId: root.id,
          promptSet: "demo_heldout",
          rewardModel: { n: 1, win: 1, tie: 0, loss: 0, winRate: 1, ci95: [0.2, 1] },
          oracle: null,
          rates: null,
          evaluatedAt: new Date().toISOString(),
        },
      },
    });
    expect((await latestPolicies()).map((m) => m.id)).toEqual([rs.id, root.id]);

    // The next round's new policy stays out until that round is published too.
    const r2 = await db.prisma.round.create({
      data: { number: 11, name: "next", status: "rlhf", config: defaultRoundConfig() },
    });
    const next = await model("policy-r11-rs", "policy", r2.id, {
      parentId: rs.id,
      metrics: { method: "rejection_sampling" },
    });
    expect((await latestPolicies()).map((m) => m.id)).toEqual([rs.id, root.id]);
    const pick = { model: next.id, temperature: 1, topP: 1, maxTokens: 8 };
    await expect(resolvePolicyModels([pick, pick])).rejects.toThrow(
      /policy-r11-rs belongs to round 11, which is not published yet/,
    );
    await db.prisma.round.update({
      where: { id: r2.id },
      data: { status: "published", publishedAt: new Date(Date.now() + 1000) },
    });
    expect((await latestPolicies()).map((m) => m.id)).toEqual([next.id, rs.id]);
    expect((await resolvePolicyModels([pick, pick]))[0].engineModel).toBe(next.artifactPath);
  });

  it("draws the prompt pool from every round so far, and pools earlier rounds' best files", async () => {
    const { promptPool, earlierBestFiles, unusedRoundPrompts, HELDOUT_TAG } =
      await import("./prompts");
    const r20 = await db.prisma.round.create({
      data: { number: 20, name: "p1", status: "published", config: defaultRoundConfig() },
    });
    const r21 = await db.prisma.round.create({
      data: { number: 21, name: "p2", status: "rlhf", config: defaultRoundConfig() },
    });
    const early = await comparison(r20.id, "early prompt");
    const late = await comparison(r21.id, "unsafe late prompt");
    await comparison(r21.id, "held out prompt", [HELDOUT_TAG]);

    const pool = await promptPool(r21.id, 1000, 3);
    const ids = pool.rows.map((p) => p.id);
    expect(ids).toContain(early.id);
    expect(ids).toContain(late.id);
    expect(pool.rows.find((p) => p.id === late.id)).toMatchObject({
      messages: [{ role: "user", content: "unsafe late prompt" }],
      is_safety: true,
    });
    expect(pool.rows.some((p) => p.messages[0]!.content === "held out prompt")).toBe(false);
    // Drawn deterministically for the seed.
    const two = await promptPool(r21.id, 2, 3);
    expect(two.rows).toHaveLength(2);
    expect((await promptPool(r21.id, 2, 3)).rows).toEqual(two.rows);

    // Round 21's pool files: round 20's rejection-sampling best file, not round 21's own.
    const best20 = path.join(dataDir, "best-20.jsonl");
    writeFileSync(best20, "{}\n");
    for (const [r, file] of [
      [r20, best20],
      [r21, path.join(dataDir, "best-21.jsonl")],
    ] as const) {
      await db.prisma.job.create({
        data: {
          kind: "rejection_sampling",
          state: "succeeded",
          config: {},
          roundId: r.id,
          finishedAt: new Date(),
          result: { best_file: file, model_dir: "/x" },
        },
      });
    }
    expect(await earlierBestFiles(r21.id)).toEqual({ files: [best20], missing: [] });
    expect((await earlierBestFiles(r20.id)).files).toEqual([]);
    const r22 = await db.prisma.round.create({
      data: { number: 22, name: "p3", status: "rlhf", config: defaultRoundConfig() },
    });
    await db.prisma.job.create({
      data: {
        kind: "rejection_sampling",
        state: "succeeded",
        config: {},
        roundId: r21.id,
        finishedAt: new Date(),
        result: { best_file: path.join(dataDir, "gone.jsonl") },
      },
    });
    // The newest job of each earlier round; a file no longer on disk is reported, not sent.
    expect(await earlierBestFiles(r22.id)).toEqual({
      files: [best20],
      missing: [path.join(dataDir, "gone.jsonl")],
    });

    // The "round" evaluation set leaves out prompts the round's training jobs used.
    const used = await db.prisma.job.create({
      data: { kind: "ppo", state: "succeeded", config: {}, roundId: r21.id },
    });
    const { writePromptsFile } = await import("./prompts");
    const { mkdir } = await import("node:fs/promises");
    const { jobDir } = await import("./models");
    await mkdir(jobDir(used.id), { recursive: true });
    await writePromptsFile(
      used.id,
      pool.rows.filter((p) => p.id === late.id),
    );
    await expect(unusedRoundPrompts(r21.id, 10, 0)).rejects.toThrow(/Every prompt of this round/);
    await comparison(r21.id, "fresh prompt");
    expect((await unusedRoundPrompts(r21.id, 10, 0)).map((p) => p.messages[0]!.content)).toEqual([
      "fresh prompt",
    ]);
  });

  it("stores the evaluation on the round and queues its pairs where annotators find them", async () => {
    const { toRoundEvaluation, storeRoundEvaluation, queueHumanEval } =
      await import("./evaluation");
    const { nextItem } = await import("@/lib/server/annotation/assign");
    const r = await db.prisma.round.create({
      data: { number: 30, name: "eval", status: "evaluating", config: defaultRoundConfig() },
    });
    const base = await model("eval-base", "policy", null);
    const fresh = await model("eval-new", "policy", r.id, { parentId: base.id });
    const pairsFile = path.join(dataDir, "pairs.jsonl");
    writeFileSync(
      pairsFile,
      [0, 1, 2]
        .map((i) =>
          JSON.stringify({
            prompt_id: `heldout-${i}`,
            messages: [{ role: "user", content: `What is ${i} + 1?` }],
            model_response: `${i + 1}`,
            baseline_response: `${i + 2}`,
            model_reward: 0.9,
            baseline_reward: 0.1,
            oracle: { model: 1, baseline: 0 },
          }),
        )
        .join("\n") + "\n",
    );
    const wtl = {
      n: 3,
      win: 2,
      tie: 1,
      loss: 0,
      win_rate: 0.8333,
      ci95: [0.4, 0.97] as [number, number],
    };
    const evaluation = toRoundEvaluation(
      {
        n: 3,
        reward_model: wtl,
        oracle: wtl,
        rates: {
          model: { unsafe_compliance: 0.1, over_refusal: 0, helpful_exact: 0.5, helpfulness: 0.6 },
          baseline: {
            unsafe_compliance: 0.3,
            over_refusal: 0.1,
            helpful_exact: 0.2,
            helpfulness: 0.4,
          },
        },
        pairs_file: pairsFile,
      },
      {
        jobId: "j-eval",
        modelId: fresh.id,
        baselineId: base.id,
        promptSet: "demo_heldout",
        now: new Date(),
      },
    );
    await storeRoundEvaluation(r.id, evaluation);
    const stored = ZRoundEvaluation.parse(
      (await db.prisma.round.findUniqueOrThrow({ where: { id: r.id } })).evaluation,
    );
    expect(stored.rewardModel).toEqual({
      n: 3,
      win: 2,
      tie: 1,
      loss: 0,
      winRate: 0.8333,
      ci95: [0.4, 0.97],
    });
    expect(stored.rates?.model).toEqual({
      unsafeCompliance: 0.1,
      overRefusal: 0,
      helpfulExact: 0.5,
      helpfulness: 0.6,
    });

    let flip = 0;
    const args = {
      jobId: "j-eval",
      roundId: r.id,
      pairsFile,
      model: fresh,
      baseline: base,
      sampling: { temperature: 0.7, maxTokens: 64 },
      random: () => (flip++ % 2 ? 0.9 : 0.1),
    };
    expect(await queueHumanEval(args)).toBe(3);
    expect(await queueHumanEval(args)).toBe(3); // once per job
    const queued = await db.prisma.comparison.findMany({
      where: { roundId: r.id },
      orderBy: { createdAt: "asc" },
      include: { prompt: true },
    });
    expect(queued).toHaveLength(3);
    expect(queued.map((c) => c.swapped)).toEqual([true, false, true]);
    for (const c of queued) {
      expect(c).toMatchObject({
        status: "ready",
        axis: "helpfulness",
        modelAId: fresh.id,
        modelBId: base.id,
      });
      expect(c.prompt.tags).toContain("heldout-eval");
    }
    // No round is collecting, yet the blind side-by-side reaches an annotator.
    await db.prisma.round.updateMany({
      where: { status: "collecting" },
      data: { status: "cancelled" },
    });
    const item = await nextItem("u-ann", new Date());
    expect(item?.comparisonId).toBe(queued[0]!.id);
    expect(item?.left).toBe(queued[0]!.responseB); // swapped: the baseline is shown on the left
    expect(item?.canContinue).toBe(false);
  });
});
