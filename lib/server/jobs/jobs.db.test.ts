// The job state machine and runner against a real database: claim under a lease, heartbeats,
// retries with bounded attempts, the reaper for dead workers, and cancelling.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";

let db: TTestDatabase;
let t: typeof import("./transitions");
let runner: typeof import("@/lib/worker/runner");
const t0 = new Date("2026-11-27T10:00:00Z");
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const spec = { kind: "train_reward" as const, config: { axes: ["helpfulness" as const] } };

beforeAll(async () => {
  db = await withTestDatabase();
  t = await import("./transitions");
  runner = await import("@/lib/worker/runner");
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await db.prisma.job.deleteMany({});
});

describe(`jobs on ${TEST_BACKEND}`, () => {
  it("validates the config per kind and fills defaults", async () => {
    const job = await t.enqueueJob(spec);
    expect(t.jobSpec(job)).toMatchObject({
      kind: "train_reward",
      config: { margins: "small", epochs: 1, learningRate: 1e-5 },
    });
    await expect(
      t.enqueueJob({ kind: "train_reward", config: { epochs: 0 } } as never),
    ).rejects.toThrow(/epochs|>=1|too small/i);
  });

  it("hands a queued job to exactly one of two workers at once", async () => {
    await t.enqueueJob(spec);
    const [a, b] = await Promise.all([t.claimNextJob("w1", t0), t.claimNextJob("w2", t0)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const job = (a ?? b)!;
    expect(job.state).toBe("running");
    expect(job.attempts).toBe(1);
    expect(job.leaseExpiresAt!.getTime()).toBe(t0.getTime() + t.LEASE_MS);
  });

  it("requeues a job whose worker died, and fails it with the reason after the last attempt", async () => {
    const job = await t.enqueueJob(spec, { maxAttempts: 2 });
    await t.claimNextJob("w1", t0);
    expect(await t.reapExpiredLeases(at(10))).toEqual({ requeued: 0, failed: 0 });
    expect(await t.reapExpiredLeases(at(31))).toEqual({ requeued: 1, failed: 0 });
    let row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.state).toBe("queued");
    expect(row.error).toMatch(/attempt 1 lost: the worker stopped renewing its lease/);
    await t.claimNextJob("w2", at(32));
    // A heartbeat keeps it alive past the first lease…
    expect(await t.heartbeat(job.id, "w2", at(50), { progress: 0.5, phase: "training" })).toEqual({
      held: true,
      cancel: false,
    });
    expect(await t.reapExpiredLeases(at(70))).toEqual({ requeued: 0, failed: 0 });
    // …until it stops.
    expect(await t.reapExpiredLeases(at(81))).toEqual({ requeued: 0, failed: 1 });
    row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.state).toBe("failed");
    expect(row.error).toMatch(/gave up after 2 attempts/);
    // The dead worker's late heartbeat is refused.
    expect((await t.heartbeat(job.id, "w2", at(90))).held).toBe(false);
  });

  it("retries a failed attempt while attempts remain, but not a permanent failure", async () => {
    const job = await t.enqueueJob(spec, { maxAttempts: 3 });
    await t.claimNextJob("w1", t0);
    expect(await t.failAttempt(job.id, "w1", at(1), "engine unreachable", true)).toBe("queued");
    await t.claimNextJob("w1", at(2));
    expect(await t.failAttempt(job.id, "w1", at(3), "no training pairs", false)).toBe("failed");
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.error).toBe("no training pairs");
    expect(row.attempts).toBe(2);
  });

  it("cancels a queued job at once and a running one through its worker", async () => {
    const queued = await t.enqueueJob(spec);
    await t.requestCancel(queued.id, t0);
    expect((await db.prisma.job.findUniqueOrThrow({ where: { id: queued.id } })).state).toBe(
      "cancelled",
    );
    await expect(t.requestCancel(queued.id, t0)).rejects.toThrow(/already was cancelled/);

    const running = await t.enqueueJob(spec);
    const job = (await t.claimNextJob("w1", t0))!;
    expect(job.id).toBe(running.id);
    await t.requestCancel(running.id, at(1));
    expect(await t.heartbeat(running.id, "w1", at(2))).toEqual({ held: true, cancel: true });
  });

  it("runs a handler to success, records progress, and turns a thrown error into a retry", async () => {
    const job = await t.enqueueJob(spec, { maxAttempts: 2 });
    let calls = 0;
    const handlers = {
      train_reward: async (_job: unknown, ctx: import("@/lib/worker/runner").TJobContext) => {
        calls += 1;
        await ctx.report({ progress: 0.5, phase: "halfway", metrics: { loss: 0.7 } });
        if (calls === 1) throw new Error("the engine went away");
        return { ok: true };
      },
    };
    const log: string[] = [];
    for (let i = 0; i < 2; i++) {
      const claimed = (await t.claimNextJob("w1", new Date()))!;
      await runner.runOne(claimed, "w1", handlers, (l) => log.push(l));
    }
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.state).toBe("succeeded");
    expect(row.attempts).toBe(2);
    expect(row.progress).toBe(1);
    expect(row.result).toEqual({ ok: true });
    expect(log.join("\n")).toMatch(/attempt failed \(the engine went away\); now queued/);
  });

  it("stops a handler when the job is cancelled mid-run and records it cancelled", async () => {
    const job = await t.enqueueJob(spec);
    const claimed = (await t.claimNextJob("w1", new Date()))!;
    await runner.runOne(
      claimed,
      "w1",
      {
        train_reward: async (_j, ctx) => {
          await t.requestCancel(job.id, new Date());
          await ctx.report({ progress: 0.1 });
          return { unreachable: true };
        },
      },
      () => {},
    );
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.state).toBe("cancelled");
    expect(row.result).toBeNull();
  });
});
