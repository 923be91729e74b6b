// The audit log as people read it: who did what to what, and the input as "field: value" lines,
// or "before → after" where an earlier entry of the same change to the same target holds the
// values it replaced.
import { fieldLabel } from "./messages";

/** Each admin mutation (tRPC path) as a verb phrase and the kind of thing it acts on. */
const ACTIONS: Record<string, { did: string; what: string }> = {
  "users.create": { did: "created", what: "user" },
  "users.setRole": { did: "changed the role of", what: "user" },
  "users.setDisabled": { did: "enabled or disabled", what: "user" },
  "users.resetPassword": { did: "reset the password of", what: "user" },
  "users.resetPasswordGenerated": { did: "reset the password of", what: "user" },
  "rounds.create": { did: "created", what: "round" },
  "rounds.updateConfig": { did: "changed the configuration of", what: "round" },
  "rounds.advance": { did: "moved on", what: "round" },
  "rounds.cancel": { did: "cancelled", what: "round" },
  "jobs.start": { did: "started", what: "job" },
  "jobs.trainRewardModels": { did: "started reward-model training,", what: "job" },
  "jobs.cancel": { did: "cancelled", what: "job" },
  "jobs.retry": { did: "retried", what: "job" },
  "prompts.update": { did: "edited", what: "prompt" },
  "prompts.import": { did: "imported prompts from", what: "file" },
  "apiKeys.create": { did: "created", what: "API key" },
  "apiKeys.revoke": { did: "revoked", what: "API key" },
};

const words = (s: string) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_.]+/g, " ")
    .toLowerCase();

/** "created", "changed the configuration of"… (an unknown action: its name in words). */
export function auditVerb(action: string): string {
  return ACTIONS[action]?.did ?? words(action);
}

/** "round", "API key"… */
export function auditObject(action: string, targetType: string): string {
  return ACTIONS[action]?.what ?? words(targetType).replace(/s$/, "");
}

export type TDetailLine = { field: string; before?: string; after: string; changed: boolean };

/** The leaves of a JSON value by path: {a: {b: 1}} → [["a","b"], 1]. Bounded. */
function leaves(
  value: unknown,
  path: (string | number)[] = [],
  out: [(string | number)[], unknown][] = [],
) {
  if (out.length >= 200) return out;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object"))
      out.push([path, value.map(show).join(", ")]);
    else value.forEach((v, i) => leaves(v, [...path, i], out));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) leaves(v, [...path, k], out);
  } else out.push([path, value]);
  return out;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v === "[redacted]" ? "(hidden)" : v;
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v);
}

/**
 * An entry's input as lines, each "field: value"; with `previous` (the same action's earlier
 * input for the same target) each line says what it was before, and whether it changed.
 * Identifiers the row already shows (the target's id) are left out.
 */
export function detailLines(
  details: unknown,
  previous?: unknown,
  skip: string[] = [],
): TDetailLine[] {
  if (details === null || details === undefined) return [];
  if (typeof details !== "object")
    return [{ field: "input", after: show(details), changed: false }];
  const before = new Map(
    previous && typeof previous === "object"
      ? leaves(previous).map(([p, v]) => [p.join("."), show(v)] as const)
      : [],
  );
  return leaves(details)
    .filter(([p]) => !(p.length === 1 && skip.includes(String(p[0]))))
    .map(([p, v]) => {
      const after = show(v);
      const key = p.join(".");
      const was = before.get(key);
      return previous !== undefined && was !== undefined
        ? { field: fieldLabel(p), before: was, after, changed: was !== after }
        : { field: fieldLabel(p), after, changed: false };
    });
}
