import "server-only";
// API keys for the export API. The secret (`pw_` + 32 random bytes, base64url) is returned once
// at creation; only its SHA-256 and a short prefix (to recognise it in lists) are stored. A
// high-entropy random secret needs no slow password hash: SHA-256 cannot be reversed, and a
// lookup by hash is one index probe per request.
import { createHash, randomBytes } from "node:crypto";
import { prisma } from "@/lib/db";
import { DomainError } from "@/lib/server/errors";
import {
  API_KEY_PREFIX,
  ZApiKeySecret,
  type TApiScope,
  type TCreateApiKey,
} from "@/lib/shared/export";

/** How stale `lastUsedAt` may get: at most one write per key per minute, not one per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export function hashApiKey(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function generateApiKeySecret(): string {
  return API_KEY_PREFIX + randomBytes(32).toString("base64url");
}

export async function createApiKey(actorId: string, input: TCreateApiKey) {
  const secret = generateApiKeySecret();
  const key = await prisma.apiKey.create({
    data: {
      name: input.name,
      prefix: secret.slice(0, API_KEY_PREFIX.length + 6),
      hash: hashApiKey(secret),
      scopes: [...new Set(input.scopes)],
      createdById: actorId,
    },
  });
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    createdAt: key.createdAt,
    /** Shown once; it cannot be recovered later. */
    secret,
  };
}

export async function listApiKeys() {
  const keys = await prisma.apiKey.findMany({
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    include: { createdBy: { select: { email: true } } },
  });
  return keys.map((k) => ({
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    createdBy: k.createdBy.email,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
  }));
}

/** Revoking is immediate (every request looks the key up) and kept for the audit trail. */
export async function revokeApiKey(id: string, now = new Date()) {
  const key = await prisma.apiKey.findUnique({ where: { id } });
  if (!key) throw new DomainError("NOT_FOUND", "No such API key");
  if (key.revokedAt) return { id: key.id, revokedAt: key.revokedAt };
  const updated = await prisma.apiKey.update({ where: { id }, data: { revokedAt: now } });
  return { id: updated.id, revokedAt: updated.revokedAt };
}

export type TApiKeyPrincipal = { id: string; name: string; scopes: TApiScope[] };

export type TAuthResult =
  | { ok: true; key: TApiKeyPrincipal }
  | { ok: false; status: 401 | 403; code: "unauthorized" | "forbidden"; message: string };

/**
 * Checks an `Authorization` header for a live key with `scope`. Missing, malformed, unknown and
 * revoked keys are 401; a valid key without the scope is 403.
 */
export async function authenticateApiKey(
  header: string | null,
  scope: TApiScope,
  now = new Date(),
): Promise<TAuthResult> {
  const unauthorized = (message: string): TAuthResult => ({
    ok: false,
    status: 401,
    code: "unauthorized",
    message,
  });
  if (!header) return unauthorized("Send an API key: Authorization: Bearer pw_…");
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match || !ZApiKeySecret.safeParse(match[1]).success)
    return unauthorized("Malformed Authorization header: expected Bearer pw_… (47 characters)");
  const key = await prisma.apiKey.findUnique({ where: { hash: hashApiKey(match[1]!) } });
  if (!key) return unauthorized("Unknown API key");
  if (key.revokedAt) return unauthorized("This API key was revoked");
  if (!key.scopes.includes(scope))
    return {
      ok: false,
      status: 403,
      code: "forbidden",
      message: `This API key lacks the ${scope} scope`,
    };
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now } });
  }
  return { ok: true, key: { id: key.id, name: key.name, scopes: key.scopes as TApiScope[] } };
}
