// Invariants the database itself enforces, so no code path can break them, on each backend.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { testBackends, withTestBackend, type TTestDatabase } from "@/lib/db/testing";

/** An assignment held for an hour. */
function assignment(comparisonId: string, annotatorId: string) {
  return { comparisonId, annotatorId, leaseExpiresAt: new Date(Date.now() + 3_600_000) };
}

/** The Prisma error code a failed write rejects with (P2002 unique, P2003 foreign key). */
async function codeOf(write: Promise<unknown>): Promise<string> {
  try {
    await write;
    return "OK";
  } catch (e) {
    return e instanceof Prisma.PrismaClientKnownRequestError ? e.code : String(e);
  }
}

describe.each(testBackends())("database invariants on %s", (backend) => {
  let db: TTestDatabase;
  let annotatorId: string;
  let comparisonId: string;
  let assignmentIds: string[];

  const annotation = (assignmentId: string, idempotencyKey: string) => ({
    assignmentId,
    comparisonId,
    annotatorId,
    choice: "A" as const,
    degree: "better" as const,
    timeSpentMs: 1200,
    idempotencyKey,
  });

  beforeAll(async () => {
    db = await withTestBackend(backend);
    const p = db.prisma;
    const annotator = await p.user.create({
      data: { id: "u-ann", name: "Ann", email: "ann@test" },
    });
    annotatorId = annotator.id;
    const round = await p.round.create({ data: { number: 1, name: "Round 1", config: {} } });
    const prompt = await p.prompt.create({ data: { text: "Hello?", source: "seed" } });
    const comparisonData = {
      roundId: round.id,
      promptId: prompt.id,
      axis: "helpfulness" as const,
      context: [{ role: "user", content: "Hello?" }],
      samplingA: { temperature: 1 },
      samplingB: { temperature: 0.7 },
      swapped: false,
    };
    const comparison = await p.comparison.create({ data: comparisonData });
    const other = await p.comparison.create({ data: comparisonData });
    comparisonId = comparison.id;
    assignmentIds = [];
    for (const c of [comparison, other]) {
      const a = await p.assignment.create({ data: assignment(c.id, annotatorId) });
      assignmentIds.push(a.id);
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  it("one annotation per assignment", async () => {
    const [first] = assignmentIds as [string, string];
    expect(await codeOf(db.prisma.annotation.create({ data: annotation(first, "key-1") }))).toBe(
      "OK",
    );
    expect(await codeOf(db.prisma.annotation.create({ data: annotation(first, "key-2") }))).toBe(
      "P2002",
    );
  });

  it("an idempotency key is unique per annotator, so a retried submit cannot land twice", async () => {
    const [, second] = assignmentIds as [string, string];
    expect(await codeOf(db.prisma.annotation.create({ data: annotation(second, "key-1") }))).toBe(
      "P2002",
    );
    expect(await db.prisma.annotation.count()).toBe(1);
  });

  it("the same idempotency key is fine for another annotator", async () => {
    const bob = await db.prisma.user.create({
      data: { id: "u-bob", name: "Bob", email: "bob@test" },
    });
    const held = await db.prisma.assignment.create({ data: assignment(comparisonId, bob.id) });
    const write = db.prisma.annotation.create({
      data: { ...annotation(held.id, "key-1"), annotatorId: bob.id },
    });
    expect(await codeOf(write)).toBe("OK");
  });

  it("one assignment per comparison and annotator", async () => {
    expect(
      await codeOf(db.prisma.assignment.create({ data: assignment(comparisonId, annotatorId) })),
    ).toBe("P2002");
  });

  it("rejects references to rows that do not exist", async () => {
    const [, second] = assignmentIds as [string, string];
    expect(
      await codeOf(
        db.prisma.annotation.create({
          data: { ...annotation(second, "key-9"), comparisonId: "nope" },
        }),
      ),
    ).toBe("P2003");
    expect(
      await codeOf(db.prisma.assignment.create({ data: assignment(comparisonId, "no-such-user") })),
    ).toBe("P2003");
  });

  it("rolls back an interactive transaction that throws", async () => {
    const before = await db.prisma.prompt.count();
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.prompt.create({ data: { text: "rolled back", source: "seed" } });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await db.prisma.prompt.count()).toBe(before);
  });
});
