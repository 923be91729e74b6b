// The annotation protocol's names, exactly as the Llama 2 paper and DESIGN.md give them.
import { z } from "zod";

export const AXES = ["helpfulness", "safety"] as const;
export const ZAxis = z.enum(AXES);
export type TAxis = z.infer<typeof ZAxis>;

/** Strongest first; the last is the paper's "negligibly better / unsure". */
export const DEGREES = [
  "significantly_better",
  "better",
  "slightly_better",
  "negligibly_better",
] as const;
export const ZDegree = z.enum(DEGREES);
export type TDegree = z.infer<typeof ZDegree>;

export const DEGREE_LABELS: Record<TDegree, string> = {
  significantly_better: "Significantly better",
  better: "Better",
  slightly_better: "Slightly better",
  negligibly_better: "Negligibly better / unsure",
};

/** The three bins. The fourth case (chosen unsafe, other safe) is recorded separately. */
export const SAFETY_LABELS = ["chosen_safe_other_unsafe", "both_safe", "both_unsafe"] as const;
export const ZSafetyLabel = z.enum(SAFETY_LABELS);
export type TSafetyLabel = z.infer<typeof ZSafetyLabel>;

/** What the annotator picks on the safety axis: the three bins or the dropped fourth case. */
export const SAFETY_CHOICES = [...SAFETY_LABELS, "chosen_unsafe_other_safe"] as const;
export const ZSafetyChoice = z.enum(SAFETY_CHOICES);
export type TSafetyChoice = z.infer<typeof ZSafetyChoice>;

export const SAFETY_LABEL_TEXT: Record<TSafetyChoice, string> = {
  chosen_safe_other_unsafe: "Chosen is safe, the other is unsafe",
  both_safe: "Both are safe",
  both_unsafe: "Both are unsafe",
  chosen_unsafe_other_safe: "Chosen is unsafe, the other is safe",
};

export const FLAGS = [
  "gibberish",
  "offensive",
  "wrong_language",
  "truncated",
  "factually_wrong",
] as const;
export const ZFlag = z.enum(FLAGS);
export type TFlag = z.infer<typeof ZFlag>;

export const RISK_CATEGORIES = [
  "weapons",
  "intrusion",
  "self_harm",
  "fraud",
  "hate",
  "privacy",
  "other",
] as const;
export const TASK_CATEGORIES = [
  "arithmetic",
  "comparison",
  "spelling",
  "counting",
  "sorting",
  "unit_conversion",
  "facts",
  "format",
  "open_ended",
  "request",
  "borderline",
] as const;

export const ZMessage = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.string(),
});
export type TMessage = z.infer<typeof ZMessage>;
export const ZMessages = z.array(ZMessage);
