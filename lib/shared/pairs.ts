// When are the two responses of a pair "the same"? Shared by sampling (resample side B until they
// differ), reward-model training and the exports (leave identical pairs out), and the migration
// that marked pairs stored before (the same rule in SQL: regexp_replace(x, '\s+', ' ', 'g') then
// btrim, where PostgreSQL's \s is exactly the ASCII whitespace below).

/** Whitespace runs become one space; leading and trailing whitespace goes. */
export function normaliseWhitespace(text: string): string {
  return text.replace(/[ \t\n\r\f\v]+/g, " ").replace(/^ | $/g, "");
}

/**
 * Near-duplicate form (a round setting, off by default): also case-insensitive and blind to
 * punctuation and symbols, so "Paris." and "paris" count as the same answer.
 */
export function normaliseNearDuplicate(text: string): string {
  return normaliseWhitespace(text.toLowerCase().replace(/[\p{P}\p{S}]+/gu, " "));
}

export function sameResponses(a: string, b: string, nearDuplicates = false): boolean {
  return nearDuplicates
    ? normaliseNearDuplicate(a) === normaliseNearDuplicate(b)
    : normaliseWhitespace(a) === normaliseWhitespace(b);
}
