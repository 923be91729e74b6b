// Text PostgreSQL cannot store: a NUL character (text and JSON keys) and a lone UTF-16 surrogate
// ("\ud800", which has no UTF-8 form). Found at the input, where it is a 400 naming the field,
// not in the database after a change was made.

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether `s` holds a NUL or an unpaired surrogate. */
export function isBadText(s: string): boolean {
  return s.includes("\u0000") || UNPAIRED_SURROGATE.test(s);
}

/** A key as it can be shown in a message (NUL and surrogates escaped). */
function printable(key: string): string {
  return key.replace(
    /[\u0000\ud800-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Where in `value` a string or an object key holds text PostgreSQL refuses ("a.0.b"), or null.
 * Bounded in depth and breadth, so a hostile body cannot make it walk forever.
 */
export function hasBadText(value: unknown, path = "", depth = 0): string | null {
  if (typeof value === "string") return isBadText(value) ? path || "input" : null;
  if (depth > 32 || value === null || typeof value !== "object") return null;
  let seen = 0;
  for (const [key, v] of Object.entries(value)) {
    if (++seen > 10_000) return null;
    const name = path ? `${path}.${printable(key)}` : printable(key);
    if (isBadText(key)) return name;
    const found = hasBadText(v, name, depth + 1);
    if (found) return found;
  }
  return null;
}
