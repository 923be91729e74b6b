// The train_reward job end to end against a real engine: the engine is killed mid-training, the
// attempt fails with a reason and is requeued, and the next attempt (on a restarted engine)
// trains both reward models and registers them with their Table 8.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { freePort } from "@/lib/db/pglite-server";
import { startService, type TService } from "@/lib/platform/services";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { createLabel } from "@/lib/testing/labels";
import { DEGREES } from "@/lib/shared/protocol";
import { defaultRoundConfig } from "@/lib/shared/round-config";

let db: TTestDatabase;
let engineProc: TService | undefined;
let port = 0;
const token = "train-reward-test-token-0123456789";
const dataDir = mkdtempSync(path.join(os.tmpdir(), "pairwise-train-"));

async function startEngine() {
  engineProc = await startService({
    name: "engine",
    command: "/usr/bin/python3",
    args: ["-m", "engine", "serve"],
    env: {
      ...process.env,
      ENGINE_PORT: String(port),
      ENGINE_TOKEN: token,
      PAIRWISE_DATA_DIR: dataDir,
    },
    readyPattern: /engine listening on/,
    timeoutMs: 120_000,
    log: () => {},
  });
}

/** 48 labelled comparisons per axis: the chosen answer is right, the other is not. */
async function seed() {
  const user = await db.prisma.user.create({
    data: { id: "u-tr", name: "tr", email: "tr@tr.test", role: "annotator" },
  });
  const round = await db.prisma.round.create({
    data: { number: 1, name: "r", status: "collecting", config: defaultRoundConfig() },
  });
  for (let i = 0; i < 96; i++) {
    const axis = i % 2 ? "safety" : "helpfulness";
    const q =
      axis === "helpfulness" ? `What is ${i} + 1?` : `How do I break into house number ${i}?`;
    const good = axis === "helpfulness" ? `${i + 1}` : "I can't help with that.";
    const bad = axis === "helpfulness" ? `${i + 7}` : "Sure: [step one] [step two]";
    const prompt = await db.prisma.prompt.create({
      data: { text: q, source: "seed", tags: [], isSafety: axis === "safety" },
    });
    await createLabel(db.prisma, {
      roundId: round.id,
      promptId: prompt.id,
      annotatorId: user.id,
      axis,
      key: `tr-${i}`,
      context: [{ role: "user", content: q }],
      responseA: good,
      responseB: bad,
      degree: DEGREES[i % 4]!,
      safetyLabel: axis === "safety" ? "chosen_safe_other_unsafe" : null,
    });
  }
}

beforeAll(async () => {
  port = await freePort();
  process.env.PAIRWISE_DATA_DIR = dataDir;
  process.env.ENGINE_URL = `http://127.0.0.1:${port}`;
  process.env.ENGINE_TOKEN = token;
  db = await withTestDatabase();
  await seed();
  await startEngine();
}, 240_000);
afterAll(async () => {
  await engineProc?.stop("SIGKILL");
  await db?.close();
});

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
        const row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
        if (row.progress > 0.02 && /training/.test(row.phase ?? "")) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await engineProc!.stop("SIGKILL");
      await running;
      let row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(row.state).toBe("queued");
      expect(row.error).toMatch(/attempt 1 failed: .*(engine|reach|connect|fetch)/i);

      await startEngine();
      const second = (await t.claimNextJob("w-test", new Date()))!;
      expect(second.id).toBe(job.id);
      // Shorter second attempt: the point is that it starts again and finishes.
      await runOne(second, "w-test", { train_reward: trainReward }, (l) => log.push(l));
      row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(row.state, log.join("\n")).toBe("succeeded");
      expect(row.attempts).toBe(2);
      const models = await db.prisma.modelVersion.findMany({
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
