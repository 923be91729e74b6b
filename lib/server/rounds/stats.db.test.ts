// The round page's statistics, computed from a few labelled comparisons: progress per axis
// against the targets (rejected annotations not counted), the degree and safety-label
// distributions, agreement on overlap pairs (gold items left out), the timeline, and the history
// of evaluations across rounds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { createLabel } from "@/lib/testing/labels";
import { defaultRoundConfig } from "@/lib/shared/round-config";
import type { TRoundEvaluation } from "@/lib/shared/rlhf";

let db: TTestDatabase;
let s: typeof import("./stats");

beforeAll(async () => {
  db = await withTestDatabase();
  s = await import("./stats");
});
afterAll(async () => {
  await db?.close();
});

/** A second annotation of an existing comparison (an overlap assignment). */
async function secondOpinion(
  comparisonId: string,
  annotatorId: string,
  choice: "A" | "B",
  key: string,
) {
  const assignment = await db.prisma.assignment.create({
    data: {
      comparisonId,
      annotatorId,
      status: "submitted",
      source: "overlap",
      leaseExpiresAt: new Date(),
    },
  });
  await db.prisma.annotation.create({
    data: {
      assignmentId: assignment.id,
      comparisonId,
      annotatorId,
      choice,
      degree: "slightly_better",
      flags: [],
      timeSpentMs: 1000,
      idempotencyKey: key,
    },
  });
}

describe(`round statistics on ${TEST_BACKEND}`, () => {
  it("counts progress, distributions and agreement from labelled comparisons", async () => {
    const [ann1, ann2, reviewer] = await Promise.all(
      ["a1", "a2", "rv"].map((id) =>
        db.prisma.user.create({
          data: {
            id,
            name: id,
            email: `${id}@stats.test`,
            role: id === "rv" ? "reviewer" : "annotator",
          },
        }),
      ),
    );
    const config = { ...defaultRoundConfig(), targets: { helpfulness: 8, safety: 4 } };
    const round = await db.prisma.round.create({
      data: { number: 1, name: "stats", status: "collecting", config },
    });
    const other = await db.prisma.round.create({
      data: { number: 2, name: "other", status: "draft", config },
    });
    const prompt = await db.prisma.prompt.create({
      data: { text: "p", source: "seed", tags: [] },
    });
    const label = (
      axis: "helpfulness" | "safety",
      key: string,
      extra: Parameters<typeof createLabel>[1] extends infer T ? Partial<T> : never = {},
    ) =>
      createLabel(db.prisma, {
        roundId: round.id,
        promptId: prompt.id,
        annotatorId: ann1!.id,
        axis,
        key,
        ...extra,
      });

    // Helpfulness: 5 labels, degrees 2 significantly, 1 better, 2 negligibly; one is rejected.
    const h = [
      await label("helpfulness", "h1", { degree: "significantly_better", choice: "A" }),
      await label("helpfulness", "h2", { degree: "significantly_better", choice: "B" }),
      await label("helpfulness", "h3", { degree: "better", choice: "A" }),
      await label("helpfulness", "h4", { degree: "negligibly_better", choice: "A" }),
      await label("helpfulness", "h5", { degree: "negligibly_better", choice: "B" }),
    ];
    // h5 was approved, then rejected: the latest decision counts.
    await db.prisma.review.create({
      data: {
        annotationId: h[4]!.annotationId,
        reviewerId: reviewer!.id,
        decision: "approved",
        createdAt: new Date(Date.now() - 60_000),
      },
    });
    await db.prisma.review.create({
      data: { annotationId: h[4]!.annotationId, reviewerId: reviewer!.id, decision: "rejected" },
    });
    await db.prisma.review.create({
      data: { annotationId: h[0]!.annotationId, reviewerId: reviewer!.id, decision: "approved" },
    });
    // Safety: 3 labels across the bins, and one chosen-unsafe/other-safe.
    await label("safety", "s1", { safetyLabel: "both_safe", degree: "better" });
    await label("safety", "s2", { safetyLabel: "chosen_safe_other_unsafe", degree: "better" });
    await label("safety", "s3", { safetyLabel: "both_safe", degree: "slightly_better" });
    await label("safety", "s4", {
      safetyLabel: null,
      chosenUnsafeOtherSafe: true,
      degree: "slightly_better",
    });
    // Overlap: h1 and h2 annotated again by a2, once agreeing (A) and once not (A vs B).
    await secondOpinion(h[0]!.comparisonId, ann2!.id, "A", "o1");
    await secondOpinion(h[1]!.comparisonId, ann2!.id, "A", "o2");
    // A gold comparison annotated twice does not count towards agreement.
    await db.prisma.goldItem.create({
      data: { comparisonId: h[2]!.comparisonId, expectedChoice: "A", createdById: reviewer!.id },
    });
    await secondOpinion(h[2]!.comparisonId, ann2!.id, "A", "o3");
    // Another round's label is not this round's.
    await createLabel(db.prisma, {
      roundId: other.id,
      promptId: prompt.id,
      annotatorId: ann1!.id,
      axis: "helpfulness",
      key: "x1",
    });

    const stats = await s.roundStats(round.id);
    // 5 + 3 overlap helpfulness annotations, 1 rejected → 7 counted; 4 safety.
    expect(stats.progress).toEqual([
      { axis: "helpfulness", counted: 7, approved: 1, rejected: 1, target: 8, minimum: 10 },
      { axis: "safety", counted: 4, approved: 0, rejected: 0, target: 4, minimum: 10 },
    ]);
    expect(stats.degrees).toEqual([
      { degree: "significantly_better", helpfulness: 2, safety: 0 },
      { degree: "better", helpfulness: 1, safety: 2 },
      { degree: "slightly_better", helpfulness: 3, safety: 2 },
      { degree: "negligibly_better", helpfulness: 1, safety: 0 },
    ]);
    expect(Object.fromEntries(stats.safetyLabels.map((l) => [l.label, l.n]))).toEqual({
      chosen_safe_other_unsafe: 1,
      both_safe: 2,
      both_unsafe: 0,
      chosen_unsafe_other_safe: 1,
      none: 0,
    });
    expect(stats.agreement).toEqual([
      { axis: "helpfulness", pairs: 2, agree: 1, rate: 0.5 },
      { axis: "safety", pairs: 0, agree: 0, rate: null },
    ]);
    expect(stats.annotators).toBe(2);
    expect(stats.comparisons).toEqual([{ status: "complete", n: 9 }]);
    expect(stats.timeline.bucket).toBe("minute");
    const total = stats.timeline.points.reduce((a, p) => a + p.helpfulness + p.safety, 0);
    expect(total).toBe(11);

    const empty = await s.roundStats(other.id);
    expect(empty.progress[0]!.counted).toBe(1);
    await expect(s.roundStats("nope")).rejects.toThrow(/No such round/);
  });

  it("picks a time bucket that keeps the timeline short", () => {
    const t0 = new Date("2026-11-27T00:00:00Z");
    const after = (min: number) => new Date(t0.getTime() + min * 60_000);
    expect(s.timeBucket(t0, after(90))).toBe("minute");
    expect(s.timeBucket(t0, after(600))).toBe("hour");
    expect(s.timeBucket(t0, after(60 * 24 * 30))).toBe("day");
  });

  it("reads each round's evaluation for the history, skipping ones that do not parse", async () => {
    const evaluation: TRoundEvaluation = {
      jobId: "j",
      modelId: "m",
      baselineId: "b",
      promptSet: "demo_heldout",
      rewardModel: { n: 100, win: 60, tie: 10, loss: 30, winRate: 0.65, ci95: [0.55, 0.74] },
      oracle: null,
      rates: null,
      evaluatedAt: new Date().toISOString(),
    };
    const r3 = await db.prisma.round.create({
      data: { number: 3, name: "evaluated", status: "evaluating", config: {}, evaluation },
    });
    await db.prisma.round.create({
      data: { number: 4, name: "odd", status: "draft", config: {}, evaluation: { winRate: 2 } },
    });
    const history = await s.roundHistory();
    expect(history.map((r) => r.number)).toEqual([1, 2, 3, 4]);
    expect(history[2]!.evaluation?.rewardModel.winRate).toBe(0.65);
    expect(history[3]!.evaluation).toBeNull();

    // A round whose stored configuration does not parse is shown with defaults and the reason.
    const got = await s.getRound(r3.id);
    expect(got.evaluation?.rewardModel.win).toBe(60);
    expect(got.configError).toMatch(/variants/i);
    expect(got.editable).toBe(false);
  });
});
