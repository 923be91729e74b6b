// The annotators page against a real database (PGlite, and PostgreSQL with TEST_DB=postgres):
// statistics computed from written labels, generated password resets, and the audit log's filters.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { createLabel } from "@/lib/testing/labels";
import { defaultRoundConfig } from "@/lib/shared/round-config";

let db: TTestDatabase;
let root: typeof import("@/lib/trpc/root");
let admin: { id: string; email: string; name: string; role: string };
const ids = { ann: "", peer: "", idle: "", round: "", prompt: "" };

beforeAll(async () => {
  db = await withTestDatabase();
  root = await import("@/lib/trpc/root");
  const { createUser } = await import("@/lib/server/users/create-user");
  admin = await createUser({
    name: "Root",
    email: "root@ann.test",
    password: "root-password-1",
    role: "admin",
  });
  const mk = (name: string) =>
    createUser({
      name,
      email: `${name}@ann.test`,
      password: `${name}-password-1`,
      role: "annotator",
    });
  ids.ann = (await mk("ann")).id;
  ids.peer = (await mk("peer")).id;
  ids.idle = (await mk("idle")).id;
  ids.round = (
    await db.prisma.round.create({
      data: { number: 1, name: "r1", status: "collecting", config: defaultRoundConfig() },
    })
  ).id;
  ids.prompt = (
    await db.prisma.prompt.create({ data: { text: "What is 1 + 1?", source: "seed", tags: [] } })
  ).id;
});
afterAll(async () => {
  await db?.close();
});

describe(`annotators on ${TEST_BACKEND}`, () => {
  it("computes count, median time, gold accuracy, agreement, position bias and rejections", async () => {
    const base = { roundId: ids.round, promptId: ids.prompt, axis: "helpfulness" as const };
    // ann: 10 labels. The displayed left side is A unless swapped; ann picks the left one 8 times.
    const made: { comparisonId: string; annotationId: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const swapped = i % 2 === 1;
      const left = swapped ? "B" : "A";
      const right = swapped ? "A" : "B";
      made.push(
        await createLabel(db.prisma, {
          ...base,
          annotatorId: ids.ann,
          key: `ann-${i}`,
          swapped,
          choice: i < 8 ? left : right,
          timeSpentMs: 1000 * (i + 1),
        }),
      );
    }
    // Gold items on labels 0..3: the expected answer is what ann chose, except on label 3.
    const annotations = await db.prisma.annotation.findMany({
      where: { id: { in: made.slice(0, 4).map((m) => m.annotationId) } },
    });
    const choiceOf = new Map(annotations.map((a) => [a.comparisonId, a.choice]));
    for (const [i, m] of made.slice(0, 4).entries()) {
      const chosen = choiceOf.get(m.comparisonId)!;
      const expected = i === 3 ? (chosen === "A" ? "B" : "A") : chosen;
      await db.prisma.goldItem.create({
        data: { comparisonId: m.comparisonId, expectedChoice: expected, createdById: admin.id },
      });
    }
    // Overlap: peer labels comparisons 4..7 (not gold); agrees on 4 and 5 only.
    for (const [j, m] of made.slice(4, 8).entries()) {
      const annChoice = (await db.prisma.annotation.findFirstOrThrow({
        where: { comparisonId: m.comparisonId, annotatorId: ids.ann },
      }))!.choice;
      const assignment = await db.prisma.assignment.create({
        data: {
          comparisonId: m.comparisonId,
          annotatorId: ids.peer,
          status: "submitted",
          source: "overlap",
          leaseExpiresAt: new Date(),
        },
      });
      await db.prisma.annotation.create({
        data: {
          assignmentId: assignment.id,
          comparisonId: m.comparisonId,
          annotatorId: ids.peer,
          choice: j < 2 ? annChoice : annChoice === "A" ? "B" : "A",
          degree: "better",
          flags: [],
          timeSpentMs: 500,
          idempotencyKey: `peer-${j}`,
        },
      });
    }
    // Two of ann's labels rejected (the latest review counts: label 9 approved after a rejection).
    for (const [k, m] of [made[8]!, made[9]!, made[7]!].entries())
      await db.prisma.review.create({
        data: {
          annotationId: m.annotationId,
          reviewerId: admin.id,
          decision: "rejected",
          reason: "r",
          createdAt: new Date(Date.now() - 10_000 + k),
        },
      });
    await db.prisma.review.create({
      data: { annotationId: made[9]!.annotationId, reviewerId: admin.id, decision: "approved" },
    });

    const caller = root.createCaller({ user: admin });
    const rows = await caller.users.annotators({});
    const ann = rows.find((r) => r.id === ids.ann)!;
    expect(ann).toMatchObject({
      count: 10,
      medianTimeMs: 5500,
      goldItems: 4,
      goldAccuracy: 0.75,
      overlapPairs: 4,
      agreement: 0.5,
      leftShare: 0.8,
      rejected: 2,
      rejectedShare: 0.2,
      disabled: false,
    });
    // (0.8 - 0.5) / sqrt(0.25 / 10) ≈ 1.897: not beyond chance at 95 %.
    expect(ann.positionBiasZ).toBeCloseTo(1.897, 2);
    const peer = rows.find((r) => r.id === ids.peer)!;
    expect(peer).toMatchObject({ count: 4, overlapPairs: 4, agreement: 0.5 });
    // An annotator without labels is listed with empty statistics; admins without labels are not.
    expect(rows.find((r) => r.id === ids.idle)).toMatchObject({
      count: 0,
      goldAccuracy: null,
      leftShare: null,
      positionBiasZ: null,
    });
    expect(rows.some((r) => r.id === admin.id)).toBe(false);
    expect(rows[0]!.id).toBe(ids.ann);
    // Filtered by another round: nobody has labels there.
    const r2 = await db.prisma.round.create({
      data: { number: 2, name: "r2", config: defaultRoundConfig() },
    });
    expect((await caller.users.annotators({ roundId: r2.id })).every((r) => r.count === 0)).toBe(
      true,
    );
  });

  it("resets a password to a generated one that signs in, and logs no password", async () => {
    const caller = root.createCaller({ user: admin });
    await db.prisma.session.create({
      data: { id: "s-ann", token: "t-ann", userId: ids.ann, expiresAt: new Date(Date.now() + 1e6) },
    });
    const out = await caller.users.resetPasswordGenerated({ userId: ids.ann });
    expect(out.id).toBe(ids.ann);
    expect(out.password).toMatch(/^[A-Za-z0-9_-]{18}$/);
    const again = await caller.users.resetPasswordGenerated({ userId: ids.ann });
    expect(again.password).not.toBe(out.password);
    const { auth } = await import("@/lib/server/auth/auth");
    const ctx = await auth().$context;
    const account = await db.prisma.account.findFirstOrThrow({
      where: { userId: ids.ann, providerId: "credential" },
    });
    expect(await ctx.password.verify({ hash: account.password!, password: again.password })).toBe(
      true,
    );
    expect(await ctx.password.verify({ hash: account.password!, password: out.password })).toBe(
      false,
    );
    expect(await db.prisma.session.count({ where: { userId: ids.ann } })).toBe(0);
    const entries = await db.prisma.auditLog.findMany({
      where: { action: "users.resetPasswordGenerated" },
    });
    expect(entries).toHaveLength(2);
    expect(entries[0]!.targetId).toBe(ids.ann);
    expect(JSON.stringify(entries)).not.toContain(again.password);
    await expect(caller.users.resetPasswordGenerated({ userId: "nobody" })).rejects.toThrow(
      "No such user",
    );
  });

  it("disabling shows on the annotators list", async () => {
    const caller = root.createCaller({ user: admin });
    await caller.users.setDisabled({ userId: ids.idle, disabled: true });
    const rows = await caller.users.annotators({});
    expect(rows.find((r) => r.id === ids.idle)!.disabled).toBe(true);
  });
});

describe(`audit log filters on ${TEST_BACKEND}`, () => {
  it("filters by action, actor, target type and date range, a page at a time", async () => {
    const caller = root.createCaller({ user: admin });
    const other = await db.prisma.user.create({
      data: { id: "u-other-admin", name: "Other", email: "other@ann.test", role: "admin" },
    });
    const old = new Date("2020-01-15T12:00:00Z");
    for (let i = 0; i < 5; i++)
      await db.prisma.auditLog.create({
        data: {
          actorId: other.id,
          action: "rounds.create",
          targetType: "rounds",
          targetId: `r${i}`,
          createdAt: new Date(old.getTime() + i * 60_000),
        },
      });
    const all = await caller.audit.list({});
    expect(all.total).toBe(5 + 3); // 5 written here, 2 resets and 1 disable above
    expect(all.entries[0]!.createdAt >= all.entries[1]!.createdAt).toBe(true);

    const byAction = await caller.audit.list({ action: "users.resetPasswordGenerated" });
    expect(byAction.total).toBe(2);
    expect(byAction.entries.every((e) => e.action === "users.resetPasswordGenerated")).toBe(true);

    const byActor = await caller.audit.list({ actor: "OTHER@" });
    expect(byActor.total).toBe(5);
    const byType = await caller.audit.list({ targetType: "rounds" });
    expect(byType.total).toBe(5);

    const range = await caller.audit.list({
      from: new Date("2020-01-15T12:01:00Z"),
      to: new Date("2020-01-15T12:03:00Z"),
    });
    expect(range.entries.map((e) => e.targetId)).toEqual(["r2", "r1"]);

    const page1 = await caller.audit.list({ targetType: "rounds", limit: 2, page: 1 });
    const page3 = await caller.audit.list({ targetType: "rounds", limit: 2, page: 3 });
    expect(page1.entries.map((e) => e.targetId)).toEqual(["r4", "r3"]);
    expect(page3.entries.map((e) => e.targetId)).toEqual(["r0"]);

    await expect(
      caller.audit.list({ from: new Date("2021-01-01"), to: new Date("2020-01-01") }),
    ).rejects.toThrow("The start of the date range must be before its end");

    const facets = await caller.audit.facets();
    expect(facets.actions).toContainEqual({ action: "rounds.create", n: 5 });
    expect(facets.targetTypes.map((t) => t.targetType)).toContain("users");
  });
});
