// The next item after a label (advanceItem) and undo while that item is held, on a real database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { defaultRoundConfig } from "@/lib/shared/round-config";

let db: TTestDatabase;
let assign: typeof import("./assign");
let advance: typeof import("./advance");
let submit: typeof import("./submit");
const t0 = new Date("2026-11-27T10:00:00Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const never = () => 0.99; // never draws gold or overlap

async function generated(comparisonId: string) {
  await db.prisma.comparison.update({
    where: { id: comparisonId },
    data: { responseA: "response A", responseB: "response B", status: "ready" },
  });
}

const label = (assignmentId: string, key: string) => ({
  assignmentId,
  idempotencyKey: key,
  chosenSide: "left" as const,
  degree: "better" as const,
  flags: [],
  timeSpentMs: 1000,
});

beforeAll(async () => {
  db = await withTestDatabase();
  assign = await import("./assign");
  advance = await import("./advance");
  submit = await import("./submit");
  for (const n of ["b1", "b2"])
    await db.prisma.user.create({
      data: { id: `user-${n}`, name: n, email: `${n}@ann.test`, role: "annotator" },
    });
  await db.prisma.round.create({
    data: {
      number: 1,
      name: "r1",
      status: "collecting",
      config: { ...defaultRoundConfig(), overlapRate: 0, goldRate: 0, maxTurns: 1 },
    },
  });
  await db.prisma.prompt.createMany({
    data: [
      { text: "queued first", source: "seed", curriculumOrder: 1, tags: [] },
      { text: "queued second", source: "seed", curriculumOrder: 2, tags: [] },
    ],
  });
});
afterAll(async () => {
  await db?.close();
});

describe(`advancing to the next item on ${TEST_BACKEND}`, () => {
  it("takes a pool item first, then a queued prompt for a queue worker, else nothing", async () => {
    // b2 started a dialogue and let its lease run out: the item waits in the pool.
    const lapsed = await assign.startDialogue(
      "user-b2",
      {
        axis: "helpfulness",
        source: { kind: "write", prompt: { text: "lapsed?", adversarial: false } },
      },
      t0,
      never,
    );
    await generated(lapsed.comparisonId);
    const later = at(31 * 60);
    const pooled = await advance.advanceItem("user-b1", { queued: false }, later, never);
    expect(pooled?.comparisonId).toBe(lapsed.comparisonId);
    await submit.submitAnnotation("user-b1", label(pooled!.assignmentId, "k-adv-1"), later, never);

    // The pool is empty: an annotator who writes prompts gets null (the prompt box) …
    expect(await advance.advanceItem("user-b1", { queued: false }, later, never)).toBeNull();
    // … one who works from the queue gets the next queued prompt.
    const queued = await advance.advanceItem("user-b1", { queued: true }, later, never);
    expect(queued?.context[0]?.content).toBe("queued first");
  });

  it("undo gives the item loaded after the label back to the pool and restores the labelled one", async () => {
    const now = at(32 * 60);
    const held = await assign.currentItem("user-b1", now);
    await generated(held!.comparisonId);
    const r = await submit.submitAnnotation(
      "user-b1",
      label(held!.assignmentId, "k-adv-2"),
      now,
      never,
    );
    const next = await advance.advanceItem("user-b1", { queued: true }, now, never);
    expect(next?.context[0]?.content).toBe("queued second");
    // Without releasing the new item, undo is refused; with it, both happen at once.
    await expect(submit.undoAnnotation("user-b1", r.annotationId, at(32 * 60 + 5))).rejects.toThrow(
      /Skip or finish the item you hold/,
    );
    await submit.undoAnnotation("user-b1", r.annotationId, at(32 * 60 + 5), next!.assignmentId);
    const restored = await assign.currentItem("user-b1", at(32 * 60 + 6));
    expect(restored?.assignmentId).toBe(held!.assignmentId);
    const released = await db.prisma.assignment.findUniqueOrThrow({
      where: { id: next!.assignmentId },
    });
    expect(released.status).toBe("expired");
    // Someone else's item cannot be released this way.
    const other = await assign.startDialogue(
      "user-b2",
      {
        axis: "helpfulness",
        source: { kind: "write", prompt: { text: "mine", adversarial: false } },
      },
      at(32 * 60 + 7),
      never,
    );
    await generated(restored!.comparisonId);
    const again = await submit.submitAnnotation(
      "user-b1",
      label(restored!.assignmentId, "k-adv-3"),
      at(32 * 60 + 8),
      never,
    );
    await expect(
      submit.undoAnnotation("user-b1", again.annotationId, at(32 * 60 + 9), other.assignmentId),
    ).rejects.toThrow(/No such assignment/);
  });
});
