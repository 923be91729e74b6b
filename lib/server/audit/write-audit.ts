import "server-only";
import type { Prisma } from "@/lib/generated/prisma/client";
import { prisma } from "@/lib/db";

// A key is secret when one of its words is: "password", "newPassword", "secret", "apiKey",
// "access_token". Words, not substrings: "maxTokens" (a count) and "keyboard" stay visible.
const SECRET_WORDS = new Set([
  "pass",
  "password",
  "passwd",
  "secret",
  "token",
  "key",
  "credential",
]);

export function isSecretKey(key: string): boolean {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_\-.]+/)
    .some((w) => SECRET_WORDS.has(w.toLowerCase()));
}

/** Copies an input for the audit log with secrets replaced, so the log never holds a password. */
export function redact(value: unknown): Prisma.InputJsonValue | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map((v) => redact(v)) as Prisma.InputJsonValue;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") {
    const out: Record<string, Prisma.InputJsonValue | null> = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? "[redacted]" : redact(v);
    return out as Prisma.InputJsonValue;
  }
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return value;
  return String(value);
}

export type TAuditEntry = {
  actorId: string | null;
  action: string;
  targetType: string;
  targetId?: string | null;
  details?: unknown;
};

/** The most an entry's details may take as JSON; a larger input is recorded by its size only. */
export const AUDIT_DETAILS_MAX_CHARS = 16_384;

export async function writeAudit(entry: TAuditEntry): Promise<void> {
  let details = redact(entry.details);
  const size = details === null ? 0 : JSON.stringify(details).length;
  if (size > AUDIT_DETAILS_MAX_CHARS) details = { omitted: `input of ${size} characters` };
  await prisma.auditLog.create({
    data: {
      actorId: entry.actorId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      ...(details === null ? {} : { details }),
    },
  });
}
