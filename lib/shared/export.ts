// The dataset export API's protocol (app/api/v1): API key scopes, the query parameters, and one
// schema per output format. The OpenAPI document (/api/v1/openapi.json) is generated from these,
// and the tests validate every row the API writes against them.
import { z } from "zod";
import { MARGIN_PRESETS } from "./jobs";
import { ZAxis, ZDegree, ZMessages, ZSafetyLabel } from "./protocol";

// ───────────────────────────── API keys ─────────────────────────────

export const API_SCOPES = [
  "comparisons:read",
  "demonstrations:read",
  "models:read",
  "models:download",
] as const;
export const ZApiScope = z.enum(API_SCOPES);
export type TApiScope = z.infer<typeof ZApiScope>;

/** Secrets look like `pw_` + 43 base64url characters (32 random bytes). */
export const API_KEY_PREFIX = "pw_";
export const ZApiKeySecret = z.string().regex(/^pw_[A-Za-z0-9_-]{43}$/);

export const ZCreateApiKey = z.object({
  name: z.string().trim().min(1, "Name is required").max(100, "Name is too long"),
  scopes: z.array(ZApiScope).min(1, "Choose at least one scope"),
});
export type TCreateApiKey = z.infer<typeof ZCreateApiKey>;

export const ZRevokeApiKey = z.object({ id: z.string().min(1).max(64) });

// ───────────────────────────── margins ─────────────────────────────

/**
 * The margin m(degree) of the reward-model loss −log σ(r_chosen − r_rejected − m(degree)), for
 * significantly / better / slightly / negligibly better (Llama 2, Table 28).
 */
/** The same presets the reward-model trainer uses (lib/shared/jobs.ts). */
export const EXPORT_MARGIN_TABLES = MARGIN_PRESETS;
export const ZMarginTable = z.enum(["none", "small", "large"]);
export type TMarginTable = z.infer<typeof ZMarginTable>;

// ───────────────────────────── errors ─────────────────────────────

export const ZApiError = z
  .object({
    error: z.object({
      code: z.enum([
        "unauthorized",
        "forbidden",
        "rate_limited",
        "invalid_parameter",
        "not_found",
        "internal",
      ]),
      message: z.string(),
      /** The query parameter at fault, for invalid_parameter. */
      parameter: z.string().optional(),
    }),
  })
  .meta({ id: "Error" });
export type TApiError = z.infer<typeof ZApiError>;

// ───────────────────────────── query parameters ─────────────────────────────

const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `must be an integer from ${min} to ${max}`)
        .max(max, `must be an integer from ${min} to ${max}`),
    );

const dateParam = z
  .string()
  // Year 0000 parses in JavaScript but is outside PostgreSQL's timestamps.
  .refine((s) => /^(?!0000)\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: "must be an ISO 8601 date or date-time, e.g. 2026-11-27 or 2026-11-27T10:00:00Z",
  })
  // An offset can move a date out of PostgreSQL's range (0001-01-01T00:00:00+14:00 is year 0).
  .refine((s) => inTimestampRange(Date.parse(s)), {
    message: "must be between 0001-01-01 and 9999-12-31 (UTC)",
  })
  .transform((s) => new Date(s));

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the times every part of the stack stores. */
export const MIN_TIMESTAMP_MS = -62_135_596_800_000;
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Whether `ms` (since the epoch) is a time PostgreSQL's timestamp and an ISO string can both hold. */
export function inTimestampRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS;
}

export const REVIEW_STATUSES = ["approved", "rejected", "unreviewed"] as const;
export const ZReviewStatus = z.enum(REVIEW_STATUSES);
export type TReviewStatus = z.infer<typeof ZReviewStatus>;

export const EXPORT_FORMATS = ["native", "trl", "hh-rlhf", "parquet"] as const;
export const ZExportFormat = z.enum(EXPORT_FORMATS);
export type TExportFormat = z.infer<typeof ZExportFormat>;

/** Query parameters of GET /api/v1/comparisons; unknown parameters are refused (typos filter nothing). */
export const ZExportQuery = z.strictObject({
  format: ZExportFormat.default("native").meta({
    description:
      "native | trl | hh-rlhf (NDJSON, one row per line) or parquet (the native rows as a Parquet file)",
  }),
  round: intParam(1, 1_000_000).optional().meta({ description: "Round number" }),
  axis: ZAxis.optional().meta({ description: "helpfulness or safety" }),
  from: dateParam.optional().meta({ description: "Annotations submitted at or after this time" }),
  to: dateParam.optional().meta({ description: "Annotations submitted before this time" }),
  reviewStatus: z
    .string()
    .transform((s) => s.split(","))
    .pipe(
      z
        .array(
          z.enum(REVIEW_STATUSES, {
            error: "must be a comma-separated list of approved, rejected, unreviewed",
          }),
        )
        .min(1),
    )
    .optional()
    .meta({
      description:
        "Comma-separated: approved, rejected, unreviewed (the latest review counts), e.g. approved,unreviewed",
    }),
  minAgreement: z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, "must be a number from 0 to 1")
    .transform(Number)
    .optional()
    .meta({
      description:
        "Keep rows whose choice is shared by at least this share of the comparison's labels (1 = unanimous; a single label has agreement 1)",
    }),
  modelVersion: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .meta({ description: "A model version id or name on either side of the pair" }),
  identical: z
    .enum(["include", "exclude"], { error: "must be include or exclude" })
    .optional()
    .meta({
      description:
        "Pairs whose two responses are the same (whitespace aside): exclude is the default for trl and hh-rlhf (chosen equal to rejected teaches a reward model nothing), include for native and parquet, where such rows carry identicalResponses: true",
    }),
  margin: ZMarginTable.default("small").meta({
    description:
      "Margin table for the `margin` field: none, small (1, 2/3, 1/3, 0), large (3, 2, 1, 0)",
  }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .meta({ description: "Opaque: X-Next-Cursor of the previous page, or a native row's cursor" }),
  limit: intParam(1, 10_000)
    .optional()
    .meta({ description: "Rows per page (1–10000). Without it the whole result is streamed." }),
});
export type TExportQuery = z.output<typeof ZExportQuery>;

// ───────────────────────────── formats ─────────────────────────────

export const ZSampling = z
  .object({
    model: z.string().optional(),
    temperature: z.number().optional(),
    topP: z.number().optional(),
    maxTokens: z.number().int().optional(),
    seed: z.number().int().optional(),
  })
  .meta({ id: "Sampling" });

export const ZExportResponse = z
  .object({
    text: z.string(),
    modelVersionId: z.string().nullable(),
    modelVersion: z.string().nullable().meta({ description: "The model version's name" }),
    sampling: ZSampling,
  })
  .meta({ id: "Response" });

export const ZVote = z
  .object({
    annotator: z.string(),
    choice: z.enum(["A", "B"]),
    degree: ZDegree,
    safetyLabel: ZSafetyLabel.nullable(),
    chosenUnsafeOtherSafe: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Vote" });

/** One annotation of a comparison with everything known about it. */
export const ZNativeRow = z
  .object({
    id: z.string().meta({ description: "The annotation id" }),
    cursor: z.string().meta({ description: "Resume after this row with ?cursor=" }),
    createdAt: z.iso.datetime().meta({ description: "When the label was submitted" }),
    comparisonId: z.string(),
    round: z.number().int(),
    axis: ZAxis,
    promptId: z.string(),
    dialogueId: z.string().nullable(),
    turnIndex: z.number().int(),
    context: ZMessages.meta({ description: "The dialogue before the two responses" }),
    responses: z.object({ A: ZExportResponse, B: ZExportResponse }),
    identicalResponses: z.boolean().meta({
      description:
        "The two responses are the same after whitespace normalisation: no preference signal (left out of trl and hh-rlhf by default)",
    }),
    displayedOrder: z
      .enum(["AB", "BA"])
      .meta({ description: "AB: variant A was shown on the left; BA: B was" }),
    choice: z.enum(["A", "B"]),
    degree: ZDegree,
    margin: z.number(),
    marginTable: ZMarginTable,
    safetyLabel: ZSafetyLabel.nullable(),
    chosenUnsafeOtherSafe: z.boolean().meta({
      description:
        "The chosen response is unsafe and the other safe: left out of safety reward-model data",
    }),
    flags: z.array(z.string()),
    note: z.string().nullable(),
    annotator: z.string().meta({ description: "Pseudonymous, stable annotator id" }),
    timeSpentMs: z.number().int(),
    source: z.enum(["own", "overlap", "gold"]),
    reviewStatus: ZReviewStatus,
    agreement: z.number().min(0).max(1),
    votes: z
      .array(ZVote)
      .nullable()
      .meta({ description: "Every label of this comparison, when it has more than one" }),
  })
  .meta({ id: "NativeRow" });
export type TNativeRow = z.infer<typeof ZNativeRow>;

const ZChatMessage = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.string(),
});

/** TRL's conversational preference format, plus the margin for the reward trainer. */
export const ZTrlRow = z
  .object({
    prompt: z.array(ZChatMessage),
    chosen: z.array(ZChatMessage).length(1),
    rejected: z.array(ZChatMessage).length(1),
    margin: z.number(),
  })
  .meta({ id: "TrlRow" });
export type TTrlRow = z.infer<typeof ZTrlRow>;

/** Anthropic HH-RLHF: two transcripts "\n\nHuman: …\n\nAssistant: …" that differ in the last turn. */
export const ZHhRlhfRow = z
  .object({
    chosen: z.string().startsWith("\n\nHuman: "),
    rejected: z.string().startsWith("\n\nHuman: "),
  })
  .meta({ id: "HhRlhfRow" });
export type THhRlhfRow = z.infer<typeof ZHhRlhfRow>;

// ───────────────────────────── models ─────────────────────────────

export const ZModelVersionOut = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(["policy", "reward_helpfulness", "reward_safety"]),
    parentId: z.string().nullable(),
    round: z.number().int().nullable(),
    metrics: z.unknown().meta({ description: "As written by the training and evaluation jobs" }),
    createdAt: z.iso.datetime(),
    downloadable: z.boolean().meta({
      description: "Its checkpoint is a folder under the data directory and can be downloaded",
    }),
  })
  .meta({ id: "ModelVersion" });
export type TModelVersionOut = z.infer<typeof ZModelVersionOut>;

export const ZModelList = z.object({ models: z.array(ZModelVersionOut) }).meta({ id: "ModelList" });

// ───────────────────────────── rounds ─────────────────────────────

/** A round's collection metadata: what the comparisons export draws from. */
export const ZRoundOut = z
  .object({
    number: z.number().int(),
    name: z.string(),
    status: z.string(),
    annotations: z
      .object({ helpfulness: z.number().int(), safety: z.number().int() })
      .meta({ description: "Submitted labels per axis" }),
    comparisons: z
      .record(z.string(), z.number().int())
      .meta({ description: "Comparisons by state: generating, ready, complete, failed, dropped" }),
    resamples: z.number().int().meta({
      description: "Times side B was sampled again because it equalled side A",
    }),
    dropped: z.number().int().meta({
      description: "Comparisons set aside because their responses stayed identical",
    }),
    identicalStored: z.number().int().meta({
      description:
        "Stored pairs whose two responses are the same (left out of trl and hh-rlhf by default)",
    }),
  })
  .meta({ id: "Round" });
export type TRoundOut = z.infer<typeof ZRoundOut>;

export const ZRoundList = z.object({ rounds: z.array(ZRoundOut) }).meta({ id: "RoundList" });
