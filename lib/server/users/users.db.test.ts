// Account management against a real database (PGlite, and PostgreSQL with TEST_DB=postgres),
// through the tRPC caller so role checks and the audit log are exercised too.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";

let db: TTestDatabase;
let root: typeof import("@/lib/trpc/root");
let users: typeof import("@/lib/server/users/create-user");
let admin: { id: string; email: string; name: string; role: string };

beforeAll(async () => {
  db = await withTestDatabase();
  root = await import("@/lib/trpc/root");
  users = await import("@/lib/server/users/create-user");
  const created = await users.createUser({
    name: "Root",
    email: "root@users.test",
    password: "root-password-1",
    role: "admin",
  });
  admin = { ...created };
});
afterAll(async () => {
  await db?.close();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (error) {
    return error instanceof TRPCError ? `${error.code}: ${error.message}` : String(error);
  }
}

describe(`users on ${TEST_BACKEND}`, () => {
  it("creates a user with a hashed password, and refuses a duplicate email whatever its case", async () => {
    const caller = root.createCaller({ user: admin });
    const u = await caller.users.create({
      name: "Ann",
      email: "Ann@Users.test",
      password: "ann-password-1",
      role: "annotator",
    });
    expect(u.email).toBe("ann@users.test");
    const account = await db.prisma.account.findFirstOrThrow({ where: { userId: u.id } });
    expect(account.password).toBeTruthy();
    expect(account.password).not.toContain("ann-password-1");
    expect(
      await codeOf(
        caller.users.create({
          name: "Ann 2",
          email: "ANN@users.test",
          password: "ann-password-2",
          role: "annotator",
        }),
      ),
    ).toBe("CONFLICT: A user with email ann@users.test already exists");
  });

  it("validates input with messages that name the problem", async () => {
    const caller = root.createCaller({ user: admin });
    const code = await codeOf(
      caller.users.create({ name: "", email: "nope", password: "short", role: "annotator" }),
    );
    expect(code).toMatch(/^BAD_REQUEST/);
    expect(code).toContain("valid email");
    expect(code).toContain("at least 8 characters");
    expect(code).toContain("Name is required");
  });

  it("writes every admin mutation to the audit log without secrets", async () => {
    const caller = root.createCaller({ user: admin });
    const u = await caller.users.create({
      name: "Rev",
      email: "rev@users.test",
      password: "secret-pass-99",
      role: "annotator",
    });
    await caller.users.setRole({ userId: u.id, role: "reviewer" });
    await caller.users.resetPassword({ userId: u.id, password: "secret-pass-100" });
    const entries = await db.prisma.auditLog.findMany({
      where: { targetId: u.id },
      orderBy: { createdAt: "asc" },
    });
    expect(entries.map((e) => e.action)).toEqual([
      "users.create",
      "users.setRole",
      "users.resetPassword",
    ]);
    expect(entries.every((e) => e.actorId === admin.id)).toBe(true);
    expect(JSON.stringify(entries)).not.toContain("secret-pass");
    // Queries are not audited.
    await caller.users.list();
    expect(await db.prisma.auditLog.count({ where: { action: "users.list" } })).toBe(0);
  });

  it("keeps at least one active admin and lets nobody disable themselves", async () => {
    const caller = root.createCaller({ user: admin });
    expect(await codeOf(caller.users.setDisabled({ userId: admin.id, disabled: true }))).toMatch(
      /^FORBIDDEN/,
    );
    expect(await codeOf(caller.users.setRole({ userId: admin.id, role: "annotator" }))).toMatch(
      /^(CONFLICT|FORBIDDEN)/,
    );
    expect((await db.prisma.user.findUniqueOrThrow({ where: { id: admin.id } })).role).toBe(
      "admin",
    );
  });

  it("disabling a user ends their sessions", async () => {
    const caller = root.createCaller({ user: admin });
    const u = await caller.users.create({
      name: "Dis",
      email: "dis@users.test",
      password: "dis-password-1",
      role: "annotator",
    });
    await db.prisma.session.create({
      data: {
        id: "s-dis",
        token: "t-dis",
        userId: u.id,
        expiresAt: new Date(Date.now() + 3600_000),
      },
    });
    await caller.users.setDisabled({ userId: u.id, disabled: true, reason: "left the project" });
    expect(await db.prisma.session.count({ where: { userId: u.id } })).toBe(0);
    const row = await db.prisma.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(row.banned).toBe(true);
    expect(row.banReason).toBe("left the project");
  });

  it("unknown users are NOT_FOUND", async () => {
    const caller = root.createCaller({ user: admin });
    expect(await codeOf(caller.users.setRole({ userId: "nobody", role: "admin" }))).toBe(
      "NOT_FOUND: No such user",
    );
  });
});
