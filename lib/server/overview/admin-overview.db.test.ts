// The admin overview reads the round under way with the lifecycle's own blocker, active and
// failed jobs, the newest models with their Table 8 average, and flagged annotators.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { createLabel } from "@/lib/testing/labels";

let db: TTestDatabase;
let overview: typeof import("./admin-overview");
let rounds: typeof import("@/lib/server/rounds/transitions");

beforeAll(async () => {
  db = await withTestDatabase();
  overview = await import("./admin-overview");
  rounds = await import("@/lib/server/rounds/transitions");
});
afterAll(async () => {
  await db?.close();
});

describe(`admin overview on ${TEST_BACKEND}`, () => {
  it("shows the collecting round, what blocks it, jobs, models and who needs attention", async () => {
    const now = new Date();
    expect((await overview.adminOverview(now)).round).toBeNull();

    const round = await rounds.createRound("Overview round");
    await rounds.advanceRound(round.id, now);
    const user = await db.prisma.user.create({
      data: { id: "u-ov", name: "ov", email: "ov@ov.test", role: "annotator" },
    });
    const prompt = await db.prisma.prompt.create({
      data: { text: "p-ov", source: "seed", tags: [] },
    });
    // 12 labels, every one on the left-displayed side: a position bias beyond chance.
    for (let i = 0; i < 12; i++)
      await createLabel(db.prisma, {
        roundId: round.id,
        promptId: prompt.id,
        annotatorId: user.id,
        axis: "helpfulness",
        key: `ov-${i}`,
        choice: "A",
        swapped: false,
      });
    await db.prisma.job.create({
      data: { kind: "sft", state: "running", config: {}, progress: 0.25, phase: "training" },
    });
    await db.prisma.job.create({
      data: { kind: "ppo", state: "failed", config: {}, error: "engine gone", finishedAt: now },
    });
    await db.prisma.job.create({
      data: { kind: "ppo", state: "succeeded", config: {}, finishedAt: now },
    });
    await db.prisma.modelVersion.create({
      data: {
        name: "rm-h",
        kind: "reward_helpfulness",
        artifactPath: "x",
        roundId: round.id,
        metrics: { table8: { helpfulness: { average: { accuracy: 0.625, n: 8 } } } },
      },
    });

    const got = await overview.adminOverview(now);
    expect(got.round).toMatchObject({
      id: round.id,
      status: "collecting",
      next: "training_rewards",
    });
    expect(got.round?.progress.find((p) => p.axis === "helpfulness")?.counted).toBe(12);
    // The lifecycle's own reason: safety has nothing yet.
    expect(got.round?.blocker).toMatch(/safety has 0/);
    expect(got.jobs.map((j) => j.state)).toEqual(["running", "failed"]);
    expect(got.jobs[0]?.progress).toBe(0.25);
    expect(got.models[0]).toMatchObject({
      name: "rm-h",
      table8: { helpfulness: { accuracy: 0.625, n: 8 } },
    });
    expect(got.attention).toEqual([
      expect.objectContaining({ email: "ov@ov.test", biased: true, lowGold: false }),
    ]);
  });
});
