// Jobs: kinds, their configs (validated on the way in and out of Job.config), and the state
// machine. A job's life (lib/server/jobs/transitions.ts holds the moves):
//
//   queued ──claim──► running ──► succeeded
//     ▲                  │ └────► failed      (error, or attempts used up)
//     └──lease expired───┘ └────► cancelled   (cancel requested)
//   queued ──cancel──► cancelled
//
// A running job holds a lease its worker renews with heartbeats. When the worker or the engine
// dies, the lease runs out and the job goes back to queued while attempts remain, else to failed
// with the reason: no job stays in running.
import { z } from "zod";

export const JOB_STATES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type TJobState = (typeof JOB_STATES)[number];

/** Margin m(degree) added inside the loss −log σ(r_chosen − r_rejected − m(degree)). */
export const MARGIN_PRESETS = {
  none: [0, 0, 0, 0],
  small: [1, 2 / 3, 1 / 3, 0],
  large: [3, 2, 1, 0],
} as const;
export type TMarginPreset = keyof typeof MARGIN_PRESETS;

export const ZMargins = z.union([
  z.enum(["none", "small", "large"]),
  z
    .tuple([z.number(), z.number(), z.number(), z.number()])
    .refine((m) => m.every((x) => x >= 0 && x <= 10), "margins must be between 0 and 10"),
]);

/** The four margins for significantly / better / slightly / negligibly better. */
export function marginTable(m: z.infer<typeof ZMargins>): [number, number, number, number] {
  return typeof m === "string" ? [...MARGIN_PRESETS[m]] : [...m];
}

export const ZTrainRewardConfig = z.object({
  /** Rounds whose non-rejected annotations form the data; empty = all rounds. */
  roundIds: z.array(z.string().min(1).max(64)).max(50).default([]),
  /** Which reward models to train. */
  axes: z
    .array(z.enum(["helpfulness", "safety"]))
    .min(1)
    .default(["helpfulness", "safety"]),
  margins: ZMargins.default("small"),
  epochs: z.number().int().min(1).max(20).default(1),
  learningRate: z.number().gt(0).max(1e-2).default(1e-5),
  batchSize: z.number().int().min(1).max(512).default(8),
  /** Share of prompts held out for the Table 8 evaluation. */
  testFraction: z.number().min(0.05).max(0.5).default(0.2),
  /** Paper mixing: helpfulness RM gets this many safety pairs per helpfulness pair (1 = equal share). */
  helpfulnessSafetyShare: z.number().min(0).max(2).default(1),
  /** Safety RM: share of helpfulness pairs in its data (0.1 = the paper's 90/10). */
  safetyHelpfulnessShare: z.number().min(0).max(0.5).default(0.1),
  /** Policy ModelVersion the trunk starts from; default: the latest policy. */
  baseModelId: z.string().min(1).max(64).optional(),
  seed: z.number().int().min(0).max(2_147_483_647).default(0),
});
export type TTrainRewardConfig = z.infer<typeof ZTrainRewardConfig>;

/** Which reward scores a sample: the paper's combined R_c (safety for safety prompts or when the
 * safety score is below 0.15, helpfulness otherwise), or one reward model alone. */
export const ZRewardChoice = z.enum(["combined", "helpfulness", "safety"]);

const ZModelId = z.string().min(1).max(64);

export const ZRejectionSamplingConfig = z.object({
  /** Prompts drawn from this round's pool plus earlier rounds' (first user turns). */
  promptCount: z.number().int().min(1).max(100_000).default(256),
  /** K samples per prompt; the best by reward is kept. The paper's default for small models is 8. */
  k: z.number().int().min(1).max(64).default(8),
  temperature: z.number().gt(0).max(2).default(1.0),
  topP: z.number().gt(0).max(1).default(1.0),
  maxTokens: z.number().int().min(1).max(2048).default(64),
  reward: ZRewardChoice.default("combined"),
  /** Fine-tuning on the best samples pooled over this and all earlier rounds (loss on answers only). */
  epochs: z.number().int().min(1).max(20).default(2),
  /** Sized for the bundled 1.3 M-parameter model; a 7B policy wants ~1e-5. */
  learningRate: z.number().gt(0).max(1e-2).default(1e-3),
  batchSize: z.number().int().min(1).max(512).default(16),
  /** Policy to sample from and fine-tune; default: the current (latest published) policy. */
  baseModelId: ZModelId.optional(),
  seed: z.number().int().min(0).max(2_147_483_647).default(0),
});
export type TRejectionSamplingConfig = z.infer<typeof ZRejectionSamplingConfig>;

export const ZPpoConfig = z.object({
  iterations: z.number().int().min(1).max(10_000).default(20),
  /** Prompts (rollouts) per iteration. */
  rolloutBatch: z.number().int().min(1).max(4096).default(32),
  minibatchSize: z.number().int().min(1).max(1024).default(8),
  ppoEpochs: z.number().int().min(1).max(16).default(2),
  /** KL penalty β per token against the frozen reference (paper: 0.01, 0.005 for the largest). */
  klBeta: z.number().min(0).max(1).default(0.01),
  clip: z.number().gt(0).max(1).default(0.2),
  /** Constant. Sized for the bundled model (1e-5 barely moves it); the paper used 1e-6 for 7B/13B. */
  learningRate: z.number().gt(0).max(1e-2).default(2e-4),
  temperature: z.number().gt(0).max(2).default(1.0),
  maxTokens: z.number().int().min(1).max(2048).default(48),
  /** Stop early when the mean per-sequence KL to the reference exceeds this. */
  klStop: z.number().gt(0).max(1000).default(10),
  promptCount: z.number().int().min(1).max(100_000).default(512),
  /** Policy to start from; default: this round's rejection-sampling policy, else the current policy. */
  baseModelId: ZModelId.optional(),
  seed: z.number().int().min(0).max(2_147_483_647).default(0),
});
export type TPpoConfig = z.infer<typeof ZPpoConfig>;

export const ZEvaluateConfig = z.object({
  /** The new policy; default: this round's newest policy. */
  modelId: ZModelId.optional(),
  /** What it is compared with; default: the policy it descends from (the previous published one). */
  baselineId: ZModelId.optional(),
  /** "demo_heldout": the demo world's fixed held-out prompts, judged also by its oracle;
   * "round": prompts of this round not used for training. */
  promptSet: z.enum(["demo_heldout", "round"]).default("demo_heldout"),
  promptCount: z.number().int().min(1).max(10_000).default(200),
  temperature: z.number().min(0).max(2).default(0.7),
  maxTokens: z.number().int().min(1).max(2048).default(64),
  /** |R_c(new) − R_c(old)| below this counts as a tie. */
  tieMargin: z.number().min(0).max(1).default(0.02),
  /** Also queue the pairs as a blind side-by-side task for annotators (helpfulness axis). */
  humanEval: z.boolean().default(false),
  seed: z.number().int().min(0).max(2_147_483_647).default(0),
});
export type TEvaluateConfig = z.infer<typeof ZEvaluateConfig>;

export const ZSftConfig = z.object({
  /** Rounds whose approved demonstrations form the data; empty = all rounds. */
  roundIds: z.array(z.string().min(1).max(64)).max(50).default([]),
  epochs: z.number().int().min(1).max(50).default(3),
  /** Sized for the bundled model; a 7B policy wants ~1e-5. */
  learningRate: z.number().gt(0).max(1e-2).default(1e-3),
  batchSize: z.number().int().min(1).max(512).default(16),
  /** Policy to fine-tune; default: the current policy. */
  baseModelId: ZModelId.optional(),
  seed: z.number().int().min(0).max(2_147_483_647).default(0),
});
export type TSftConfig = z.infer<typeof ZSftConfig>;

export const ZJobSpec = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("train_reward"), config: ZTrainRewardConfig }),
  z.object({ kind: z.literal("rejection_sampling"), config: ZRejectionSamplingConfig }),
  z.object({ kind: z.literal("ppo"), config: ZPpoConfig }),
  z.object({ kind: z.literal("evaluate"), config: ZEvaluateConfig }),
  z.object({ kind: z.literal("sft"), config: ZSftConfig }),
]);
export type TJobSpec = z.infer<typeof ZJobSpec>;
/** What callers give: defaults not yet filled in. */
export type TJobSpecInput = z.input<typeof ZJobSpec>;
