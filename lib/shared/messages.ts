// What people read when input is refused, and the names they see for internal values: zod issues
// as short sentences ("must be at least 1"), field paths as words ("Variants #1 › max tokens"),
// round and job states and metric keys by their human names. Used by the tRPC error formatter,
// by client-side checks (the same zod schemas) and by the pages.
import { z } from "zod";

type TIssue = z.core.$ZodRawIssue | z.core.$ZodIssue;

const SIZED: Record<string, string> = {
  string: "characters",
  array: "items",
  set: "items",
  map: "entries",
  file: "bytes",
};

const FORMATS: Record<string, string> = {
  email: "an email address",
  url: "a web address (URL)",
  uuid: "an identifier",
  cuid: "an identifier",
  datetime: "a date and time",
  date: "a date",
};

const TYPES: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "yes or no",
  array: "a list",
  object: "a group of fields",
  date: "a date",
  bigint: "a whole number",
};

function bound(issue: { minimum?: unknown; maximum?: unknown }, key: "minimum" | "maximum") {
  const v = issue[key];
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number")
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return String(v);
}

function valueText(v: unknown): string {
  return typeof v === "string" ? v.replace(/_/g, " ") : String(v);
}

/** One zod issue as a sentence fragment that follows the field's name ("must be at least 1"). */
export function issueText(issue: TIssue): string {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined || issue.input === null) return "is required";
      return `must be ${TYPES[issue.expected] ?? issue.expected}`;
    case "too_small": {
      const unit = SIZED[issue.origin];
      const n = bound(issue, "minimum");
      if (unit && n === "1" && issue.inclusive !== false) return "must not be empty";
      if (unit) return `must have at least ${n} ${unit}`;
      return issue.inclusive === false ? `must be more than ${n}` : `must be at least ${n}`;
    }
    case "too_big": {
      const unit = SIZED[issue.origin];
      const n = bound(issue, "maximum");
      if (unit) return `must have at most ${n} ${unit}`;
      return issue.inclusive === false ? `must be less than ${n}` : `must be at most ${n}`;
    }
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${valueText(issue.values[0])}`
        : `must be one of: ${issue.values.map(valueText).join(", ")}`;
    case "invalid_format":
      return FORMATS[issue.format]
        ? `must be ${FORMATS[issue.format]}`
        : "is not in the right form";
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    case "unrecognized_keys":
      return `has unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}; remove ${issue.keys.length > 1 ? "them" : "it"}`;
    case "invalid_union":
      return "is not one of the accepted forms";
    default:
      return "is not valid";
  }
}

/** The zod error map every schema uses (set by `installHumanZodMessages`): a schema's own message
 * still wins, this replaces zod's "Too small: expected number to be >=1". */
export const humanErrorMap: z.core.$ZodErrorMap = (issue) => issueText(issue);

let installed = false;
/** Makes every zod schema in this process (server or browser) speak in sentences. */
export function installHumanZodMessages() {
  if (installed) return;
  installed = true;
  z.config({ localeError: humanErrorMap });
}

// Whatever imports these helpers (server, worker, browser) gets the same sentences.
installHumanZodMessages();

const words = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .toLowerCase()
    .trim();

/** A field path as words: ["variants", 0, "maxTokens"] → "Variants #1 › max tokens". */
export function fieldLabel(path: readonly PropertyKey[]): string {
  const parts: string[] = [];
  for (const seg of path) {
    if (typeof seg === "number") {
      const last = parts.length - 1;
      if (last >= 0) parts[last] = `${parts[last]} #${seg + 1}`;
      else parts.push(`#${seg + 1}`);
    } else parts.push(words(String(seg)));
  }
  const text = parts.filter(Boolean).join(" › ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Capitalises a fragment that starts a sentence. */
const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A message that already names its subject (a schema's own wording) vs a fragment. */
const isFragment = (m: string) => /^(must|is|has) /.test(m);

/** One issue as a sentence naming its field: "Max tokens: must be at most 4096". A schema's own
 * message is already a sentence ("Name the round") and stands as it is. */
export function issueSentence(issue: { path: readonly PropertyKey[]; message: string }): string {
  const label = fieldLabel(issue.path);
  if (!label || !isFragment(issue.message)) return sentence(issue.message);
  return `${label}: ${issue.message}`;
}

/** All issues of a refused input as one message: the first three, then how many more. */
export function issuesMessage(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): string {
  if (issues.length === 0) return "The input was refused";
  const shown = issues.slice(0, 3).map(issueSentence);
  const more = issues.length - shown.length;
  return shown.join(". ") + (more > 0 ? `. And ${more} more problem${more > 1 ? "s" : ""}` : "");
}

/** Issues keyed by dotted path ("variants.0.temperature"), the first message per field. */
export function messagesByPath(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) out[issue.path.map(String).join(".")] ??= issue.message;
  return out;
}

// ─── Human names of internal values ──────────────────────────────────────────────────────────

/** Round states as people call them (in sentences: lower case). */
export const ROUND_STATE_LABEL: Record<string, string> = {
  draft: "draft",
  collecting: "collecting",
  training_rewards: "training reward models",
  rlhf: "RLHF",
  evaluating: "evaluating",
  published: "published",
  cancelled: "cancelled",
};
export const roundStateLabel = (s: string) => ROUND_STATE_LABEL[s] ?? words(s);

/** Several states as "training reward models or RLHF". */
export const roundStatesText = (states: readonly string[]) =>
  states.map(roundStateLabel).join(" or ");

/** Model kinds as people call them. */
export const MODEL_KIND_LABEL: Record<string, string> = {
  policy: "policy",
  reward_helpfulness: "helpfulness reward model",
  reward_safety: "safety reward model",
};
export const modelKindLabel = (k: string) => MODEL_KIND_LABEL[k] ?? words(k);

const METRIC_LABEL: Record<string, string> = {
  loss: "loss",
  lr: "learning rate",
  step: "step",
  steps: "steps",
  epoch: "epoch",
  accuracy: "accuracy",
  kl: "KL",
  win_rate: "win rate",
  winRate: "win rate",
  mean_reward: "mean reward",
  meanReward: "mean reward",
  clip_fraction: "clip fraction",
  clipFraction: "clip fraction",
  val_loss: "validation loss",
  valLoss: "validation loss",
  train_loss: "training loss",
  trainLoss: "training loss",
};

/** A metric key ("mean_reward", "clipFraction") as words ("mean reward", "clip fraction"). */
export const metricLabel = (key: string) => METRIC_LABEL[key] ?? words(key);
