// Issue 18, finding 1: an admin change and its audit entry are one transaction (both or neither),
// unknown keys and text PostgreSQL cannot store are refused before any change, and the audit log
// holds the input as the schema accepted it. PGlite, and PostgreSQL with TEST_DB=postgres.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";

let db: TTestDatabase;
let root: typeof import("@/lib/trpc/root");
let prisma: typeof import("@/lib/db").prisma;
let admin: { id: string; email: string; name: string; role: string };
let target: { id: string };

beforeAll(async () => {
  db = await withTestDatabase();
  root = await import("@/lib/trpc/root");
  prisma = (await import("@/lib/db")).prisma;
  const users = await import("@/lib/server/users/create-user");
  admin = await users.createUser({
    name: "Root",
    email: "root@audit.test",
    password: "root-password-1",
    role: "admin",
  });
  target = await users.createUser({
    name: "Target",
    email: "target@audit.test",
    password: "target-password-1",
    role: "annotator",
  });
});
afterAll(async () => {
  await db?.close();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (error) {
    return error instanceof TRPCError ? error.code : String(error);
  }
}

const roleOf = async (id: string) => (await prisma.user.findUniqueOrThrow({ where: { id } })).role;
const auditCount = (action: string) => prisma.auditLog.count({ where: { action } });

describe(`admin audit on ${TEST_BACKEND}`, () => {
  it("refuses a NUL in a key, an unknown key and a lone surrogate before changing anything", async () => {
    const caller = root.createCaller({ user: admin });
    const setRole = caller.users.setRole as (input: unknown) => Promise<unknown>;
    expect(await codeOf(setRole({ userId: target.id, role: "reviewer", ["x\u0000"]: 1 }))).toBe(
      "BAD_REQUEST",
    );
    expect(
      await codeOf(setRole({ userId: target.id, role: "reviewer", extra: "x".repeat(1e6) })),
    ).toBe("BAD_REQUEST");
    expect(await codeOf(setRole({ userId: target.id, role: "reviewer", note: "\ud800" }))).toBe(
      "BAD_REQUEST",
    );
    expect(await roleOf(target.id)).toBe("annotator");
    expect(await auditCount("users.setRole")).toBe(0);

    const create = caller.apiKeys.create as (input: unknown) => Promise<unknown>;
    expect(await codeOf(create({ name: "k\ud800", scopes: ["comparisons:read"] }))).toBe(
      "BAD_REQUEST",
    );
    expect(await prisma.apiKey.count()).toBe(0);
  });

  it("rolls the change back when its audit entry cannot be written", async () => {
    // An actor with no user row: the audit entry's foreign key fails after the role changed.
    const ghost = { id: "ghost-admin", email: "ghost@audit.test", name: "Ghost", role: "admin" };
    const caller = root.createCaller({ user: ghost });
    expect(await codeOf(caller.users.setRole({ userId: target.id, role: "reviewer" }))).toBe(
      "INTERNAL_SERVER_ERROR",
    );
    expect(await roleOf(target.id)).toBe("annotator");
    expect(await auditCount("users.setRole")).toBe(0);
  });

  it("writes the change and its entry together, storing the validated input", async () => {
    const caller = root.createCaller({ user: admin });
    await caller.users.setRole({ userId: target.id, role: "reviewer" });
    expect(await roleOf(target.id)).toBe("reviewer");
    const entries = await prisma.auditLog.findMany({ where: { action: "users.setRole" } });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.details).toEqual({ userId: target.id, role: "reviewer" });

    await caller.apiKeys.create({ name: "  trimmed  ", scopes: ["comparisons:read"] });
    const keyEntry = await prisma.auditLog.findFirstOrThrow({
      where: { action: "apiKeys.create" },
    });
    expect(keyEntry.details).toEqual({ name: "trimmed", scopes: ["comparisons:read"] });
  });

  it("leaves nothing behind when the mutation itself fails", async () => {
    const caller = root.createCaller({ user: admin });
    expect(await codeOf(caller.users.setRole({ userId: admin.id, role: "annotator" }))).toMatch(
      /^(FORBIDDEN|CONFLICT)$/,
    );
    expect(await auditCount("users.setRole")).toBe(1);
  });
});
