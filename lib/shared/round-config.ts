// A round's configuration, validated on the way into and out of Round.config (a Json column).
import { z } from "zod";

/** One side of a comparison: which policy, and how it samples. */
export const ZVariant = z.object({
  /** A ModelVersion id, or "latest" / "previous" policy (resolved when the pair is sampled). */
  model: z.union([z.literal("latest"), z.literal("previous"), z.string().min(1).max(64)]),
  temperature: z.number().min(0, "temperature must be ≥ 0").max(2, "temperature must be ≤ 2"),
  topP: z.number().gt(0).max(1).default(0.95),
  maxTokens: z.number().int().min(1).max(2048).default(96),
  /**
   * Optional: sample this variant on an external OpenAI-compatible server (vLLM, TGI, llama.cpp)
   * instead of the engine. The key is not stored: `apiKeyEnv` names the web server's environment
   * variable that holds it.
   */
  backend: z
    .object({
      url: z
        .string()
        .refine((s) => URL.canParse(s), { message: "must be a URL like http://gpu-host:8000/v1" }),
      model: z.string().min(1).max(256),
      apiKeyEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, "must name an environment variable")
        .optional(),
    })
    .optional(),
});
export type TVariant = z.infer<typeof ZVariant>;

export const DEFAULT_GUIDELINES = {
  helpfulness:
    "Pick the response that better fulfils the request: correct, complete, concise, and in the format asked for. " +
    "Then say how much better it is; use 'negligibly better / unsure' when you cannot tell.",
  safety:
    "Pick the response that is safer while still helping where it can. Then label both: is the chosen one safe, " +
    "is the other? A refusal of a harmful request is safe; steps that enable harm are unsafe.",
} as const;

/** What annotators follow when they write a demonstration (the ideal response), not a comparison. */
export const DEFAULT_DEMONSTRATION_GUIDELINES =
  "Write the response you would want the model to give: answer the user's last turn directly, " +
  "correctly and concisely, in the format asked for. Decline only what would cause harm, briefly " +
  "and without lecturing, and still help where you can. Write in your own words; if you start " +
  "from a model sample, fix every mistake in it.";

export const ZRoundConfig = z.object({
  variants: z.tuple([ZVariant, ZVariant]),
  /** Share of new dialogues on each axis; must sum to 1. */
  axisMix: z
    .object({ helpfulness: z.number().min(0).max(1), safety: z.number().min(0).max(1) })
    .refine((m) => Math.abs(m.helpfulness + m.safety - 1) < 1e-6, "axis shares must sum to 1"),
  guidelines: z.object({
    helpfulness: z.string().trim().min(1).max(10_000),
    safety: z.string().trim().min(1).max(10_000),
  }),
  targets: z.object({ helpfulness: z.number().int().min(0), safety: z.number().int().min(0) }),
  /** Share of submitted comparisons sent to a second annotator, for agreement. */
  overlapRate: z.number().min(0).max(1),
  /** Share of next-item requests answered with a gold item. */
  goldRate: z.number().min(0).max(1),
  maxTurns: z.number().int().min(1).max(20),
  /** Minutes an assignment is held before it returns to the pool. */
  leaseMinutes: z.number().int().min(1).max(240).default(30),
  /** Where first user turns come from: the admin's queued prompts, prompts annotators write. */
  promptSources: z
    .object({ queued: z.boolean(), annotatorWritten: z.boolean() })
    .refine((p) => p.queued || p.annotatorWritten, "at least one prompt source must be on")
    .default({ queued: true, annotatorWritten: true }),
  /** Share of new tasks that are demonstrations (write the ideal response) instead of comparisons. */
  demonstrationShare: z.number().min(0).max(1).default(0),
  /** Shown above every demonstration task (the per-axis guidelines are for comparisons). */
  demonstrationGuidelines: z
    .string()
    .trim()
    .min(1, "write the demonstration guidelines")
    .max(10_000, "at most 10,000 characters")
    .default(DEFAULT_DEMONSTRATION_GUIDELINES),
  /** Non-rejected annotations per axis needed before the reward models can be trained. */
  minAnnotationsPerAxis: z.number().int().min(1).max(1_000_000).default(10),
  /**
   * Identical pairs: when the two sampled responses are the same (lib/shared/pairs.ts), side B is
   * sampled again with a new seed up to `maxResamples` times, each time `temperatureStep` hotter
   * (at most 2; the temperature used is stored with the pair); still the same, the comparison is
   * dropped from the pool. `nearDuplicates` also counts responses that differ only in case,
   * punctuation or symbols as the same.
   */
  duplicates: z
    .object({
      maxResamples: z
        .number()
        .int("resamples must be a whole number")
        .min(0, "resamples must be ≥ 0")
        .max(10, "resamples must be ≤ 10"),
      temperatureStep: z
        .number()
        .min(0, "the temperature step must be ≥ 0")
        .max(1, "the temperature step must be ≤ 1")
        .default(0.3),
      nearDuplicates: z.boolean(),
    })
    .default({ maxResamples: 4, temperatureStep: 0.3, nearDuplicates: false }),
});
export type TRoundConfig = z.infer<typeof ZRoundConfig>;

/**
 * The default configuration of a new round. Both sides sample at different temperatures (0.7 and
 * 1.0); once a previous published policy exists (`previousPolicy`), side B samples it instead of
 * the latest one — the paper's design (Llama 2 §3.2.1: two model variants, varied temperature).
 * Round 1 has no previous policy, so both sides sample the latest one.
 */
export function defaultRoundConfig(opts: { previousPolicy?: boolean } = {}): TRoundConfig {
  return {
    variants: [
      { model: "latest", temperature: 0.7, topP: 0.95, maxTokens: 96 },
      {
        model: opts.previousPolicy ? "previous" : "latest",
        temperature: 1.0,
        topP: 0.95,
        maxTokens: 96,
      },
    ],
    axisMix: { helpfulness: 0.5, safety: 0.5 },
    guidelines: { ...DEFAULT_GUIDELINES },
    targets: { helpfulness: 500, safety: 500 },
    overlapRate: 0.1,
    goldRate: 0.05,
    maxTurns: 3,
    leaseMinutes: 30,
    promptSources: { queued: true, annotatorWritten: true },
    demonstrationShare: 0,
    demonstrationGuidelines: DEFAULT_DEMONSTRATION_GUIDELINES,
    minAnnotationsPerAxis: 10,
    duplicates: { maxResamples: 4, temperatureStep: 0.3, nearDuplicates: false },
  };
}

export function parseRoundConfig(value: unknown): TRoundConfig {
  return ZRoundConfig.parse(value);
}
