// The engine's HTTP contract (docs/engine-protocol.md), as zod schemas shared by the worker, the
// server and tests. engine/protocol/fixtures/*.json are recorded requests and responses of the real
// engine; lib/engine/protocol.test.ts parses every one of them with these schemas, and the engine's
// pytest replays them against the live service, so the two sides cannot drift apart.
import { z } from "zod";

// -- shared pieces ------------------------------------------------------------------------------

export const MAX_N = 16;
export const MAX_STOP = 4;
export const MAX_REWARD_INPUTS = 64;

/** Who speaks a chat message (not an account's role: lib/shared/roles.ts). */
export const ZMessageRole = z.enum(["system", "user", "assistant"]);
export type TMessageRole = z.infer<typeof ZMessageRole>;

export const ZChatMessage = z.object({ role: ZMessageRole, content: z.string() });
export type TChatMessage = z.infer<typeof ZChatMessage>;

/** Llama 2's dialogue shape: an optional system message, then user/assistant alternating. */
function dialogueProblem(messages: TChatMessage[], openTurn: boolean): string | null {
  const turns = messages[0]?.role === "system" ? messages.slice(1) : messages;
  if (turns.length === 0) return "a system message must be followed by a user message";
  for (const [i, m] of turns.entries()) {
    if (m.role !== (i % 2 === 0 ? "user" : "assistant"))
      return "after an optional system message, roles must alternate user/assistant starting with user";
  }
  if (openTurn && turns[turns.length - 1]?.role !== "user") return "must end with a user message";
  return null;
}

/** A dialogue that asks for the assistant's next turn (ends with a user message). */
export const ZDialogue = z
  .array(ZChatMessage)
  .min(1)
  .superRefine((messages, ctx) => {
    const problem = dialogueProblem(messages, true);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const ZFinishReason = z.enum(["stop", "length"]);
export type TFinishReason = z.infer<typeof ZFinishReason>;

export const ZUsage = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
});
export type TUsage = z.infer<typeof ZUsage>;

const ZSampling = z.object({
  model: z.string(),
  n: z.number().int().min(1).max(MAX_N).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
  repetition_penalty: z.number().gt(0).max(10).optional(),
  max_tokens: z.number().int().min(1).optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(MAX_STOP)]).optional(),
  stream: z.boolean().optional(),
  /** Pairwise extension: cut `max_tokens` to the room left in the context instead of answering 400. */
  clamp_max_tokens: z.boolean().optional(),
});

// -- chat completions ---------------------------------------------------------------------------

export const ZChatCompletionRequest = ZSampling.extend({
  messages: ZDialogue,
  logprobs: z.boolean().optional(),
});
export type TChatCompletionRequest = z.infer<typeof ZChatCompletionRequest>;

/** Per sampled token: the model's own log-probability (temperature 1, before any filtering). */
export const ZTokenLogprob = z.object({
  token: z.string(),
  token_id: z.number().int(),
  logprob: z.number(),
  top_logprobs: z.array(z.unknown()),
});
export type TTokenLogprob = z.infer<typeof ZTokenLogprob>;

export const ZChatLogprobs = z.object({ content: z.array(ZTokenLogprob) });

export const ZChatChoice = z.object({
  index: z.number().int().nonnegative(),
  message: z.object({ role: z.literal("assistant"), content: z.string() }),
  finish_reason: ZFinishReason,
  logprobs: ZChatLogprobs.nullable(),
});

export const ZChatCompletion = z.object({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(ZChatChoice),
  usage: ZUsage,
});
export type TChatCompletion = z.infer<typeof ZChatCompletion>;

/** An error reported inside a stream (the 200 status was already sent). */
export const ZStreamError = z.object({ message: z.string(), type: z.string() });

export const ZChatCompletionChunk = z.object({
  id: z.string(),
  object: z.literal("chat.completion.chunk"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      delta: z.object({ role: z.literal("assistant").optional(), content: z.string().optional() }),
      finish_reason: ZFinishReason.nullable(),
      logprobs: ZChatLogprobs.nullable(),
    }),
  ),
  usage: ZUsage.optional(),
  error: ZStreamError.optional(),
});
export type TChatCompletionChunk = z.infer<typeof ZChatCompletionChunk>;

// -- raw completions ----------------------------------------------------------------------------

export const ZCompletionRequest = ZSampling.extend({
  prompt: z.string().min(1),
  /** OpenAI's legacy integer form is accepted; any value returns the sampled tokens' logprobs. */
  logprobs: z.union([z.boolean(), z.number().int().min(0).max(5)]).optional(),
});
export type TCompletionRequest = z.infer<typeof ZCompletionRequest>;

export const ZCompletion = z.object({
  id: z.string(),
  object: z.literal("text_completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      text: z.string(),
      finish_reason: ZFinishReason,
      logprobs: z
        .object({
          tokens: z.array(z.string()),
          token_ids: z.array(z.number().int()),
          token_logprobs: z.array(z.number()),
        })
        .nullable(),
    }),
  ),
  usage: ZUsage,
});
export type TCompletion = z.infer<typeof ZCompletion>;

export const ZCompletionChunk = z.object({
  id: z.string(),
  object: z.literal("text_completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      text: z.string(),
      finish_reason: ZFinishReason.nullable(),
      logprobs: z
        .object({ token_ids: z.array(z.number().int()), token_logprobs: z.array(z.number()) })
        .nullable(),
    }),
  ),
  usage: ZUsage.optional(),
  error: ZStreamError.optional(),
});
export type TCompletionChunk = z.infer<typeof ZCompletionChunk>;

// -- rewards ------------------------------------------------------------------------------------

export const ZRewardRequest = z.object({
  model: z.string(),
  inputs: z
    .array(z.object({ messages: ZDialogue, response: z.string() }))
    .min(1)
    .max(MAX_REWARD_INPUTS),
});
export type TRewardRequest = z.infer<typeof ZRewardRequest>;

export const ZRewardResponse = z.object({
  object: z.literal("list"),
  model: z.string(),
  data: z.array(z.object({ index: z.number().int().nonnegative(), reward: z.number() })),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }),
});
export type TRewardResponse = z.infer<typeof ZRewardResponse>;

/** `POST /v1/rewards/combined`: R_c from a helpfulness and a safety model (ids or directories). */
export const ZCombinedRewardRequest = z
  .object({
    helpfulness_model: z.string().min(1),
    safety_model: z.string().min(1),
    inputs: ZRewardRequest.shape.inputs,
    /** Per input: is the prompt a safety prompt (tagged so)? Then R_c is the safety reward. */
    is_safety: z.array(z.boolean()),
  })
  .refine((r) => r.is_safety.length === r.inputs.length, {
    message: "is_safety needs one flag per input",
    path: ["is_safety"],
  });
export type TCombinedRewardRequest = z.infer<typeof ZCombinedRewardRequest>;

export const ZCombinedRewardResponse = z.object({
  object: z.literal("list"),
  helpfulness_model: z.string(),
  safety_model: z.string(),
  data: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      /** R_c in [0, 1]: σ(safety) if is_safety or σ(safety) < 0.15, else σ(helpfulness). */
      reward: z.number().min(0).max(1),
      source: z.enum(["helpfulness", "safety"]),
      /** Raw (unsquashed) rewards of the two models. */
      helpfulness: z.number(),
      safety: z.number(),
    }),
  ),
});
export type TCombinedRewardResponse = z.infer<typeof ZCombinedRewardResponse>;

// -- jobs -------------------------------------------------------------------------------------------

export const ENGINE_JOB_STATES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export const ZEngineJobState = z.enum(ENGINE_JOB_STATES);
export type TEngineJobState = z.infer<typeof ZEngineJobState>;

export const ZRewardAxis = z.enum(["helpfulness", "safety"]);

/** The platform's job id: the engine keys jobs by it (POST is idempotent by id). */
export const ZEngineJobId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** Training method fields of every training spec (engine/lora.py; docs/engine-protocol.md):
 * absent `method` = the engine's default (LoRA above 1 B parameters, full below). */
export const ZLoraTarget = z.enum(["q", "k", "v", "o", "gate", "up", "down"]);
export const trainingMethodFields = {
  method: z.enum(["full", "lora"]).optional(),
  lora: z
    .object({
      rank: z.number().int().min(1).max(1024).optional(),
      alpha: z.number().gt(0).optional(),
      dropout: z.number().min(0).max(0.9).optional(),
      targets: z.array(ZLoraTarget).min(1).optional(),
    })
    .optional(),
  gradient_checkpointing: z.boolean().optional(),
  /** LoRA: also write a merged Hugging Face checkpoint (result.merged_dir). */
  save_merged: z.boolean().optional(),
};

export const ZTrainRewardSpec = z.object({
  ...trainingMethodFields,
  /** A policy model directory (Hugging Face layout) whose trunk initialises the reward model. */
  base_model: z.string().min(1),
  /** The job's folder: the model, training.json, status.json and result.json go here. */
  output_dir: z.string().min(1),
  /** JSONL, one pair a line: {prompt_id, context, chosen, rejected, degree, axis}. */
  train_file: z.string().min(1),
  test_files: z
    .object({ helpfulness: z.string().min(1).optional(), safety: z.string().min(1).optional() })
    .optional(),
  axis: ZRewardAxis,
  /** m(degree) for significantly / better / slightly / negligibly better. */
  margins: z
    .tuple([z.number(), z.number(), z.number(), z.number()])
    .refine((m) => m.every((x) => x >= 0 && x <= 10)),
  epochs: z.number().int().min(1).max(100),
  learning_rate: z.number().gt(0).max(1),
  batch_size: z.number().int().min(1).max(4096),
  grad_accum: z.number().int().min(1).max(1024).optional(),
  warmup_ratio: z.number().min(0).max(1).optional(),
  min_warmup_steps: z.number().int().min(0).optional(),
  final_lr_ratio: z.number().min(0).max(1).optional(),
  seed: z.number().int().min(0),
  max_seq_len: z.number().int().min(8).optional(),
});
export type TTrainRewardSpec = z.infer<typeof ZTrainRewardSpec>;

/** Engine job kinds beyond reward training (docs/engine-protocol.md): all paths absolute. */
export const ZEngineJobKind = z.enum([
  "train_reward",
  "rejection_sampling",
  "ppo",
  "evaluate",
  "sft",
]);
export type TEngineJobKind = z.infer<typeof ZEngineJobKind>;

const ZRewardModelDirs = z.object({ helpfulness: z.string().min(1), safety: z.string().min(1) });

export const ZRejectionSamplingSpec = z.object({
  ...trainingMethodFields,
  base_model: z.string().min(1),
  output_dir: z.string().min(1),
  /** JSONL rows {id, messages (ending with user), is_safety}. */
  prompts_file: z.string().min(1),
  /** best.jsonl files of earlier rounds: the fine-tuning pool covers all rounds so far. */
  pool_files: z.array(z.string().min(1)),
  reward_models: ZRewardModelDirs,
  reward: z.enum(["combined", "helpfulness", "safety"]),
  k: z.number().int().min(1).max(64),
  temperature: z.number().gt(0).max(2),
  top_p: z.number().gt(0).max(1),
  max_tokens: z.number().int().min(1),
  epochs: z.number().int().min(1),
  learning_rate: z.number().gt(0).max(1),
  batch_size: z.number().int().min(1),
  seed: z.number().int().min(0),
});
export type TRejectionSamplingSpec = z.infer<typeof ZRejectionSamplingSpec>;

export const ZPpoSpec = z.object({
  ...trainingMethodFields,
  base_model: z.string().min(1),
  reference_model: z.string().min(1).optional(),
  output_dir: z.string().min(1),
  prompts_file: z.string().min(1),
  reward_models: ZRewardModelDirs,
  iterations: z.number().int().min(1),
  rollout_batch: z.number().int().min(1),
  minibatch_size: z.number().int().min(1),
  ppo_epochs: z.number().int().min(1),
  kl_beta: z.number().min(0),
  clip: z.number().gt(0),
  learning_rate: z.number().gt(0).max(1),
  temperature: z.number().gt(0).max(2),
  max_tokens: z.number().int().min(1),
  kl_stop: z.number().gt(0),
  seed: z.number().int().min(0),
});
export type TPpoSpec = z.infer<typeof ZPpoSpec>;

export const ZEvaluateSpec = z.object({
  model: z.string().min(1),
  baseline: z.string().min(1),
  reward_models: ZRewardModelDirs,
  output_dir: z.string().min(1),
  prompts_file: z.string().min(1).optional(),
  demo_heldout: z.boolean().optional(),
  prompt_count: z.number().int().min(1),
  temperature: z.number().min(0).max(2),
  max_tokens: z.number().int().min(1),
  tie_margin: z.number().min(0).max(1),
  /** Replies per prompt and policy (1–32, engine default 4); per-prompt means are compared. */
  samples_per_prompt: z.number().int().min(1).max(32).optional(),
  seed: z.number().int().min(0),
});
export type TEvaluateSpec = z.infer<typeof ZEvaluateSpec>;

export const ZSftSpec = z.object({
  ...trainingMethodFields,
  base_model: z.string().min(1),
  output_dir: z.string().min(1),
  /** JSONL rows {messages: [... ending with assistant]}. */
  train_file: z.string().min(1),
  epochs: z.number().int().min(1),
  learning_rate: z.number().gt(0).max(1),
  batch_size: z.number().int().min(1),
  seed: z.number().int().min(0),
});
export type TSftSpec = z.infer<typeof ZSftSpec>;

export const ZCreateJobRequest = z.discriminatedUnion("kind", [
  z.object({ id: ZEngineJobId, kind: z.literal("train_reward"), spec: ZTrainRewardSpec }),
  z.object({
    id: ZEngineJobId,
    kind: z.literal("rejection_sampling"),
    spec: ZRejectionSamplingSpec,
  }),
  z.object({ id: ZEngineJobId, kind: z.literal("ppo"), spec: ZPpoSpec }),
  z.object({ id: ZEngineJobId, kind: z.literal("evaluate"), spec: ZEvaluateSpec }),
  z.object({ id: ZEngineJobId, kind: z.literal("sft"), spec: ZSftSpec }),
]);
export type TCreateJobRequest = z.infer<typeof ZCreateJobRequest>;

/** POST /v1/jobs/plan: the memory plan of a job before it is submitted (engine/memory_plan.py).
 * Only the fields that size memory are read: base_model (model for evaluate), method, lora,
 * gradient_checkpointing, batch_size / minibatch_size, max_seq_len, rollout_batch, max_tokens. */
export const ZJobPlanRequest = z.object({
  kind: ZEngineJobKind,
  spec: z
    .object({ base_model: z.string().min(1).optional(), model: z.string().min(1).optional() })
    .passthrough(),
});
export type TJobPlanRequest = z.infer<typeof ZJobPlanRequest>;

export const ZJobPlan = z.object({
  kind: ZEngineJobKind,
  method: z.enum(["full", "lora"]),
  batch: z.number().int(),
  seq_len: z.number().int(),
  device: z.string(),
  peak_bytes: z.number(),
  peak_gb: z.number(),
  free_gb: z.number().nullable(),
  fits: z.boolean(),
  /** "needs ~96 GB, the device has 79 GB free: use method lora or batch 4" */
  message: z.string(),
  suggestions: z.array(z.string()),
  components_gb: z.record(z.string(), z.number()),
  gradient_checkpointing: z.boolean(),
  shared_base: z.boolean().nullable(),
});
export type TJobPlan = z.infer<typeof ZJobPlan>;

export const ZAccuracyCell = z.object({
  accuracy: z.number().min(0).max(1).nullable(),
  n: z.number().int().nonnegative(),
});

/** One row of the paper's Table 8: accuracy by degree and on average, for one test set. */
export const ZTable8Row = z.object({
  significantly_better: ZAccuracyCell,
  better: ZAccuracyCell,
  slightly_better: ZAccuracyCell,
  negligibly_better: ZAccuracyCell,
  average: ZAccuracyCell,
});
export type TTable8Row = z.infer<typeof ZTable8Row>;

export const ZTrainRewardResult = z.object({
  /** The job kind the result belongs to (engine/results.py tags every result). */
  kind: z.literal("train_reward").optional(),
  /** How the model was trained: "full", or an adapter method (LoRA). */
  method: z.string().optional(),
  model_dir: z.string(),
  table8: z.object({ helpfulness: ZTable8Row.optional(), safety: ZTable8Row.optional() }),
  train_pairs: z.number().int().nonnegative(),
  steps: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  pairs_per_second: z.number().nonnegative(),
  tokens_per_second: z.number().nonnegative(),
});
export type TTrainRewardResult = z.infer<typeof ZTrainRewardResult>;

/** The latest training metrics; all optional (empty while queued). */
export const ZJobMetrics = z
  .object({
    step: z.number().int().nonnegative(),
    total_steps: z.number().int().nonnegative(),
    epoch: z.number().int().nonnegative(),
    loss: z.number(),
    lr: z.number(),
    /** Share of training pairs ordered correctly so far (before each step's update). */
    accuracy: z.number().min(0).max(1),
    train_pairs: z.number().int().nonnegative(),
    truncated_sequences: z.number().int().nonnegative(),
    /** [optimizer step, loss], evenly downsampled to at most 200 points. */
    loss_curve: z.array(z.tuple([z.number(), z.number()])).max(200),
  })
  .partial()
  // Other kinds report their own (rejection sampling: mean_reward; PPO: iterations [...]).
  .catchall(z.unknown());
export type TJobMetrics = z.infer<typeof ZJobMetrics>;

export const ZJobSnapshot = z.object({
  id: ZEngineJobId,
  kind: ZEngineJobKind,
  state: ZEngineJobState,
  progress: z.number().min(0).max(1),
  /** tokenizing | training | evaluating | saving while running; null otherwise. */
  phase: z.string().nullable(),
  eta_seconds: z.number().nullable(),
  metrics: ZJobMetrics,
  /** Why the job failed, for a person. */
  error: z.string().nullable(),
  /** train_reward: its Table 8 result; the other kinds' results are checked by their callers. */
  result: z.union([ZTrainRewardResult, z.record(z.string(), z.unknown())]).nullable(),
});
export type TJobSnapshot = z.infer<typeof ZJobSnapshot>;
/** The same snapshot under the name the worker uses. */
export type TEngineJob = TJobSnapshot;

// -- models and health ----------------------------------------------------------------------------

export const ZModelKind = z.enum(["policy", "reward"]);

export const ZModelList = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({
      id: z.string(),
      object: z.literal("model"),
      created: z.number().int(),
      owned_by: z.string(),
      kind: ZModelKind,
      context_length: z.number().int().positive(),
    }),
  ),
});
export type TModelList = z.infer<typeof ZModelList>;

export const ZHealth = z.object({
  status: z.literal("ok"),
  device: z.string(),
  device_name: z.string(),
  dtype: z.string(),
  decode_mode: z.enum(["eager", "graph", "compile"]),
  torch: z.string(),
  threads: z.number().int().positive(),
  /** True while the engine serves a randomly initialised model (no trained model configured). */
  random_init: z.boolean(),
  models: z.array(
    z.object({
      id: z.string(),
      kind: ZModelKind,
      path: z.string(),
      context_length: z.number().int().positive(),
      parameters: z.number().int().positive(),
      random_init: z.boolean(),
    }),
  ),
  memory: z.record(z.string(), z.number()),
  /** The continuous-batching scheduler of the start-up policy: its load and limits. */
  batching: z.object({
    waiting: z.number().int().nonnegative(),
    running: z.number().int().nonnegative(),
    rows_busy: z.number().int().nonnegative(),
    rows: z.number().int().positive(),
    max_queue: z.number().int().positive(),
    prefill_budget: z.number().int().positive(),
    /** ENGINE_BATCHING=off: one request at a time (benchmarks only). */
    serialised: z.boolean(),
  }),
});
export type THealth = z.infer<typeof ZHealth>;

// -- errors -----------------------------------------------------------------------------------

export const ZEngineErrorBody = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    /** The request field at fault (e.g. "n", "messages[1].role"); null when the body as a whole is. */
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});
export type TEngineErrorBody = z.infer<typeof ZEngineErrorBody>;

// -- fixtures ---------------------------------------------------------------------------------

/** One file of engine/protocol/fixtures: a request and the response the engine gave to it. */
export const ZEngineFixture = z.object({
  description: z.string(),
  method: z.enum(["GET", "POST"]),
  path: z.string(),
  request: z.unknown().nullable().optional(),
  raw_body: z.string().optional(),
  /** Requests the replay sends first (e.g. train a model); ${MODEL_DIR}, ${DATA_DIR}, ${FIXTURES} are filled in. */
  setup: z
    .array(
      z.object({
        method: z.enum(["GET", "POST"]),
        path: z.string(),
        request: z.unknown().optional(),
      }),
    )
    .optional(),
  auth: z.boolean(),
  reward_model: z.boolean(),
  status: z.number().int(),
  response: z.unknown(),
});
export type TEngineFixture = z.infer<typeof ZEngineFixture>;
