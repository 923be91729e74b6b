// Demonstrations for supervised fine-tuning: the inputs of the demonstration procedures and the
// checks the browser runs before a submit and the server runs again (near-empty replies, turn
// order). Shared by the annotator workspace, the review page and the server.
import { z } from "zod";
import { RISK_CATEGORIES, TASK_CATEGORIES, ZAxis, ZMessage, type TMessage } from "./protocol";
import { REASON_ON_REJECT, reasonOnReject, ZVerdict } from "./review";

const ZId = z.string().min(1).max(64);

/** An assistant reply needs at least this many words (a word has a letter or a digit). */
export const MIN_REPLY_WORDS = 3;
export const MAX_TURN_CHARS = 8000;
/** At most this many messages (user + assistant) in one demonstration. */
export const MAX_DEMONSTRATION_MESSAGES = 40;

export function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
}

/**
 * What is wrong with a demonstration's dialogue, as one message naming the turn, or null when it
 * is fine: user first, turns alternating, ending with the assistant's reply; no empty user turn; no
 * near-empty assistant reply (fewer than MIN_REPLY_WORDS words); no over-long turn or NUL.
 */
export function demonstrationProblem(messages: TMessage[]): string | null {
  if (messages.length < 2) return "A demonstration needs a user turn and the assistant's reply";
  if (messages.length > MAX_DEMONSTRATION_MESSAGES)
    return `A demonstration has at most ${MAX_DEMONSTRATION_MESSAGES} turns`;
  for (const [i, m] of messages.entries()) {
    const turn = `Turn ${i + 1} (${m.role})`;
    const expected = i % 2 === 0 ? "user" : "assistant";
    if (m.role !== expected)
      return `${turn}: turns must alternate, starting with the user (expected ${expected})`;
    if (m.content.includes("\u0000")) return `${turn} contains a NUL character`;
    if (m.content.length > MAX_TURN_CHARS)
      return `${turn} is too long (at most ${MAX_TURN_CHARS.toLocaleString("en")} characters)`;
    if (m.role === "user" && m.content.trim().length === 0) return `${turn} is empty`;
    if (m.role === "assistant" && wordCount(m.content) < MIN_REPLY_WORDS)
      return `${turn}: the reply is nearly empty; write at least ${MIN_REPLY_WORDS} words`;
  }
  if (messages.at(-1)!.role !== "assistant")
    return "A demonstration ends with the assistant's reply";
  return null;
}

/** Trims every turn (what is stored and hashed). */
export function trimMessages(messages: TMessage[]): TMessage[] {
  return messages.map((m) => ({ role: m.role, content: m.content.trim() }));
}

export const ZDemoMessages = z
  .array(ZMessage.extend({ content: z.string().max(MAX_TURN_CHARS + 1000) }))
  .min(1)
  .max(MAX_DEMONSTRATION_MESSAGES);

/** Sampling settings of a model sample, echoed back on submit (the server checks its signature). */
export const ZSampleSettings = z.object({
  temperature: z.number().min(0).max(2),
  topP: z.number().gt(0).max(1),
  maxTokens: z.number().int().min(1).max(2048),
  seed: z.number().int().min(0),
});
export type TSampleSettings = z.infer<typeof ZSampleSettings>;

/** A model sample as the server handed it out: its text, who made it, and the server's signature. */
export const ZSampleRef = z.object({
  text: z.string().max(MAX_TURN_CHARS + 1000),
  modelVersionId: ZId,
  sampling: ZSampleSettings,
  token: z.string().min(10).max(200),
});
export type TSampleRef = z.infer<typeof ZSampleRef>;

export const ZSampleRequest = z.object({
  /** The dialogue so far, ending with the user turn the sample answers. */
  messages: ZDemoMessages,
});

export const ZSubmitDemonstration = z
  .object({
    /** A key the client makes once per demonstration, so a retried submit is one demonstration. */
    idempotencyKey: z.string().min(8).max(100),
    axis: ZAxis,
    /** The first user turn: written now (with its tags) or a queued prompt taken as it is. */
    prompt: z.discriminatedUnion("kind", [
      z.object({
        kind: z.literal("write"),
        taskCategory: z.enum(TASK_CATEGORIES).optional(),
        riskCategory: z.enum(RISK_CATEGORIES).optional(),
        adversarial: z.boolean().default(false),
      }),
      z.object({ kind: z.literal("queued"), promptId: ZId }),
    ]),
    messages: ZDemoMessages,
    /** Set when the last reply started from a model sample (the reply is the edited sample). */
    sample: ZSampleRef.optional(),
    timeSpentMs: z
      .number()
      .int()
      .min(0)
      .max(24 * 3600_000),
  })
  .strict();
export type TSubmitDemonstration = z.infer<typeof ZSubmitDemonstration>;

export const DEMONSTRATION_STATUSES = ["pending", "approved", "rejected"] as const;
export const ZDemonstrationStatus = z.enum(DEMONSTRATION_STATUSES);

export const ZListDemonstrations = z.object({
  roundId: ZId.optional(),
  annotatorId: ZId.optional(),
  axis: ZAxis.optional(),
  status: ZDemonstrationStatus.optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type TListDemonstrations = z.infer<typeof ZListDemonstrations>;

export const ZDecideDemonstration = ZVerdict.extend({ demonstrationId: ZId }).refine(
  reasonOnReject,
  REASON_ON_REJECT,
);
export type TDecideDemonstration = z.infer<typeof ZDecideDemonstration>;

/** A reviewer's correction: the dialogue with the same turns, contents changed. Approves it. */
export const ZEditDemonstration = z.object({
  demonstrationId: ZId,
  messages: ZDemoMessages,
  reason: z.string().trim().max(1000, "The note is too long (at most 1,000 characters)").optional(),
});
export type TEditDemonstration = z.infer<typeof ZEditDemonstration>;
