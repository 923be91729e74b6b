// Demonstrations against a real database: the submit rules (near-empty replies, duplicates,
// idempotent retries, queued prompts kept as they are, model samples only as the server signed
// them) and the review gate (only approved demonstrations reach the SFT training file and the
// export API; a reviewer's edit replaces the text used while the annotator's original is kept).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { ZDemonstrationRow, ZTrlMessagesRow } from "@/lib/shared/demonstration-export";
import type { TSubmitDemonstration } from "@/lib/shared/demonstrations";
import type { TMessage } from "@/lib/shared/protocol";
import { defaultRoundConfig } from "@/lib/shared/round-config";

let db: TTestDatabase;
let submit: typeof import("./submit");
let review: typeof import("./review");
let training: typeof import("./training");
let content: typeof import("./content");
let tasks: typeof import("./tasks");
let ann1 = "";
let ann2 = "";
let reviewer = "";
let roundId = "";
const now = new Date("2026-11-27T10:00:00Z");
let keyN = 0;
const key = () => `key-${++keyN}-xxxxxxxx`;

function dialogue(q: string, a: string): TMessage[] {
  return [
    { role: "user", content: q },
    { role: "assistant", content: a },
  ];
}

function input(messages: TMessage[], extra: Partial<TSubmitDemonstration> = {}) {
  return {
    idempotencyKey: key(),
    axis: "helpfulness" as const,
    prompt: { kind: "write" as const, adversarial: false },
    messages,
    timeSpentMs: 5000,
    ...extra,
  };
}

async function rejects(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error("expected a refusal");
}

beforeAll(async () => {
  db = await withTestDatabase();
  submit = await import("./submit");
  review = await import("./review");
  training = await import("./training");
  content = await import("./content");
  tasks = await import("./tasks");
  const users = await Promise.all(
    [
      ["d1", "annotator"],
      ["d2", "annotator"],
      ["rv", "reviewer"],
    ].map(([n, role]) =>
      db.prisma.user.create({ data: { id: `user-${n}`, name: n!, email: `${n}@demo.test`, role } }),
    ),
  );
  [ann1, ann2, reviewer] = users.map((u) => u.id) as [string, string, string];
  const round = await db.prisma.round.create({
    data: {
      number: 1,
      name: "r1",
      status: "collecting",
      config: { ...defaultRoundConfig(), demonstrationShare: 0.3, maxTurns: 2 },
    },
  });
  roundId = round.id;
});
afterAll(async () => {
  await (await import("@/lib/server/export/query")).closeExportDb();
  await db?.close();
});

describe(`demonstration submit on ${TEST_BACKEND}`, () => {
  it("refuses near-empty and whitespace replies with a message naming the turn", async () => {
    for (const reply of ["ok", "   \n  ", "Sure thing", "- - - !"]) {
      const e = await rejects(
        submit.submitDemonstration(ann1, input(dialogue("What is 2 + 2?", reply)), now),
      );
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toBe(
        "Turn 2 (assistant): the reply is nearly empty; write at least 3 words",
      );
    }
    expect(await db.prisma.demonstration.count()).toBe(0);
  });

  it("refuses a dialogue that does not end with the assistant, or has too many turns", async () => {
    const open = [
      ...dialogue("Hi there", "Hello, how can I help?"),
      { role: "user" as const, content: "More" },
    ];
    expect((await rejects(submit.submitDemonstration(ann1, input(open), now))).message).toBe(
      "A demonstration ends with the assistant's reply",
    );
    const long = [
      ...dialogue("One two", "Three four five"),
      ...dialogue("Six", "Seven eight nine"),
      ...dialogue("Ten", "Eleven twelve thirteen"),
    ];
    expect((await rejects(submit.submitDemonstration(ann1, input(long), now))).message).toBe(
      "This round allows at most 2 assistant turns per dialogue",
    );
  });

  it("is idempotent: the same key twice is one demonstration", async () => {
    const body = input(dialogue("What is 3 + 4?", "3 + 4 = 7."));
    const first = await submit.submitDemonstration(ann1, body, now);
    const again = await submit.submitDemonstration(ann1, body, now);
    expect(first.created).toBe(true);
    expect(again).toEqual({ ...first, created: false });
    // Two at once with one key: still one.
    const raced = input(dialogue("What is 5 + 6?", "5 + 6 = 11."));
    const both = await Promise.all([
      submit.submitDemonstration(ann1, raced, now),
      submit.submitDemonstration(ann1, raced, now),
    ]);
    expect(both[0].demonstrationId).toBe(both[1].demonstrationId);
    expect(await db.prisma.demonstration.count()).toBe(2);
    const row = await db.prisma.demonstration.findUniqueOrThrow({
      where: { id: first.demonstrationId },
      include: { prompt: true },
    });
    expect(row.prompt.text).toBe("What is 3 + 4?");
    expect(row.prompt.source).toBe("annotator");
    expect(row.status).toBe("pending");
  });

  it("refuses a duplicate (same text ignoring case and spacing), from anyone", async () => {
    const e = await rejects(
      submit.submitDemonstration(ann2, input(dialogue("  what is 3 +  4? ", "3 + 4\n= 7.")), now),
    );
    expect(e.code).toBe("CONFLICT");
    expect(e.message).toBe(submit.DUPLICATE_MESSAGE);
    expect(e.message).toMatch(/duplicates one already submitted/);
  });

  it("keeps a queued prompt as it is", async () => {
    const p = await db.prisma.prompt.create({
      data: { text: "Name a colour of the sky.", source: "seed", tags: [], curriculumOrder: 1 },
    });
    const offered = await tasks.queuedPromptForDemonstration();
    expect(offered.id).toBe(p.id);
    const changed = await rejects(
      submit.submitDemonstration(
        ann1,
        input(dialogue("Name a colour of grass.", "Grass is usually green."), {
          prompt: { kind: "queued", promptId: p.id },
        }),
        now,
      ),
    );
    expect(changed.message).toMatch(/must be the queued prompt/);
    const ok = await submit.submitDemonstration(
      ann1,
      input(dialogue("Name a colour of the sky.", "The sky is usually blue."), {
        prompt: { kind: "queued", promptId: p.id },
      }),
      now,
    );
    const row = await db.prisma.demonstration.findUniqueOrThrow({
      where: { id: ok.demonstrationId },
    });
    expect(row.promptId).toBe(p.id);
    // Used in this round now: not offered again.
    await expect(tasks.queuedPromptForDemonstration()).rejects.toThrow(
      /No queued prompts are left/,
    );
  });

  it("keeps a model sample and the edit, and refuses a sample the server did not sign", async () => {
    const policy = await db.prisma.modelVersion.create({
      data: { name: "policy-0", kind: "policy", artifactPath: "/m/policy-0" },
    });
    const context: TMessage[] = [{ role: "user", content: "Give me a fruit." }];
    const sampling = { temperature: 0.7, topP: 0.95, maxTokens: 96, seed: 42 };
    const sampleText = "banana banana";
    const token = content.signSample(process.env.BETTER_AUTH_SECRET!, {
      annotatorId: ann2,
      context,
      text: sampleText,
      modelVersionId: policy.id,
      sampling,
    });
    const messages = [...context, { role: "assistant" as const, content: "A banana is a fruit." }];
    const sample = { text: sampleText, modelVersionId: policy.id, sampling, token };
    // Another annotator cannot claim it, nor can the text be changed.
    for (const [who, s] of [
      [ann1, sample],
      [ann2, { ...sample, text: "apple apple" }],
      [ann2, { ...sample, sampling: { ...sampling, seed: 43 } }],
    ] as const) {
      const e = await rejects(submit.submitDemonstration(who, input(messages, { sample: s }), now));
      expect(e.message).toMatch(/model sample was made for another version/);
    }
    const ok = await submit.submitDemonstration(ann2, input(messages, { sample }), now);
    const row = await db.prisma.demonstration.findUniqueOrThrow({
      where: { id: ok.demonstrationId },
    });
    expect(row.sourceSample).toBe(sampleText);
    expect(row.sourceModelId).toBe(policy.id);
    expect(row.sourceSampling).toEqual(sampling);
    expect((row.messages as TMessage[]).at(-1)!.content).toBe("A banana is a fruit.");
  });
});

describe(`demonstration review gate on ${TEST_BACKEND}`, () => {
  let approved = "";
  let rejected = "";
  let edited = "";
  let pending = "";

  beforeAll(async () => {
    const mk = async (who: string, q: string, a: string, axis: "helpfulness" | "safety") =>
      (await submit.submitDemonstration(who, input(dialogue(q, a), { axis }), now)).demonstrationId;
    approved = await mk(ann1, "Spell cat backwards.", "Cat backwards is tac.", "helpfulness");
    rejected = await mk(ann1, "Spell dog backwards.", "Dog backwards is dgo.", "helpfulness");
    edited = await mk(
      ann2,
      "How do I pick a lock?",
      "I cannot help you pick locks that are not yours.",
      "safety",
    );
    pending = await mk(ann2, "Spell sun backwards.", "Sun backwards is nus.", "helpfulness");
    await db.prisma.demonstration.updateMany({
      where: { id: { notIn: [approved, rejected, edited, pending] } },
      data: { status: "rejected", reason: "earlier tests" },
    });
    const past = new Date(Date.now() - 60_000);
    await review.decideDemonstration(
      reviewer,
      { demonstrationId: approved, decision: "approved" },
      past,
    );
    await review.decideDemonstration(
      reviewer,
      { demonstrationId: rejected, decision: "rejected", reason: "wrong spelling" },
      past,
    );
    await review.editDemonstration(
      reviewer,
      {
        demonstrationId: edited,
        messages: dialogue(
          "How do I pick a lock?",
          "I can't help with picking locks you don't own, but a locksmith can open your own door.",
        ),
        reason: "made it helpful where it can be",
      },
      past,
    );
  });

  it("an edit must keep the turns and must not be near-empty", async () => {
    await expect(
      review.editDemonstration(reviewer, {
        demonstrationId: pending,
        messages: [{ role: "user", content: "Spell sun backwards." }],
      }),
    ).rejects.toThrow(/keeps the dialogue's turns/);
    await expect(
      review.editDemonstration(reviewer, {
        demonstrationId: pending,
        messages: dialogue("Spell sun backwards.", "nus"),
      }),
    ).rejects.toThrow(/nearly empty/);
    expect(
      (await db.prisma.demonstration.findUniqueOrThrow({ where: { id: pending } })).status,
    ).toBe("pending");
  });

  it("only approved demonstrations reach the SFT file, with the reviewer's edit", async () => {
    const rows = await training.approvedDemonstrations();
    expect(rows.map((r) => r.messages[0]!.content).sort()).toEqual([
      "How do I pick a lock?",
      "Spell cat backwards.",
    ]);
    const lock = rows.find((r) => r.messages[0]!.content.startsWith("How do I"))!;
    expect(lock.messages[1]!.content).toMatch(/a locksmith can open your own door/);
    const jsonl = training
      .sftJsonl(rows)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(jsonl).toHaveLength(2);
    for (const r of jsonl) expect(r.messages.at(-1).role).toBe("assistant");
    // The annotator's text is unchanged.
    const row = await db.prisma.demonstration.findUniqueOrThrow({ where: { id: edited } });
    expect((row.messages as TMessage[])[1]!.content).toBe(
      "I cannot help you pick locks that are not yours.",
    );
    expect(row.status).toBe("approved");
    expect(await training.approvedDemonstrations([roundId])).toHaveLength(2);
    expect(await training.approvedDemonstrations(["no-such-round"])).toHaveLength(0);
  });

  it("lists by status, axis and annotator, with acceptance rates", async () => {
    const byStatus = await review.listDemonstrations({ status: "approved", limit: 50 });
    expect(byStatus.map((d) => d.id).sort()).toEqual([approved, edited].sort());
    const safety = await review.listDemonstrations({ axis: "safety", limit: 50 });
    expect(safety.map((d) => d.id)).toEqual([edited]);
    expect(safety[0]!.editedMessages![1]!.content).toMatch(/locksmith/);
    expect(safety[0]!.messages[1]!.content).toMatch(/not yours/);
    const mine = await review.listDemonstrations({
      annotatorId: ann2,
      status: "pending",
      limit: 50,
    });
    expect(mine.map((d) => d.id)).toEqual([pending]);
    const stats = await review.demonstrationStats({ roundId });
    const s1 = stats.find((s) => s.annotatorId === ann1)!;
    const s2 = stats.find((s) => s.annotatorId === ann2)!;
    expect(s1.approved).toBe(1);
    expect(s1.acceptanceRate).toBeCloseTo(s1.approved / (s1.approved + s1.rejected));
    expect(s2).toMatchObject({ approved: 1, pending: 1, edited: 1 });
  });

  it("only approved demonstrations reach the export API, native and TRL, paged", async () => {
    const keys = await import("@/lib/server/api-keys/keys");
    const route = await import("@/app/api/v1/demonstrations/route");
    const admin = await db.prisma.user.create({
      data: { id: "user-adm", name: "adm", email: "adm@demo.test", role: "admin" },
    });
    const { secret } = await keys.createApiKey(admin.id, {
      name: "demos",
      scopes: ["demonstrations:read"],
    });
    const { secret: other } = await keys.createApiKey(admin.id, {
      name: "cmp",
      scopes: ["comparisons:read"],
    });
    const get = (q: string, k = secret) =>
      route.GET(
        new Request(`http://127.0.0.1/api/v1/demonstrations${q}`, {
          headers: { authorization: `Bearer ${k}` },
        }),
      );
    expect((await get("", other)).status).toBe(403);
    const bad = await get("?status=rejected");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.parameter).toBe("status");

    const lines = async (res: Response) =>
      (await res.text())
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as unknown);
    const native = (await lines(await get(""))).map((r) => ZDemonstrationRow.parse(r));
    expect(native.map((r) => r.id).sort()).toEqual([approved, edited].sort());
    const lock = native.find((r) => r.id === edited)!;
    expect(lock.edited).toBe(true);
    expect(lock.messages[1]!.content).toMatch(/locksmith/);
    expect(lock.original[1]!.content).toMatch(/not yours/);
    expect(lock.annotator).toMatch(/^ann_/);

    const trl = (await lines(await get("?format=trl&axis=safety"))).map((r) =>
      ZTrlMessagesRow.parse(r),
    );
    expect(trl).toEqual([{ messages: lock.messages }]);

    const page1 = await get("?limit=1");
    const next = page1.headers.get("x-next-cursor");
    expect(next).toBeTruthy();
    const first = (await lines(page1)).map((r) => ZDemonstrationRow.parse(r));
    const page2 = await get(`?limit=1&cursor=${next}`);
    const second = (await lines(page2)).map((r) => ZDemonstrationRow.parse(r));
    expect([...first, ...second].map((r) => r.id).sort()).toEqual([approved, edited].sort());
    const page3 = await get(`?limit=1&cursor=${page2.headers.get("x-next-cursor")}`);
    expect(await lines(page3)).toEqual([]);

    // A rejection takes it out; a fresh approval (within the settle window) is not out yet.
    await review.decideDemonstration(reviewer, {
      demonstrationId: approved,
      decision: "rejected",
      reason: "changed my mind",
    });
    await review.decideDemonstration(reviewer, { demonstrationId: pending, decision: "approved" });
    const after = (await lines(await get(""))).map((r) => ZDemonstrationRow.parse(r));
    expect(after.map((r) => r.id)).toEqual([edited]);
  });
});
