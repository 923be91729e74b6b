import "server-only";
// A short-lived, per-process cache of "which user does this session cookie belong to", so a
// request costs no session lookup when the same browser asked within the last few seconds (an
// annotator's next → submit, a page and its tRPC calls). Keyed by the signed cookie value that
// Better Auth verified, so only a cookie that was accepted can hit.
//
// What the TTL bounds: without an explicit invalidation, a change made behind the platform's back
// (a session row deleted by hand, a session that expires) is seen at most SESSION_CACHE_TTL_MS
// late. The platform's own changes are seen at once: sign-out (and every other Better Auth POST
// that can end or alter a session), a role change, disabling and a password reset invalidate the
// entries of the cookie or user concerned. An invalidation also stops the cache from storing that
// cookie or user for one TTL, so a lookup that read the database just before the change (or before
// the admin's transaction committed) cannot put the old answer back.
//
// One store per process on globalThis: Next bundles this module once per route layer (the sign-out
// route and the tRPC route), and both must see the same entries.
import type { TSessionUser } from "./auth";

export const SESSION_CACHE_TTL_MS = 5_000;
/** Entries beyond this are dropped oldest first (a crude bound; live entries are few). */
const MAX_ENTRIES = 10_000;

type TEntry = { user: TSessionUser; expiresAt: number };
type TStore = {
  byToken: Map<string, TEntry>;
  /** When each cookie value / user id was last invalidated (ms since the epoch). */
  tokenInvalidatedAt: Map<string, number>;
  userInvalidatedAt: Map<string, number>;
};

const globalForCache = globalThis as unknown as { pairwiseSessionCache?: TStore };
const store = (globalForCache.pairwiseSessionCache ??= {
  byToken: new Map(),
  tokenInvalidatedAt: new Map(),
  userInvalidatedAt: new Map(),
});

/** How long an invalidation is remembered: far longer than any lookup takes. */
const REMEMBER_MS = 60_000;

/**
 * True while `key` may not be cached: within one TTL of its invalidation (the change may not have
 * committed yet), or for a lookup that began before the invalidation.
 */
function blocked(map: Map<string, number>, key: string, now: number, startedAt: number): boolean {
  const at = map.get(key);
  if (at === undefined) return false;
  if (at + REMEMBER_MS < now) {
    map.delete(key);
    return false;
  }
  return now < at + SESSION_CACHE_TTL_MS || startedAt <= at;
}

/** The cached user of this cookie value, or undefined (ask the database). */
export function cachedSessionUser(token: string): TSessionUser | undefined {
  const hit = store.byToken.get(token);
  if (!hit) return undefined;
  if (hit.expiresAt <= Date.now()) {
    store.byToken.delete(token);
    return undefined;
  }
  return hit.user;
}

/**
 * Remembers a verified session. `startedAt` is when the lookup began (Date.now()): a lookup that
 * began before an invalidation of its cookie or user, or that ends within one TTL of it, is not
 * stored.
 */
export function cacheSessionUser(token: string, user: TSessionUser, startedAt: number): void {
  const now = Date.now();
  if (
    blocked(store.tokenInvalidatedAt, token, now, startedAt) ||
    blocked(store.userInvalidatedAt, user.id, now, startedAt)
  )
    return;
  if (store.byToken.size >= MAX_ENTRIES) {
    const oldest = store.byToken.keys().next().value;
    if (oldest !== undefined) store.byToken.delete(oldest);
  }
  store.byToken.set(token, { user, expiresAt: now + SESSION_CACHE_TTL_MS });
}

/** Sign-out and other changes to one session: forget this cookie (the user's others stay). */
export function invalidateSessionToken(token: string): void {
  store.byToken.delete(token);
  store.tokenInvalidatedAt.set(token, Date.now());
}

/** A role change, disabling or a password reset: forget every session of this user. */
export function invalidateUserSessions(userId: string): void {
  for (const [token, entry] of store.byToken) {
    if (entry.user.id === userId) store.byToken.delete(token);
  }
  store.userInvalidatedAt.set(userId, Date.now());
}

/** Tests: start from an empty cache. */
export function clearSessionCache(): void {
  store.byToken.clear();
  store.tokenInvalidatedAt.clear();
  store.userInvalidatedAt.clear();
}
