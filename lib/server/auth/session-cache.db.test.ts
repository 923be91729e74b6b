// The session cache (session-cache.ts) against a real database: a session is looked up once per
// TTL, and sign-out, a role change, disabling and a password reset take effect on the very next
// request, never a TTL later.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";

let db: TTestDatabase;
let auth: typeof import("@/lib/server/auth/auth");
let cache: typeof import("@/lib/server/auth/session-cache");
let manage: typeof import("@/lib/server/users/manage-users");
let route: typeof import("@/app/api/auth/[...all]/route");
let adminId: string;
let origin: string;

beforeAll(async () => {
  db = await withTestDatabase();
  auth = await import("@/lib/server/auth/auth");
  cache = await import("@/lib/server/auth/session-cache");
  manage = await import("@/lib/server/users/manage-users");
  route = await import("@/app/api/auth/[...all]/route");
  const { createUser } = await import("@/lib/server/users/create-user");
  const { env } = await import("@/lib/env");
  origin = env().BETTER_AUTH_URL;
  adminId = (
    await createUser({
      name: "Admin",
      email: "admin@cache.test",
      password: "admin-password-1",
      role: "admin",
    })
  ).id;
});
afterEach(() => {
  vi.useRealTimers();
  cache.clearSessionCache();
});
afterAll(async () => {
  await db?.close();
});

let seq = 0;
/** A new annotator, signed in: the headers of their browser. */
async function signedIn(): Promise<{ userId: string; headers: Headers }> {
  const { createUser } = await import("@/lib/server/users/create-user");
  const email = `ann${++seq}@cache.test`;
  const user = await createUser({
    name: "Ann",
    email,
    password: "ann-password-1",
    role: "annotator",
  });
  const res = await route.POST(
    new Request(`${origin}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ email, password: "ann-password-1" }),
    }),
  );
  expect(res.status).toBe(200);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .join("; ");
  return { userId: user.id, headers: new Headers({ cookie, origin }) };
}

describe(`session cache on ${TEST_BACKEND}`, () => {
  it("answers a repeated lookup from memory for one TTL, then asks the database again", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const { userId, headers } = await signedIn();
    expect((await auth.getSessionUser(headers))?.id).toBe(userId);
    // Deleted behind the platform's back (no invalidation): seen at most one TTL late.
    await db.prisma.session.deleteMany({ where: { userId } });
    expect((await auth.getSessionUser(headers))?.id).toBe(userId);
    vi.setSystemTime(Date.now() + cache.SESSION_CACHE_TTL_MS + 1);
    expect(await auth.getSessionUser(headers)).toBeNull();
  });

  it("a request without the session cookie, or with a forged one, is nobody", async () => {
    expect(await auth.getSessionUser(new Headers())).toBeNull();
    const { headers } = await signedIn();
    const forged = new Headers({
      cookie: headers.get("cookie")!.replace(/=([^.;]+)/, "=forged$1"),
    });
    expect(await auth.getSessionUser(forged)).toBeNull();
  });

  it("sign-out ends the cached session at once", async () => {
    const { userId, headers } = await signedIn();
    const other = await signedIn();
    expect((await auth.getSessionUser(headers))?.id).toBe(userId);
    expect((await auth.getSessionUser(other.headers))?.id).toBe(other.userId);
    const res = await route.POST(
      new Request(`${origin}/api/auth/sign-out`, { method: "POST", headers }),
    );
    expect(res.status).toBe(200);
    expect(await auth.getSessionUser(headers)).toBeNull();
    // Another user's cached session is untouched.
    expect((await auth.getSessionUser(other.headers))?.id).toBe(other.userId);
  });

  it("a role change is seen by the next request", async () => {
    const { userId, headers } = await signedIn();
    expect((await auth.getSessionUser(headers))?.role).toBe("annotator");
    await manage.setUserRole(adminId, userId, "reviewer");
    expect((await auth.getSessionUser(headers))?.role).toBe("reviewer");
    await manage.setUserRole(adminId, userId, "annotator");
    expect((await auth.getSessionUser(headers))?.role).toBe("annotator");
  });

  it("disabling an account ends its cached sessions at once", async () => {
    const { userId, headers } = await signedIn();
    expect((await auth.getSessionUser(headers))?.id).toBe(userId);
    await manage.setUserDisabled(adminId, userId, true, "test");
    expect(await auth.getSessionUser(headers)).toBeNull();
  });

  it("a password reset ends the cached sessions at once", async () => {
    const { userId, headers } = await signedIn();
    expect((await auth.getSessionUser(headers))?.id).toBe(userId);
    await manage.resetUserPassword(userId, "new-password-123");
    expect(await auth.getSessionUser(headers)).toBeNull();
  });

  it("a lookup that began before an invalidation does not put the old answer back", () => {
    const user = { id: "u1", email: "u1@cache.test", name: "U", role: "admin" };
    const startedAt = Date.now() - 1;
    cache.invalidateUserSessions("u1");
    cache.cacheSessionUser("token-1", user, startedAt);
    expect(cache.cachedSessionUser("token-1")).toBeUndefined();
    cache.invalidateSessionToken("token-2");
    cache.cacheSessionUser("token-2", { ...user, id: "u2" }, Date.now());
    expect(cache.cachedSessionUser("token-2")).toBeUndefined();
  });
});
