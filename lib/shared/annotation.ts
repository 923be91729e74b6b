// Inputs of the annotation procedures, shared by the browser and the server.
import { z } from "zod";
import { RISK_CATEGORIES, TASK_CATEGORIES, ZAxis, ZDegree, ZFlag, ZSafetyChoice } from "./protocol";

export const ZId = z.string().min(1).max(64);

/** Text people type: no NUL characters (PostgreSQL cannot store them). */
const noNul = (s: string) => !s.includes("\u0000");

export const ZNewPrompt = z.object({
  text: z
    .string()
    .trim()
    .min(3, "Write a prompt of at least 3 characters")
    .max(4000, "The prompt is too long (at most 4,000 characters)")
    .refine(noNul, "The prompt contains a NUL character"),
  taskCategory: z.enum(TASK_CATEGORIES).optional(),
  riskCategory: z.enum(RISK_CATEGORIES).optional(),
  adversarial: z.boolean().default(false),
});

export const ZStartDialogue = z.object({
  axis: ZAxis.optional(),
  /** Either a new prompt the annotator wrote, or a queued prompt's id. */
  source: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("write"), prompt: ZNewPrompt }),
    z.object({ kind: z.literal("queued") }),
  ]),
});
export type TStartDialogue = z.infer<typeof ZStartDialogue>;

export const ZSubmitAnnotation = z
  .object({
    assignmentId: ZId,
    /** A key the client makes once per labelling, so a retried or doubled submit is one annotation. */
    idempotencyKey: z.string().min(8).max(100),
    /** The side the annotator chose, as displayed. */
    chosenSide: z.enum(["left", "right"]),
    degree: ZDegree,
    safety: ZSafetyChoice.optional(),
    flags: z.array(ZFlag).max(10).default([]),
    note: z.string().trim().max(2000, "The note is too long (at most 2,000 characters)").optional(),
    timeSpentMs: z
      .number()
      .int()
      .min(0)
      .max(24 * 3600_000),
  })
  .strict();
export type TSubmitAnnotation = z.infer<typeof ZSubmitAnnotation>;

export const ZContinueDialogue = z.object({
  dialogueId: ZId,
  message: z
    .string()
    .trim()
    .min(1, "Write the next user turn")
    .max(4000, "The message is too long (at most 4,000 characters)")
    .refine(noNul, "The message contains a NUL character"),
});

export const ZSkip = z.object({
  assignmentId: ZId,
  reason: z.enum(["cannot_judge", "responses_broken", "prompt_problem", "other"]),
  note: z.string().trim().max(500).optional(),
});

export const UNDO_GRACE_MS = 60_000;
