// The train_reward job end to end against a real engine: the engine is killed mid-training, the
// attempt fails with a reason and is requeued, and the next attempt (on a restarted engine)
// trains both reward models and registers them with their Table 8.
import { describe, expect, it } from "vitest";
import { TEST_BACKEND } from "@/lib/testing/database";
import { engineSuite } from "@/lib/testing/engine";
import { createLabelledPairs } from "@/lib/testing/labels";
import { defaultRoundConfig } from "@/lib/shared/round-config";

const suite = engineSuite("train-reward", seed);

/** 48 labelled comparisons per axis: the chosen answer is right, the other is not. */
async function seed() {
  const user = await suite.db.prisma.user.create({
    data: { id: "u-tr", name: "tr", email: "tr@tr.test", role: "annotator" },
  });
  const round = await suite.db.prisma.round.create({
    data: { number: 1, name: "r", status: "collecting", config: defaultRoundConfig() },
  });
  await createLabelledPairs(suite.db.prisma, {
    roundId: round.id,
    annotatorId: user.id,
    count: 96,
    keyPrefix: "tr",
  });
}

describe(`train_reward job on ${TEST_BACKEND}`, () => {
  it(
    "survives the engine being killed mid-training, then trains and registers both models",
    { timeout: 300_000 },
    async () => {
      const t = await import("@/lib/server/jobs/transitions");
      const { runOne } = await import("./runner");
      const { trainReward } = await import("./handlers/train-reward");
      const job = await t.enqueueJob(
        {
          kind: "train_reward",
          config: { epochs: 20, learningRate: 1e-3, batchSize: 8, testFraction: 0.25, seed: 1 },
        },
        { maxAttempts: 3 },
      );
      const log: string[] = [];
      const first = (await t.claimNextJob("w-test", new Date()))!;
      const running = runOne(first, "w-test", { train_reward: trainReward }, (l) => log.push(l));
      // Wait until the engine is training, then kill it.
      for (let i = 0; i < 600; i++) {
        const row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
        if (row.progress > 0.02 && /training/.test(row.phase ?? "")) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await suite.engine.stop("SIGKILL");
      await running;
      let row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(row.state).toBe("queued");
      expect(row.error).toMatch(/attempt 1 failed: .*(engine|reach|connect|fetch)/i);

      await suite.engine.start();
      const second = (await t.claimNextJob("w-test", new Date()))!;
      expect(second.id).toBe(job.id);
      // Shorter second attempt: the point is that it starts again and finishes.
      await runOne(second, "w-test", { train_reward: trainReward }, (l) => log.push(l));
      row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(row.state, log.join("\n")).toBe("succeeded");
      expect(row.attempts).toBe(2);
      const models = await suite.db.prisma.modelVersion.findMany({
        where: { kind: { in: ["reward_helpfulness", "reward_safety"] } },
      });
      expect(models.map((m) => m.kind).sort()).toEqual(["reward_helpfulness", "reward_safety"]);
      for (const m of models) {
        const metrics = m.metrics as {
          table8: Record<string, { average: { accuracy: number; n: number } }>;
        };
        expect(
          metrics.table8.helpfulness?.average.n ?? metrics.table8.safety?.average.n,
        ).toBeGreaterThan(0);
        expect(m.parentId).toBeTruthy();
      }
    },
  );
});
