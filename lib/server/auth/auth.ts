import "server-only";
// Better Auth: email + password sessions stored through Prisma. Sign-up is closed: admins create
// accounts (lib/server/users). Built lazily so `next build` needs no secret or database.
import { betterAuth } from "better-auth";
import { APIError } from "better-auth/api";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { parseCookies } from "better-auth/cookies";
import { nextCookies } from "better-auth/next-js";
import { prisma } from "@/lib/db";
import { env } from "@/lib/env";
import { CLIENT_ADDRESS_HEADER } from "@/lib/server/http/client-address";
import { cachedSessionUser, cacheSessionUser } from "./session-cache";

export const SESSION_TTL_SECONDS = 60 * 60 * 24 * 7; // a week, renewed daily while in use

function createAuth() {
  const e = env();
  return betterAuth({
    appName: "Pairwise",
    baseURL: e.BETTER_AUTH_URL,
    secret: e.BETTER_AUTH_SECRET,
    trustedOrigins: [e.BETTER_AUTH_URL],
    // Through `prisma`, so an admin change made with Better Auth joins its audit transaction.
    database: prismaAdapter(prisma, { provider: "postgresql" }),
    emailAndPassword: {
      enabled: true,
      disableSignUp: true,
      minPasswordLength: 8,
      maxPasswordLength: 128,
    },
    session: { expiresIn: SESSION_TTL_SECONDS, updateAge: 60 * 60 * 24 },
    user: {
      additionalFields: {
        role: { type: "string", input: false, defaultValue: "annotator" },
        banned: { type: "boolean", input: false, required: false },
      },
    },
    // Per-IP limits from Better Auth, on the address instrumentation.ts stamps on each request:
    // the socket's, or X-Forwarded-For's as far as PAIRWISE_TRUSTED_PROXIES trusts it. app/api/auth
    // also limits failed sign-ins per email + address pair.
    rateLimit: {
      enabled: true,
      window: 60,
      max: 600,
      customRules: { "/sign-in/email": { window: 60, max: 30 } },
    },
    advanced: { ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] } },
    telemetry: { enabled: false },
    databaseHooks: {
      session: {
        create: {
          // A disabled account cannot start a session.
          before: async (session) => {
            const user = await prisma.user.findUnique({
              where: { id: session.userId },
              select: { banned: true },
            });
            if (user?.banned) {
              throw new APIError("FORBIDDEN", {
                message: "This account is disabled. Ask an admin.",
              });
            }
            return { data: session };
          },
        },
      },
    },
    plugins: [nextCookies()],
  });
}

type TAuth = ReturnType<typeof createAuth>;
const globalForAuth = globalThis as unknown as { pairwiseAuth?: TAuth };

export function auth(): TAuth {
  globalForAuth.pairwiseAuth ??= createAuth();
  return globalForAuth.pairwiseAuth;
}

export type TSessionUser = { id: string; email: string; name: string; role: string };

/** The session cookie's value in these headers (the cache key of session-cache.ts), or null. */
export async function sessionToken(headers: Headers): Promise<string | null> {
  const cookies = headers.get("cookie");
  if (!cookies) return null;
  // The cookie Better Auth itself reads (its name depends on the base URL's scheme).
  const name = (await auth().$context).authCookies.sessionToken.name;
  return parseCookies(cookies).get(name) ?? null;
}

/**
 * The signed-in user for these request headers, or null. A session verified within the last few
 * seconds is answered from memory (session-cache.ts says what invalidates it and what the TTL
 * bounds); otherwise Better Auth looks it up.
 */
export async function getSessionUser(headers: Headers): Promise<TSessionUser | null> {
  const token = await sessionToken(headers);
  if (!token) return null;
  const cached = cachedSessionUser(token);
  if (cached) return cached;
  const startedAt = Date.now();
  const session = await auth().api.getSession({ headers });
  if (!session) return null;
  const u = session.user as typeof session.user & { role?: string | null; banned?: boolean | null };
  if (u.banned) return null;
  const user = { id: u.id, email: u.email, name: u.name, role: u.role ?? "annotator" };
  cacheSessionUser(token, user, startedAt);
  return user;
}
