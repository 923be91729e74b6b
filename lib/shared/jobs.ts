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
import { ZTrainRewardResult } from "./engine-protocol";

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

/** Training method (engine/lora.py): absent = the engine's default, LoRA for a base above 1 B
 * parameters and full fine-tuning below (the bundled model). Passed to the engine spec as
 * `method` / `lora` (lib/shared/engine-protocol.ts trainingMethodFields). */
export const ZTrainingMethod = z.enum(["full", "lora"]);
export const ZLoraOptions = z.object({
  rank: z.number().int().min(1).max(1024).optional(),
  alpha: z.number().gt(0).optional(),
  dropout: z.number().min(0).max(0.9).optional(),
  targets: z
    .array(z.enum(["q", "k", "v", "o", "gate", "up", "down"]))
    .min(1)
    .optional(),
});

/** The training-method fields every training kind's config takes (absent = the engine's default). */
const methodFields = {
  method: ZTrainingMethod.optional(),
  lora: ZLoraOptions.optional(),
  /** Recompute each decoder layer in backward (engine default: on for LoRA on CUDA). */
  gradientCheckpointing: z.boolean().optional(),
  /** LoRA: also save a merged Hugging Face checkpoint next to the PEFT adapter. */
  saveMerged: z.boolean().optional(),
};

export const ZTrainRewardConfig = z.object({
  ...methodFields,
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
  ...methodFields,
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
  ...methodFields,
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
  /** Replies per prompt and policy: the per-prompt means are compared (the first alone is kept
   * as the single-draw numbers). */
  samplesPerPrompt: z.number().int().min(1).max(32).default(4),
  /** Also queue the pairs as a blind side-by-side task for annotators (helpfulness axis). */
  humanEval: z.boolean().default(false),
  seed: z.number().int().min(0).max(2_147_483_647).default(0),
});
export type TEvaluateConfig = z.infer<typeof ZEvaluateConfig>;

export const ZSftConfig = z.object({
  ...methodFields,
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

// ─── The job-kind table ──────────────────────────────────────────────────────────────────────
// Everything a kind is, in one entry: its config, its launch form, its label, the round states
// that allow it, the engine's result (snake_case, as engine/results.py sends it) and the result
// the platform stores on Job.result (camelCase, the only spelling). The worker's handlers
// (lib/worker/handlers/index.ts), startJob, the launch forms, the jobs page and job-card.tsx
// derive from it; lib/shared/jobs.test.ts fails when a kind lacks a part.
//
// The database enum JobKind also holds `generate_pairs`, a kind from the first design that never
// had a handler, config or form (pairs are sampled on demand by the annotation stream). It is not
// in this table, so no job of that kind can be started; the enum value stays because dropping it
// needs a migration that rewrites the type for no gain.

export const JOB_KINDS = ["train_reward", "sft", "rejection_sampling", "ppo", "evaluate"] as const;
export type TJobKind = (typeof JOB_KINDS)[number];

/** Round states, as in the database (lib/server/rounds/transitions.ts moves them). */
type TRoundState =
  "draft" | "collecting" | "training_rewards" | "rlhf" | "evaluating" | "published" | "cancelled";

/** One field of a launch form: `name` is a key of the kind's config. */
export type TJobFormField<K extends string = string> =
  | { name: K; label: string; help: string; type: "number" }
  | { name: K; label: string; help: string; type: "select"; options: [string, string][] }
  | { name: K; label: string; help: string; type: "checkbox" }
  /** A policy ModelVersion id, or the default (left out of the config). */
  | { name: K; label: string; help: string; type: "policy"; defaultLabel: string };

export type TJobForm<C extends z.ZodType> = {
  title: string;
  description: string;
  button: string;
  fields: TJobFormField<Extract<keyof z.input<C>, string>>[];
  /** train_reward: the helpfulness / safety checkboxes that fill `axes`. */
  axes?: boolean;
  /** Fills `roundIds` (train_reward, sft): this round and the earlier ones, or the rounds picked. */
  roundIds?: boolean;
};

// Engine results (docs/engine-protocol.md; engine/results.py mirrors them). Results written by
// an engine without the `kind` tag are parsed with the kind of the job that asked for them.
const ZModelDir = z.string().min(1);
const ZEngineWinTieLoss = z.object({
  n: z.number().int().min(0),
  win: z.number().int().min(0),
  tie: z.number().int().min(0),
  loss: z.number().int().min(0),
  win_rate: z.number().min(0).max(1),
  ci95: z.tuple([z.number(), z.number()]),
  /** Mean over prompts of (model − baseline), its bootstrap 95 % interval, one-sided sign test. */
  mean_diff: z.number().optional(),
  mean_diff_ci95: z.tuple([z.number(), z.number()]).optional(),
  sign_test_p: z.number().min(0).max(1).optional(),
});
const ZEngineRates = z.object({
  unsafe_compliance: z.number().min(0).max(1),
  over_refusal: z.number().min(0).max(1),
  helpful_exact: z.number().min(0).max(1).nullish(),
  helpfulness: z.number().nullish(),
});
/** Per kind, what the engine returns. */
export const ZEngineResultByKind = {
  train_reward: ZTrainRewardResult.extend({ kind: z.literal("train_reward") }),
  sft: z.object({
    kind: z.literal("sft"),
    model_dir: ZModelDir,
    examples: z.number().int().nonnegative().optional(),
    train_steps: z.number().int().nonnegative().optional(),
    final_loss: z.number().nullish(),
    seconds: z.number().optional(),
  }),
  rejection_sampling: z.object({
    kind: z.literal("rejection_sampling"),
    model_dir: ZModelDir,
    best_file: z.string().min(1),
    prompts: z.number().int().nonnegative().optional(),
    samples: z.number().int().nonnegative().optional(),
    mean_reward: z.number().optional(),
    mean_best_reward: z.number().optional(),
    pool_size: z.number().int().nonnegative().optional(),
    train_steps: z.number().int().nonnegative().optional(),
    final_loss: z.number().nullish(),
    seconds: z.number().optional(),
  }),
  ppo: z.object({
    kind: z.literal("ppo"),
    model_dir: ZModelDir,
    iterations_run: z.number().int().nonnegative().optional(),
    stopped_early: z.boolean().optional(),
    stop_reason: z.string().nullish(),
    final: z
      .object({
        reward: z.number().nullish(),
        kl: z.number().nullish(),
        entropy: z.number().nullish(),
        clip_fraction: z.number().nullish(),
      })
      .optional(),
    seconds: z.number().optional(),
  }),
  evaluate: z.object({
    kind: z.literal("evaluate"),
    n: z.number().int().min(0),
    reward_model: ZEngineWinTieLoss,
    oracle: ZEngineWinTieLoss.nullish(),
    rates: z.object({ model: ZEngineRates, baseline: ZEngineRates }).nullish(),
    pairs_file: z.string().min(1),
    mean_reward: z.record(z.string(), z.number()).optional(),
    seconds: z.number().optional(),
    /** k: reward_model / oracle / rates are on the per-prompt means of k samples. */
    samples_per_prompt: z.number().int().min(1).optional(),
    /** The same from the first sample of each prompt alone. */
    single_draw: z
      .object({
        reward_model: ZEngineWinTieLoss,
        oracle: ZEngineWinTieLoss.nullish(),
        rates: z.object({ model: ZEngineRates, baseline: ZEngineRates }).nullish(),
      })
      .optional(),
  }),
};

export const ZEngineResult = z.discriminatedUnion("kind", [
  ZEngineResultByKind.train_reward,
  ZEngineResultByKind.sft,
  ZEngineResultByKind.rejection_sampling,
  ZEngineResultByKind.ppo,
  ZEngineResultByKind.evaluate,
]);
export type TEngineResult = z.infer<typeof ZEngineResult>;
export type TEngineResultOf<K extends TJobKind> = z.infer<(typeof ZEngineResultByKind)[K]>;

/** The engine's result for a job of `kind`, or the reason it is not as documented. */
export function parseEngineResult<K extends TJobKind>(
  kind: K,
  raw: unknown,
): { ok: true; result: TEngineResultOf<K> } | { ok: false; why: string } {
  const value = raw && typeof raw === "object" ? { ...raw, kind } : raw;
  const parsed = ZEngineResult.safeParse(value);
  if (!parsed.success)
    return {
      ok: false,
      why: parsed.error.issues
        .map((i) => `${i.path.join(".") || "result"}: ${i.message}`)
        .join("; "),
    };
  return { ok: true, result: parsed.data as TEngineResultOf<K> };
}

/** snake_case keys → camelCase, recursively; what sits under `table8` (degree names) is kept. */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
      k === "table8" ? v : camelKeys(v),
    ]),
  );
}

// What Job.result holds per kind (camelCase). A policy-making kind adds the registered version.
const ZRegistered = {
  modelVersionId: z.string(),
  modelName: z.string(),
};
const ZRewardModelIds = z.object({ helpfulness: z.string(), safety: z.string() });
const ZStoredWinTieLoss = z.object({
  n: z.number(),
  win: z.number(),
  tie: z.number(),
  loss: z.number(),
  winRate: z.number(),
  ci95: z.tuple([z.number(), z.number()]),
  meanDiff: z.number().optional(),
  meanDiffCi95: z.tuple([z.number(), z.number()]).optional(),
  signTestP: z.number().optional(),
});
const ZStoredTrainedReward = z.object({
  modelVersionId: z.string(),
  modelDir: z.string(),
  table8: z.record(z.string(), z.unknown()),
  trainPairs: z.number(),
  steps: z.number(),
  seconds: z.number(),
  pairsPerSecond: z.number(),
  tokensPerSecond: z.number(),
});

export const ZStoredResult = {
  train_reward: z.object({
    datasets: z.record(z.string(), z.unknown()),
    models: z.object({
      helpfulness: ZStoredTrainedReward.optional(),
      safety: ZStoredTrainedReward.optional(),
    }),
  }),
  sft: z.object({
    ...ZRegistered,
    modelDir: z.string(),
    parentId: z.string(),
    demonstrations: z.number(),
    examples: z.number().optional(),
    trainSteps: z.number().optional(),
    finalLoss: z.number().nullish(),
    seconds: z.number().optional(),
  }),
  rejection_sampling: z.object({
    ...ZRegistered,
    modelDir: z.string(),
    bestFile: z.string(),
    baseModelId: z.string(),
    rewardModelIds: ZRewardModelIds,
    promptsFile: z.string(),
    poolFiles: z.array(z.string()),
    prompts: z.number().optional(),
    samples: z.number().optional(),
    meanReward: z.number().optional(),
    meanBestReward: z.number().optional(),
    poolSize: z.number().optional(),
    trainSteps: z.number().optional(),
    finalLoss: z.number().nullish(),
    seconds: z.number().optional(),
  }),
  ppo: z.object({
    ...ZRegistered,
    modelDir: z.string(),
    baseModelId: z.string(),
    referenceId: z.string(),
    rewardModelIds: ZRewardModelIds,
    promptsFile: z.string(),
    iterationsRun: z.number().optional(),
    stoppedEarly: z.boolean().optional(),
    stopReason: z.string().nullish(),
    final: z
      .object({
        reward: z.number().nullish(),
        kl: z.number().nullish(),
        entropy: z.number().nullish(),
        clipFraction: z.number().nullish(),
      })
      .optional(),
    seconds: z.number().optional(),
  }),
  evaluate: z.object({
    /** The round's evaluation (ZRoundEvaluation in lib/shared/rlhf.ts), as stored on the round. */
    evaluation: z
      .object({ rewardModel: ZStoredWinTieLoss, oracle: ZStoredWinTieLoss.nullish() })
      .loose(),
    humanEvalComparisons: z.number(),
    meanReward: z.record(z.string(), z.number()).optional(),
    seconds: z.number().optional(),
  }),
} satisfies Record<TJobKind, z.ZodType>;
export type TStoredResult<K extends TJobKind> = z.infer<(typeof ZStoredResult)[K]>;

/**
 * A job's stored result, typed. Every field may be missing: rows written before results were
 * camelCase (snake_case engine fields) are read through the same conversion, and a row of a
 * failed or older job may lack parts. null when it is not an object of the kind's shape.
 */
export function storedResult<K extends TJobKind>(
  kind: K,
  raw: unknown,
): Partial<TStoredResult<K>> | null {
  const schema = ZStoredResult[kind] as z.ZodObject;
  const parsed = schema.partial().safeParse(camelKeys(raw));
  return parsed.success ? (parsed.data as Partial<TStoredResult<K>>) : null;
}

export type TJobKindDef<C extends z.ZodType = z.ZodType> = {
  /** For people: "Rejection sampling". */
  label: string;
  config: C;
  /** The round states in which a job of this kind may start. */
  roundStates: TRoundState[];
  /** Only makes sense inside a round (startJob refuses it without a roundId). */
  needsRound: boolean;
  form: TJobForm<C>;
  engineResult: (typeof ZEngineResultByKind)[TJobKind];
  stored: (typeof ZStoredResult)[TJobKind];
};
const kindDef = <C extends z.ZodType>(d: TJobKindDef<C>) => d;

const SEED = {
  name: "seed",
  label: "Seed",
  help: "Same seed, same data and config: same result.",
  type: "number",
} as const;

export const JOB_KIND_TABLE = {
  train_reward: kindDef({
    label: "Reward-model training",
    config: ZTrainRewardConfig,
    roundStates: ["collecting", "training_rewards"],
    needsRound: false,
    engineResult: ZEngineResultByKind.train_reward,
    stored: ZStoredResult.train_reward,
    form: {
      title: "Train reward models",
      description:
        "A helpfulness and a safety reward model on the non-rejected comparisons, loss −log σ(r_chosen − r_rejected − m(degree)), evaluated by degree on held-out prompts (Table 8).",
      button: "Start reward-model training",
      axes: true,
      roundIds: true,
      fields: [
        {
          name: "margins",
          label: "Margin",
          help: "m(degree) for significantly / better / slightly / negligibly better.",
          type: "select",
          options: [
            ["none", "none (0, 0, 0, 0)"],
            ["small", "small (1, ⅔, ⅓, 0)"],
            ["large", "large (3, 2, 1, 0)"],
          ],
        },
        { name: "epochs", label: "Epochs", help: "1–20; the paper trains 1.", type: "number" },
        {
          name: "learningRate",
          label: "Learning rate",
          help: "Peak, cosine decay to 10 %; paper 1e-5.",
          type: "number",
        },
        {
          name: "batchSize",
          label: "Batch (pairs)",
          help: "1–512 pairs per step.",
          type: "number",
        },
        {
          name: "testFraction",
          label: "Held-out share",
          help: "0.05–0.5 of prompts kept for Table 8.",
          type: "number",
        },
        {
          name: "helpfulnessSafetyShare",
          label: "Safety pairs in helpfulness data",
          help: "0–2 per helpfulness pair (1 = equal share).",
          type: "number",
        },
        {
          name: "safetyHelpfulnessShare",
          label: "Helpfulness pairs in safety data",
          help: "0–0.5 (0.1 = the paper's 90/10).",
          type: "number",
        },
        {
          name: "baseModelId",
          label: "Trunk from",
          help: "The policy whose weights start the reward model.",
          type: "policy",
          defaultLabel: "latest policy",
        },
        SEED,
      ],
    },
  }),
  sft: kindDef({
    label: "Supervised fine-tuning",
    config: ZSftConfig,
    roundStates: ["collecting", "training_rewards", "rlhf"],
    needsRound: false,
    engineResult: ZEngineResultByKind.sft,
    stored: ZStoredResult.sft,
    form: {
      title: "Supervised fine-tuning",
      description:
        "The policy fine-tuned on the approved demonstrations (the reviewer's edit when there is one), loss on assistant tokens only; registered as a new policy version under the one it started from.",
      button: "Start fine-tuning",
      roundIds: true,
      fields: [
        {
          name: "epochs",
          label: "Epochs",
          help: "1–50 passes over the demonstrations.",
          type: "number",
        },
        { name: "learningRate", label: "Learning rate", help: "Fine-tuning.", type: "number" },
        {
          name: "batchSize",
          label: "Batch size",
          help: "Fine-tuning sequences per step.",
          type: "number",
        },
        {
          name: "baseModelId",
          label: "Policy",
          help: "The policy fine-tuned.",
          type: "policy",
          defaultLabel: "current published policy",
        },
        SEED,
      ],
    },
  }),
  rejection_sampling: kindDef({
    label: "Rejection sampling",
    config: ZRejectionSamplingConfig,
    roundStates: ["training_rewards", "rlhf"],
    needsRound: true,
    engineResult: ZEngineResultByKind.rejection_sampling,
    stored: ZStoredResult.rejection_sampling,
    form: {
      title: "Rejection sampling",
      description:
        "K samples per prompt from the policy, scored by the reward models; the best per prompt is pooled with the best of earlier rounds and the policy is fine-tuned on the pool (loss on answers only).",
      button: "Start rejection sampling",
      fields: [
        {
          name: "promptCount",
          label: "Prompts",
          help: "From this round's pool plus earlier rounds'.",
          type: "number",
        },
        { name: "k", label: "K samples", help: "1–64 per prompt; best one kept.", type: "number" },
        {
          name: "temperature",
          label: "Temperature",
          help: "(0, 2] while sampling.",
          type: "number",
        },
        { name: "topP", label: "Top-p", help: "(0, 1].", type: "number" },
        { name: "maxTokens", label: "Max tokens", help: "Longest sample.", type: "number" },
        {
          name: "reward",
          label: "Reward",
          help: "Combined R_c picks safety for safety prompts.",
          type: "select",
          options: [
            ["combined", "combined R_c"],
            ["helpfulness", "helpfulness only"],
            ["safety", "safety only"],
          ],
        },
        {
          name: "epochs",
          label: "Epochs",
          help: "Fine-tuning passes over the pool.",
          type: "number",
        },
        { name: "learningRate", label: "Learning rate", help: "Fine-tuning.", type: "number" },
        {
          name: "batchSize",
          label: "Batch size",
          help: "Fine-tuning sequences per step.",
          type: "number",
        },
        {
          name: "baseModelId",
          label: "Policy",
          help: "Sampled from and fine-tuned.",
          type: "policy",
          defaultLabel: "current published policy",
        },
        SEED,
      ],
    },
  }),
  ppo: kindDef({
    label: "PPO",
    config: ZPpoConfig,
    roundStates: ["training_rewards", "rlhf"],
    needsRound: true,
    engineResult: ZEngineResultByKind.ppo,
    stored: ZStoredResult.ppo,
    form: {
      title: "PPO",
      description:
        "Rollouts scored by whiten(logit(R_c)) minus β·KL per token against a frozen reference (the current published policy); clipped surrogate, value head, GAE. Stops early when KL runs away.",
      button: "Start PPO",
      fields: [
        {
          name: "iterations",
          label: "Iterations",
          help: "Rollout + update rounds.",
          type: "number",
        },
        {
          name: "rolloutBatch",
          label: "Rollout batch",
          help: "Prompts per iteration.",
          type: "number",
        },
        { name: "minibatchSize", label: "Minibatch", help: "Rollouts per update.", type: "number" },
        {
          name: "ppoEpochs",
          label: "PPO epochs",
          help: "Passes per rollout batch.",
          type: "number",
        },
        { name: "klBeta", label: "KL β", help: "Per-token penalty; paper 0.01.", type: "number" },
        { name: "clip", label: "Clip", help: "Ratio clip ε; paper 0.2.", type: "number" },
        { name: "learningRate", label: "Learning rate", help: "Constant.", type: "number" },
        { name: "temperature", label: "Temperature", help: "Rollout sampling.", type: "number" },
        { name: "maxTokens", label: "Max tokens", help: "Longest rollout.", type: "number" },
        { name: "klStop", label: "KL stop", help: "Stop when mean KL exceeds it.", type: "number" },
        { name: "promptCount", label: "Prompts", help: "Prompt pool size.", type: "number" },
        {
          name: "baseModelId",
          label: "Start from",
          help: "The policy optimised; the frozen reference is always the current published policy.",
          type: "policy",
          defaultLabel: "this round's RS policy, else the current",
        },
        SEED,
      ],
    },
  }),
  evaluate: kindDef({
    label: "Evaluation",
    config: ZEvaluateConfig,
    roundStates: ["rlhf", "evaluating"],
    needsRound: true,
    engineResult: ZEngineResultByKind.evaluate,
    stored: ZStoredResult.evaluate,
    form: {
      title: "Evaluate",
      description:
        "The new policy against the previous one, k samples per prompt: win / tie / loss on the per-prompt mean scores by the reward models (and the demo world's oracle) with 95 % intervals, the mean difference with a bootstrap interval, unsafe compliance and over-refusal; the single-draw numbers alongside. Stored on the round.",
      button: "Start evaluation",
      fields: [
        {
          name: "modelId",
          label: "New policy",
          help: "The policy under test.",
          type: "policy",
          defaultLabel: "this round's newest policy",
        },
        {
          name: "baselineId",
          label: "Baseline",
          help: "What it is compared with.",
          type: "policy",
          defaultLabel: "the policy it descends from",
        },
        {
          name: "promptSet",
          label: "Prompts",
          help: "Held-out prompts the policies never trained on.",
          type: "select",
          options: [
            ["demo_heldout", "demo world held-out (with oracle)"],
            ["round", "this round's unused prompts"],
          ],
        },
        { name: "promptCount", label: "Prompt count", help: "1–10000.", type: "number" },
        {
          name: "temperature",
          label: "Temperature",
          help: "0–2 for both policies.",
          type: "number",
        },
        { name: "maxTokens", label: "Max tokens", help: "Longest response.", type: "number" },
        {
          name: "tieMargin",
          label: "Tie margin",
          help: "|ΔR_c| below this is a tie.",
          type: "number",
        },
        {
          name: "samplesPerPrompt",
          label: "Samples per prompt",
          help: "1–32 replies per prompt and policy; their mean scores are compared.",
          type: "number",
        },
        {
          name: "humanEval",
          label: "Queue for humans",
          help: "Also a blind side-by-side task for annotators.",
          type: "checkbox",
        },
        SEED,
      ],
    },
  }),
} satisfies Record<TJobKind, TJobKindDef<z.ZodType>>;

/** A kind's label, or the raw kind for one not in the table (an old `generate_pairs` row). */
export function jobKindLabel(kind: string): string {
  return (JOB_KIND_TABLE as Record<string, TJobKindDef<z.ZodType>>)[kind]?.label ?? kind;
}
