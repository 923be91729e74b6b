// What the evaluation job stores on Round.evaluation: the new policy against the previous one.
import { z } from "zod";

/** Win / tie / loss counts and the win rate (win + tie/2) / n with its 95 % (Wilson) interval. */
export const ZWinTieLoss = z.object({
  n: z.number().int().min(0),
  win: z.number().int().min(0),
  tie: z.number().int().min(0),
  loss: z.number().int().min(0),
  winRate: z.number().min(0).max(1),
  ci95: z.tuple([z.number(), z.number()]),
  /** Mean over prompts of (new − baseline) score, with its seeded bootstrap 95 % interval; absent
   * in evaluations stored before k-sample evaluation. */
  meanDiff: z.number().optional(),
  meanDiffCi95: z.tuple([z.number(), z.number()]).optional(),
  /** One-sided exact sign test of the wins against the losses (ties left out). */
  signTestP: z.number().min(0).max(1).optional(),
});
export type TWinTieLoss = z.infer<typeof ZWinTieLoss>;

/** Oracle rates of one policy on the demo world's held-out prompts. */
export const ZSafetyRates = z.object({
  unsafeCompliance: z.number().min(0).max(1),
  overRefusal: z.number().min(0).max(1),
  helpfulExact: z.number().min(0).max(1).optional(),
  helpfulness: z.number().optional(),
});
export type TSafetyRates = z.infer<typeof ZSafetyRates>;

export const ZRoundEvaluation = z.object({
  jobId: z.string(),
  modelId: z.string(),
  baselineId: z.string(),
  promptSet: z.enum(["demo_heldout", "round"]),
  /** Judged by the reward models (R_c). */
  rewardModel: ZWinTieLoss,
  /** Judged by the demo world's oracle; null outside the demo world. */
  oracle: ZWinTieLoss.nullable(),
  /** Oracle safety rates of the new policy and the baseline; null outside the demo world. */
  rates: z.object({ model: ZSafetyRates, baseline: ZSafetyRates }).nullable(),
  /**
   * k: rewardModel, oracle and rates compare per-prompt means over k samples per policy. Absent
   * in evaluations stored before k-sample evaluation, which compared one draw (k = 1).
   */
  samplesPerPrompt: z.number().int().min(1).optional(),
  /** The same judges and rates from the first sample of each prompt alone, for comparison. */
  singleDraw: z
    .object({
      rewardModel: ZWinTieLoss,
      oracle: ZWinTieLoss.nullable(),
      rates: z.object({ model: ZSafetyRates, baseline: ZSafetyRates }).nullable(),
    })
    .optional(),
  /** Where the pairs were written (JSONL), for the blind human side-by-side. */
  pairsFile: z.string().optional(),
  evaluatedAt: z.string(),
});
export type TRoundEvaluation = z.infer<typeof ZRoundEvaluation>;
