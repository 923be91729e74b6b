// The engine's HTTP contract (docs/engine-protocol.md), as zod schemas shared by the worker, the
// server and tests. engine/protocol/fixtures/*.json are recorded requests and responses of the real
// engine; lib/engine/protocol.test.ts parses every one of them with these schemas, and the engine's
// pytest replays them against the live service, so the two sides cannot drift apart.
import { z } from "zod";

// -- shared pieces ------------------------------------------------------------------------------

export const MAX_N = 16;
export const MAX_STOP = 4;
export const MAX_REWARD_INPUTS = 64;

export const ZRole = z.enum(["system", "user", "assistant"]);
export type TRole = z.infer<typeof ZRole>;

export const ZChatMessage = z.object({ role: ZRole, content: z.string() });
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
  auth: z.boolean(),
  reward_model: z.boolean(),
  status: z.number().int(),
  response: z.unknown(),
});
export type TEngineFixture = z.infer<typeof ZEngineFixture>;
