import "server-only";
// A limit on failed sign-in attempts per email + client address pair (lib/server/http/client-address.ts),
// on top of Better Auth's per-address limit. Per pair, not per email: a per-email lock would let
// anyone who knows an address lock its owner out for the window.
// Every attempt takes a slot before the password is checked (so a burst of parallel guesses is
// limited too); a successful sign-in gives its slot back, so only failures count.
export const SIGN_IN_WINDOW_MS = 5 * 60_000;
export const SIGN_IN_MAX_ATTEMPTS = 10;

const attempts = new Map<string, number[]>();

/** The key an attempt counts under: the email (already lower-cased) and the client address. */
export function signInKey(email: string, address: string | null): string {
  return `${email}\n${address || "unknown"}`;
}

/** Records one attempt for `key`; returns seconds to wait when over the limit, else null. */
export function consumeSignInAttempt(key: string, now = Date.now()): number | null {
  const recent = (attempts.get(key) ?? []).filter((t) => now - t < SIGN_IN_WINDOW_MS);
  if (recent.length >= SIGN_IN_MAX_ATTEMPTS) {
    attempts.set(key, recent);
    return Math.ceil((recent[0]! + SIGN_IN_WINDOW_MS - now) / 1000);
  }
  recent.push(now);
  attempts.set(key, recent);
  // Keep the map bounded: drop keys whose attempts have all expired.
  if (attempts.size > 10_000) {
    for (const [k, ts] of attempts)
      if (ts.every((t) => now - t >= SIGN_IN_WINDOW_MS)) attempts.delete(k);
  }
  return null;
}

/** Gives back the slot an attempt at `at` took (it succeeded). */
export function refundSignInAttempt(key: string, at: number): void {
  const ts = attempts.get(key);
  if (!ts) return;
  const i = ts.indexOf(at);
  if (i >= 0) ts.splice(i, 1);
  if (ts.length === 0) attempts.delete(key);
}

export function resetSignInAttempts(): void {
  attempts.clear();
}
