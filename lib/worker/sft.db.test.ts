// The sft job end to end against a real engine: the training file holds the approved
// demonstrations only (a reviewer's edit in place of the annotator's text), the engine fine-tunes
// the loaded policy on them, and the result is registered as a policy version `policy-r1-sft`
// whose parent is the base policy, with its loss curve on the job.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TEST_BACKEND } from "@/lib/testing/database";
import { engineSuite } from "@/lib/testing/engine";
import { defaultRoundConfig } from "@/lib/shared/round-config";

let roundId = "";

const suite = engineSuite("sft", seed);

async function seed() {
  const user = await suite.db.prisma.user.create({
    data: { id: "u-sft", name: "sft", email: "sft@sft.test", role: "annotator" },
  });
  const round = await suite.db.prisma.round.create({
    data: { number: 1, name: "r", status: "collecting", config: defaultRoundConfig() },
  });
  roundId = round.id;
  const prompt = await suite.db.prisma.prompt.create({
    data: { text: "seed", source: "seed", tags: [] },
  });
  const demo = (i: number, q: string, a: string, extra: object = {}) =>
    suite.db.prisma.demonstration.create({
      data: {
        roundId: round.id,
        promptId: prompt.id,
        annotatorId: user.id,
        axis: "helpfulness",
        messages: [
          { role: "user", content: q },
          { role: "assistant", content: a },
        ],
        status: "approved",
        reviewedAt: new Date(),
        contentHash: `hash-${i}`,
        idempotencyKey: `key-${i}`,
        timeSpentMs: 1000,
        ...extra,
      },
    });
  for (let i = 0; i < 32; i++) await demo(i, `What is ${i} + 1?`, `The answer is ${i + 1}.`);
  await demo(100, "Rejected question one?", "REJECTED-TEXT should never be trained on.", {
    status: "rejected",
    reason: "wrong",
  });
  await demo(101, "Pending question two?", "PENDING-TEXT is not reviewed yet.", {
    status: "pending",
    reviewedAt: null,
  });
  await demo(102, "What is 40 + 2?", "ORIGINAL-TEXT forty three.", {
    editedMessages: [
      { role: "user", content: "What is 40 + 2?" },
      { role: "assistant", content: "The answer is 42." },
    ],
  });
}

describe(`sft job on ${TEST_BACKEND}`, () => {
  it("fails at once, with the reason, when no demonstration is approved", async () => {
    const t = await import("@/lib/server/jobs/transitions");
    const { runOne } = await import("./runner");
    const { sft } = await import("./handlers/sft");
    const job = await t.enqueueJob({ kind: "sft", config: { roundIds: ["no-such-round"] } });
    const claimed = (await t.claimNextJob("w-sft", new Date()))!;
    await runOne(claimed, "w-sft", { sft }, () => {});
    const row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.state).toBe("failed");
    expect(row.attempts).toBe(1);
    expect(row.error).toMatch(/no approved demonstrations/);
  });

  it(
    "fine-tunes on the approved demonstrations and registers a policy with its parent",
    { timeout: 300_000 },
    async () => {
      const t = await import("@/lib/server/jobs/transitions");
      const { runOne } = await import("./runner");
      const { sft } = await import("./handlers/sft");
      const job = await t.enqueueJob(
        { kind: "sft", config: { epochs: 2, learningRate: 1e-3, batchSize: 8, seed: 1 } },
        { roundId },
      );
      const log: string[] = [];
      const claimed = (await t.claimNextJob("w-sft", new Date()))!;
      await runOne(claimed, "w-sft", { sft }, (l) => log.push(l));
      const row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(row.state, `${row.error}\n${log.join("\n")}`).toBe("succeeded");

      const lines = readFileSync(
        path.join(suite.engine.dataDir, "jobs", job.id, "sft-train.jsonl"),
        "utf8",
      )
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { messages: { role: string; content: string }[] });
      expect(lines).toHaveLength(33);
      const text = JSON.stringify(lines);
      expect(text).not.toMatch(/REJECTED-TEXT|PENDING-TEXT|ORIGINAL-TEXT/);
      expect(text).toContain("The answer is 42.");

      const result = row.result as { modelVersionId: string; examples: number; finalLoss: number };
      expect(result.examples).toBe(33);
      const model = await suite.db.prisma.modelVersion.findUniqueOrThrow({
        where: { id: result.modelVersionId },
        include: { parent: true },
      });
      expect(model.name).toBe("policy-r1-sft");
      expect(model.kind).toBe("policy");
      expect(model.roundId).toBe(roundId);
      expect(model.parent?.kind).toBe("policy");
      expect(existsSync(path.join(model.artifactPath, "tokenizer.model"))).toBe(true);
      const curve = (row.metrics as { loss_curve: [number, number][] }).loss_curve;
      expect(curve.length).toBeGreaterThan(1);
      expect(curve.at(-1)![1]).toBeLessThan(curve[0]![1]);
    },
  );
});
