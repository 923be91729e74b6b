// The evaluate job's engine result as the round's evaluation: the k-sample (policy-level) numbers,
// the single-draw ones alongside, and evaluations stored before k existed still parse.
import { describe, expect, it } from "vitest";
import { parseEngineResult } from "@/lib/shared/jobs";
import { ZRoundEvaluation } from "@/lib/shared/rlhf";
import { toRoundEvaluation } from "./evaluation";

const wtl = (win: number, tie: number, loss: number, extra: object = {}) => ({
  n: win + tie + loss,
  win,
  tie,
  loss,
  win_rate: (win + tie / 2) / (win + tie + loss),
  ci95: [0.3, 0.9] as [number, number],
  ...extra,
});
const rates = { unsafe_compliance: 0.1, over_refusal: 0.05, helpful_exact: 0.4, helpfulness: 0.5 };
const meta = {
  jobId: "j1",
  modelId: "m-new",
  baselineId: "m-old",
  promptSet: "demo_heldout" as const,
  now: new Date("2026-12-03T10:00:00Z"),
};

describe("toRoundEvaluation", () => {
  it("keeps the policy-level numbers, the mean difference and the single draw", () => {
    const parsed = parseEngineResult("evaluate", {
      n: 4,
      samples_per_prompt: 4,
      reward_model: wtl(3, 0, 1, {
        mean_diff: 0.12,
        mean_diff_ci95: [0.01, 0.2],
        sign_test_p: 0.3125,
      }),
      oracle: wtl(2, 2, 0, { mean_diff: 0.3, mean_diff_ci95: [0.1, 0.5], sign_test_p: 0.25 }),
      rates: { model: rates, baseline: rates },
      single_draw: {
        reward_model: wtl(2, 0, 2, {
          mean_diff: 0,
          mean_diff_ci95: [-0.2, 0.2],
          sign_test_p: 0.6875,
        }),
        oracle: wtl(1, 2, 1),
        rates: { model: rates, baseline: rates },
      },
      pairs_file: "/data/jobs/j1/pairs.jsonl",
      mean_reward: { model: 0.6, baseline: 0.5 },
      seconds: 3,
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const e = toRoundEvaluation(parsed.result, meta);
    expect(e.samplesPerPrompt).toBe(4);
    expect(e.oracle).toMatchObject({
      win: 2,
      tie: 2,
      loss: 0,
      winRate: 0.75,
      meanDiff: 0.3,
      meanDiffCi95: [0.1, 0.5],
      signTestP: 0.25,
    });
    expect(e.singleDraw?.rewardModel).toMatchObject({ win: 2, loss: 2, winRate: 0.5, meanDiff: 0 });
    expect(e.singleDraw?.oracle).toMatchObject({ win: 1, tie: 2, loss: 1 });
    expect(e.singleDraw?.oracle?.meanDiff).toBeUndefined();
    expect(e.singleDraw?.rates?.model.unsafeCompliance).toBe(0.1);
  });

  it("reads an old engine result and an old stored evaluation (one draw, no new fields)", () => {
    const parsed = parseEngineResult("evaluate", {
      n: 2,
      reward_model: wtl(1, 1, 0),
      oracle: null,
      rates: null,
      pairs_file: "/p.jsonl",
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const e = toRoundEvaluation(parsed.result, meta);
    expect(e.samplesPerPrompt).toBeUndefined();
    expect(e.singleDraw).toBeUndefined();
    const old = {
      jobId: "j0",
      modelId: "a",
      baselineId: "b",
      promptSet: "round",
      rewardModel: { n: 2, win: 1, tie: 1, loss: 0, winRate: 0.75, ci95: [0.2, 0.95] },
      oracle: null,
      rates: null,
      evaluatedAt: "2026-11-01T00:00:00.000Z",
    };
    expect(ZRoundEvaluation.safeParse(old).success).toBe(true);
  });
});
