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
  seed: z.number().int().min(0).default(0),
});
export type TTrainRewardConfig = z.infer<typeof ZTrainRewardConfig>;

export const ZJobSpec = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("train_reward"), config: ZTrainRewardConfig }),
]);
export type TJobSpec = z.infer<typeof ZJobSpec>;
/** What callers give: defaults not yet filled in. */
export type TJobSpecInput = z.input<typeof ZJobSpec>;
