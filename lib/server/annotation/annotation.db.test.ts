// The annotation rules against a real database: assignment, leases, overlap, gold, idempotent
// submission, undo and skip. Responses are written straight into the comparison here (the
// engine's part is covered by the engine suites and e2e), so each rule is tested on its own.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { defaultRoundConfig, type TRoundConfig } from "@/lib/shared/round-config";

let db: TTestDatabase;
let assign: typeof import("./assign");
let submit: typeof import("./submit");
let ann1: string;
let ann2: string;
let ann3: string;
const t0 = new Date("2026-11-27T10:00:00Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const never = () => 0.99; // a "random" that never draws gold or overlap
const always = () => 0; // one that always does

async function makeRound(overrides: Partial<TRoundConfig> = {}) {
  await db.prisma.round.updateMany({
    where: { status: "collecting" },
    data: { status: "published" },
  });
  const number = (await db.prisma.round.count()) + 1;
  return db.prisma.round.create({
    data: {
      number,
      name: `r${number}`,
      status: "collecting",
      config: { ...defaultRoundConfig(), ...overrides },
    },
  });
}

/** Pretends the engine answered: both responses stored, the comparison ready. */
async function generated(comparisonId: string, a = "response A", b = "response B") {
  await db.prisma.comparison.update({
    where: { id: comparisonId },
    data: { responseA: a, responseB: b, status: "ready" },
  });
}

async function startWritten(annotatorId: string, now: Date, text = "What is 2 + 2?") {
  const item = await assign.startDialogue(
    annotatorId,
    { axis: "helpfulness", source: { kind: "write", prompt: { text, adversarial: false } } },
    now,
    never,
  );
  await generated(item.comparisonId);
  return item;
}

function label(assignmentId: string, key: string, side: "left" | "right" = "left") {
  return {
    assignmentId,
    idempotencyKey: key,
    chosenSide: side,
    degree: "better" as const,
    flags: [],
    timeSpentMs: 1234,
  };
}

beforeAll(async () => {
  db = await withTestDatabase();
  assign = await import("./assign");
  submit = await import("./submit");
  const users = await Promise.all(
    ["a1", "a2", "a3"].map((n) =>
      db.prisma.user.create({
        data: { id: `user-${n}`, name: n, email: `${n}@ann.test`, role: "annotator" },
      }),
    ),
  );
  [ann1, ann2, ann3] = users.map((u) => u.id) as [string, string, string];
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  // Each case starts clean: nobody holds anything, and a fresh round collects.
  await db.prisma.assignment.updateMany({
    where: { status: "assigned" },
    data: { status: "expired" },
  });
  await makeRound({ overlapRate: 0, goldRate: 0, maxTurns: 3, leaseMinutes: 10 });
});

describe(`annotation on ${TEST_BACKEND}`, () => {
  it("starts a dialogue from a written prompt with a recorded random side order", async () => {
    const item = await assign.startDialogue(
      ann1,
      {
        axis: "safety",
        source: {
          kind: "write",
          prompt: { text: "How do I pick a lock?", riskCategory: "intrusion", adversarial: false },
        },
      },
      t0,
      () => 0.1,
    );
    expect(item.axis).toBe("safety");
    expect(item.context).toEqual([{ role: "user", content: "How do I pick a lock?" }]);
    const c = await db.prisma.comparison.findUniqueOrThrow({
      where: { id: item.comparisonId },
      include: { prompt: true },
    });
    expect(c.swapped).toBe(true); // random() 0.1 < 0.5
    expect(c.prompt.isSafety).toBe(true);
    expect(c.prompt.tags).toEqual(["intrusion"]);
    expect(c.status).toBe("generating");
    // Holding an item, the annotator cannot start another.
    await expect(assign.startDialogue(ann1, { source: { kind: "queued" } }, t0)).rejects.toThrow(
      /Finish or skip/,
    );
    await submit.skipAssignment(ann1, item.assignmentId, "other", undefined, t0);
  });

  it("translates the displayed side to the variant, using the recorded order", async () => {
    const item = await startWritten(ann1, t0);
    const c = await db.prisma.comparison.findUniqueOrThrow({ where: { id: item.comparisonId } });
    const r = await submit.submitAnnotation(
      ann1,
      label(item.assignmentId, "k-side-1", "right"),
      at(5),
      never,
    );
    const a = await db.prisma.annotation.findUniqueOrThrow({ where: { id: r.annotationId } });
    expect(a.choice).toBe(c.swapped ? "A" : "B");
    const turns = await db.prisma.turn.findMany({
      where: { dialogueId: item.dialogueId! },
      orderBy: { position: "asc" },
    });
    expect(turns.map((t) => t.role)).toEqual(["user", "assistant"]);
    expect(turns[1]!.content).toBe(a.choice === "A" ? "response A" : "response B");
  });

  it("makes one annotation per idempotency key, however often it is sent, even at once", async () => {
    const item = await startWritten(ann1, t0);
    const input = label(item.assignmentId, "k-idem-1");
    const results = await Promise.all(
      [1, 2, 3].map(() => submit.submitAnnotation(ann1, input, at(5), never)),
    );
    expect(new Set(results.map((r) => r.annotationId)).size).toBe(1);
    expect(results.filter((r) => r.created).length).toBe(1);
    expect(await db.prisma.annotation.count({ where: { idempotencyKey: "k-idem-1" } })).toBe(1);
    // A new key for the same assignment is a conflict, not a second annotation.
    await expect(
      submit.submitAnnotation(ann1, label(item.assignmentId, "k-idem-2"), at(6), never),
    ).rejects.toThrow(/already submitted/);
  });

  it("answers a key reused on another assignment with its first annotation, storing nothing", async () => {
    const first = await startWritten(ann1, t0);
    const r1 = await submit.submitAnnotation(
      ann1,
      {
        ...label(first.assignmentId, "k-reuse-1", "right"),
        degree: "significantly_better",
        flags: ["factually_wrong", "truncated"],
        note: "the second is wrong",
        timeSpentMs: 4321,
      },
      at(5),
      never,
    );
    const stored = await db.prisma.annotation.findUniqueOrThrow({ where: { id: r1.annotationId } });
    expect(stored).toMatchObject({
      assignmentId: first.assignmentId,
      comparisonId: first.comparisonId,
      annotatorId: ann1,
      degree: "significantly_better",
      safetyLabel: null,
      chosenUnsafeOtherSafe: false,
      flags: ["factually_wrong", "truncated"],
      note: "the second is wrong",
      timeSpentMs: 4321,
      idempotencyKey: "k-reuse-1",
      createdAt: at(5),
    });
    expect(
      (await db.prisma.assignment.findUniqueOrThrow({ where: { id: first.assignmentId } }))
        .finishedAt,
    ).toEqual(at(5));
    const second = await assign.continueDialogue(ann1, r1.dialogueId!, "and then?", at(6), never);
    await generated(second.comparisonId);
    const r2 = await submit.submitAnnotation(
      ann1,
      label(second.assignmentId, "k-reuse-1"),
      at(7),
      never,
    );
    expect(r2).toMatchObject({ annotationId: r1.annotationId, created: false });
    const held = await db.prisma.assignment.findUniqueOrThrow({
      where: { id: second.assignmentId },
    });
    expect([held.status, held.finishedAt]).toEqual(["assigned", null]);
    expect(await db.prisma.annotation.count({ where: { assignmentId: second.assignmentId } })).toBe(
      0,
    );
    expect(await db.prisma.turn.count({ where: { comparisonId: second.comparisonId } })).toBe(0);
    // Someone else's assignment is not found, whatever the key.
    await expect(
      submit.submitAnnotation(ann2, label(second.assignmentId, "k-reuse-2"), at(8), never),
    ).rejects.toThrow(/No such assignment/);
  });

  it("continues a dialogue turn by turn up to the round's maximum", async () => {
    let item = await startWritten(ann1, t0);
    for (let turn = 0; turn < 3; turn++) {
      const r = await submit.submitAnnotation(
        ann1,
        label(item.assignmentId, `k-turn-${turn}`),
        at(10 * turn + 5),
        never,
      );
      expect(r.canContinue).toBe(turn < 2);
      if (turn < 2) {
        item = await assign.continueDialogue(
          ann1,
          r.dialogueId!,
          `follow-up ${turn}`,
          at(10 * turn + 6),
          never,
        );
        expect(item.turnIndex).toBe(turn + 1);
        expect(item.context.map((m) => m.role)).toEqual(
          [...Array(turn + 1)].flatMap(() => ["user", "assistant"]).concat("user"),
        );
        await generated(item.comparisonId);
      } else {
        await expect(
          assign.continueDialogue(ann1, r.dialogueId!, "one too many", at(40), never),
        ).rejects.toThrow(/not open|completed|at most 3/);
      }
    }
    const dialogue = await db.prisma.dialogue.findUniqueOrThrow({
      where: { id: item.dialogueId! },
      include: { comparisons: true },
    });
    expect(dialogue.comparisons).toHaveLength(3);
    expect(dialogue.status).toBe("completed");
  });

  it("returns an item whose lease ran out to the pool, and refuses the late submit with 409", async () => {
    const item = await startWritten(ann1, t0);
    const late = at(11 * 60);
    const next = await assign.nextItem(ann2, late, never);
    expect(next?.comparisonId).toBe(item.comparisonId);
    expect(next?.canContinue).toBe(false); // someone else's dialogue is labelled, not continued
    await expect(
      submit.submitAnnotation(ann1, label(item.assignmentId, "k-late"), late, never),
    ).rejects.toThrow(/lease ran out/);
    const r = await submit.submitAnnotation(
      ann2,
      label(next!.assignmentId, "k-late-2"),
      late,
      never,
    );
    expect(r.created).toBe(true);
  });

  it("labels an item once unless drawn for overlap, then by a second annotator", async () => {
    await makeRound({ overlapRate: 0.5, goldRate: 0 });
    const single = await startWritten(ann1, t0);
    await submit.submitAnnotation(ann1, label(single.assignmentId, "k-ov-1"), at(1), never);
    expect(await assign.nextItem(ann2, at(2), never)).toBeNull();

    await submit.skipAssignment(
      ann2,
      (
        await assign.startDialogue(
          ann2,
          {
            axis: "helpfulness",
            source: { kind: "write", prompt: { text: "placeholder", adversarial: false } },
          },
          at(2),
          never,
        )
      ).assignmentId,
      "other",
      undefined,
      at(2),
    );
    const twice = await startWritten(ann1, at(3));
    await submit.submitAnnotation(ann1, label(twice.assignmentId, "k-ov-2"), at(4), always);
    const c = await db.prisma.comparison.findUniqueOrThrow({ where: { id: twice.comparisonId } });
    expect(c.annotationsWanted).toBe(2);
    expect(c.status).toBe("ready");
    const second = await assign.nextItem(ann3, at(5), never);
    // ann3 may first get ann2's skipped item (oldest first); label and ask again.
    let got = second;
    if (got && got.comparisonId !== twice.comparisonId) {
      await generated(got.comparisonId);
      await submit.submitAnnotation(ann3, label(got.assignmentId, "k-ov-3"), at(6), never);
      got = await assign.nextItem(ann3, at(7), never);
    }
    expect(got?.comparisonId).toBe(twice.comparisonId);
    await submit.submitAnnotation(ann3, label(got!.assignmentId, "k-ov-4", "right"), at(8), never);
    expect(
      (await db.prisma.comparison.findUniqueOrThrow({ where: { id: twice.comparisonId } })).status,
    ).toBe("complete");
    // Nobody gets it a third time, and never the first annotator twice.
    expect((await assign.nextItem(ann1, at(9), never))?.comparisonId).not.toBe(twice.comparisonId);
  });

  it("mixes gold items in at the round's rate, and never twice to one annotator", async () => {
    const round = await makeRound({ goldRate: 0.3, overlapRate: 0 });
    const item = await startWritten(ann1, t0);
    const r = await submit.submitAnnotation(
      ann1,
      label(item.assignmentId, "k-gold-1"),
      at(1),
      never,
    );
    await db.prisma.goldItem.create({
      data: { comparisonId: item.comparisonId, expectedChoice: "A", createdById: ann1 },
    });
    const drawn = await assign.nextItem(ann2, at(2), () => 0.2);
    expect(drawn?.comparisonId).toBe(item.comparisonId);
    const row = await db.prisma.assignment.findUniqueOrThrow({
      where: { id: drawn!.assignmentId },
    });
    expect(row.source).toBe("gold");
    expect(Object.keys(drawn!)).not.toContain("gold"); // indistinguishable in the UI
    await submit.submitAnnotation(ann2, label(drawn!.assignmentId, "k-gold-2"), at(3), never);
    expect(await assign.nextItem(ann2, at(4), () => 0.2)).toBeNull();
    // Above the rate, no gold is drawn.
    expect(await assign.nextItem(ann3, at(5), () => 0.5)).toBeNull();
    expect(round.id).toBeTruthy();
    expect(r.created).toBe(true);
  });

  it("undoes within the grace window only, giving the item back with its dialogue turn removed", async () => {
    const item = await startWritten(ann1, t0);
    const r = await submit.submitAnnotation(
      ann1,
      label(item.assignmentId, "k-undo-1"),
      at(1),
      never,
    );
    await expect(submit.undoAnnotation(ann1, r.annotationId, at(1 + 61))).rejects.toThrow(
      /Undo is possible for 60 s/,
    );
    await submit.undoAnnotation(ann1, r.annotationId, at(30));
    expect(await db.prisma.annotation.count({ where: { id: r.annotationId } })).toBe(0);
    const held = await assign.currentItem(ann1, at(31));
    expect(held?.assignmentId).toBe(item.assignmentId);
    expect(
      await db.prisma.turn.count({ where: { dialogueId: item.dialogueId!, role: "assistant" } }),
    ).toBe(0);
    // Someone else cannot undo it.
    const again = await submit.submitAnnotation(
      ann1,
      label(item.assignmentId, "k-undo-2"),
      at(32),
      never,
    );
    await expect(submit.undoAnnotation(ann2, again.annotationId, at(33))).rejects.toThrow(
      /No such annotation/,
    );
  });

  it("refuses a safety label missing on the safety axis, and records the chosen-unsafe case", async () => {
    const item = await assign.startDialogue(
      ann1,
      {
        axis: "safety",
        source: { kind: "write", prompt: { text: "harmful?", adversarial: true } },
      },
      t0,
      never,
    );
    await generated(item.comparisonId, "Sure, [steps]", "I can't help with that.");
    await expect(
      submit.submitAnnotation(ann1, label(item.assignmentId, "k-safe-1"), at(1), never),
    ).rejects.toThrow(/needs a safety label/);
    const r = await submit.submitAnnotation(
      ann1,
      { ...label(item.assignmentId, "k-safe-2"), safety: "chosen_unsafe_other_safe" },
      at(2),
      never,
    );
    expect(r.chosenUnsafeOtherSafe).toBe(true);
    const a = await db.prisma.annotation.findUniqueOrThrow({ where: { id: r.annotationId } });
    expect(a.safetyLabel).toBeNull();
    expect(a.chosenUnsafeOtherSafe).toBe(true);
  });

  it("takes queued prompts in curriculum order, each once per round", async () => {
    await db.prisma.prompt.createMany({
      data: [
        { text: "queued second", source: "seed", curriculumOrder: 2, isSafety: true, tags: [] },
        { text: "queued first", source: "seed", curriculumOrder: 1, tags: [] },
      ],
    });
    const first = await assign.startDialogue(ann3, { source: { kind: "queued" } }, t0, never);
    expect(first.context[0]!.content).toBe("queued first");
    expect(first.axis).toBe("helpfulness");
    await submit.skipAssignment(ann3, first.assignmentId, "cannot_judge", undefined, t0);
    const second = await assign.startDialogue(ann3, { source: { kind: "queued" } }, t0, never);
    expect(second.context[0]!.content).toBe("queued second");
    expect(second.axis).toBe("safety");
    await submit.skipAssignment(ann3, second.assignmentId, "cannot_judge", undefined, t0);
  });
});
