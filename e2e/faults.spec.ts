// Faults: a platform of its own (lib/testing/platform.ts: database, engine, worker and web as
// separate processes on their own ports and data folder), whose processes are killed with
// SIGKILL in the middle of work and started again:
//   1. the web while annotators' submits are in flight, and while a pair is being sampled;
//   2. the engine while a pair is being sampled, and while a reward model is training;
//   3. the worker while a reward model is training.
// Afterwards: every submit a client sent is stored exactly once (each client's log reconciled
// with the database, retries with the same idempotency key), the interrupted comparisons were
// failed with a reason and then sampled again, every job ended succeeded or failed with a reason
// (none left running: the lease reaper), and annotating goes on.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createPrisma } from "@/lib/db";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { DEGREES } from "@/lib/shared/protocol";
import { createLabel } from "@/lib/testing/labels";
import { startPlatform, waitFor, type TPlatform } from "@/lib/testing/platform";
import { platformClient, signIn, type TPlatformClient } from "../scripts/bench/http-client";

const PORT = Number(process.env.FAULTS_PORT || 3150);
const admin = { email: "admin@faults.test", password: "faults-admin-password" };

type TLogEntry = {
  key: string;
  assignmentId: string;
  outcome: "acked" | "unanswered";
  annotationId?: string;
};
type TAnnotator = { email: string; cookie: string; client: TPlatformClient; log: TLogEntry[] };

let platform: TPlatform;
let prisma: PrismaClient;
let dataDir: string;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  dataDir = mkdtempSync(path.join(os.tmpdir(), "pairwise-faults-"));
  platform = await startPlatform({
    dataDir,
    webPort: PORT,
    env: { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password },
  });
  prisma = createPrisma(platform.databaseUrl);
});

test.afterAll(async () => {
  await prisma?.$disconnect();
  await platform?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Submits with a fixed key, retrying (same key) until the web answers: what a browser tab does. */
async function submit(a: TAnnotator, entry: TLogEntry, axis: string, retry: boolean) {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await a.client.annotation.submit.mutate({
        assignmentId: entry.assignmentId,
        idempotencyKey: entry.key,
        chosenSide: "left",
        degree: "better",
        safety: axis === "safety" ? "both_safe" : undefined,
        flags: [],
        timeSpentMs: 1500,
      });
      entry.outcome = "acked";
      entry.annotationId = r.annotationId;
      return;
    } catch (error) {
      const status = (error as { data?: { httpStatus?: number } }).data?.httpStatus;
      if (status !== undefined && status < 500) throw error; // a refusal is a bug here
      if (!retry || attempt >= 60) return; // stays "unanswered"
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Reads a comparison's pair stream; `onDelta` fires at the first delta (to kill something then). */
async function readPair(a: TAnnotator, comparisonId: string, onDelta?: () => Promise<void>) {
  const res = await fetch(`${platform.baseUrl}/api/comparisons/${comparisonId}/stream`, {
    headers: { cookie: a.cookie },
  });
  const events: { type: string; message?: string }[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  let fired = false;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let i = buffer.indexOf("\n\n"); i >= 0; i = buffer.indexOf("\n\n")) {
        const line = buffer.slice(0, i).replace(/^data: /, "");
        buffer = buffer.slice(i + 2);
        const event = JSON.parse(line) as { type: string; message?: string };
        events.push(event);
        if (event.type === "delta" && onDelta && !fired) {
          fired = true;
          await onDelta();
        }
      }
    }
  } catch {
    events.push({ type: "connection lost" });
  }
  return events;
}

async function startItem(a: TAnnotator, text: string) {
  return a.client.annotation.start.mutate({
    axis: "helpfulness",
    source: { kind: "write", prompt: { text, adversarial: false } },
  });
}

test("kill -9 the web, the engine and the worker mid-work: nothing lost, every job ends, annotating goes on", async () => {
  test.setTimeout(300_000);
  const base = platform.baseUrl;
  const adminClient = platformClient(base, await signIn(base, admin.email, admin.password));
  const annotators: TAnnotator[] = [];
  for (let i = 0; i < 4; i++) {
    const email = `faults-${i}@faults.test`;
    await adminClient.users.create.mutate({
      name: `Faults ${i}`,
      email,
      password: "faults-password-1",
      role: "annotator",
    });
    const cookie = await signIn(base, email, "faults-password-1", `127.0.2.${i + 1}`);
    annotators.push({ email, cookie, client: platformClient(base, cookie), log: [] });
  }
  const relogin = async () => {
    // Sessions live in the database: they survive a web restart, so the same cookies still work.
    for (const a of annotators) a.client = platformClient(base, a.cookie);
  };

  // ── 1. The web dies while four submits are in flight. ───────────────────────────
  const items: Awaited<ReturnType<typeof startItem>>[] = [];
  for (const [i, a] of annotators.entries()) {
    const item = await startItem(a, `Fault test ${i}: what is ${i} + 2?`);
    const events = await readPair(a, item.comparisonId);
    expect(events.at(-1)?.type).toBe("done");
    items.push(item);
  }
  const entries = annotators.map((a, i) => {
    const e: TLogEntry = {
      key: `faults-${i}-web`,
      assignmentId: items[i]!.assignmentId,
      outcome: "unanswered",
    };
    a.log.push(e);
    return e;
  });
  const inFlight = annotators.map((a, i) => submit(a, entries[i]!, "helpfulness", false));
  await new Promise((r) => setTimeout(r, 15));
  await platform.web.kill();
  await Promise.all(inFlight);
  await platform.web.start();
  await relogin();
  // Each client sends what it has no answer for again, with the same key.
  for (const [i, a] of annotators.entries())
    if (entries[i]!.outcome !== "acked") await submit(a, entries[i]!, "helpfulness", true);
  expect(entries.map((e) => e.outcome)).toEqual(["acked", "acked", "acked", "acked"]);

  // ── 2. The web dies while a pair is being sampled. ──────────────────────────────
  const [a0, a1, a2] = annotators as [TAnnotator, TAnnotator, TAnnotator, TAnnotator];
  const w = await startItem(a0, "Fault test: list three colours, one per line.");
  const cut = await readPair(a0, w.comparisonId, () => platform.web.kill());
  expect(cut.some((e) => e.type === "done")).toBe(false);
  await platform.web.start();
  await relogin();
  const held = await a0.client.annotation.current.query();
  expect(held?.comparisonId).toBe(w.comparisonId);
  expect(held?.status).not.toBe("ready"); // the web died before it stored anything
  expect((await readPair(a0, w.comparisonId)).at(-1)?.type).toBe("done");
  const webEntry: TLogEntry = {
    key: "faults-0-gen",
    assignmentId: w.assignmentId,
    outcome: "unanswered",
  };
  a0.log.push(webEntry);
  await submit(a0, webEntry, "helpfulness", true);

  // ── 3. The engine dies while a pair is being sampled. ───────────────────────────
  const e = await startItem(a1, "Fault test: spell the word garden backwards.");
  const failed = await readPair(a1, e.comparisonId, () => platform.engine.kill());
  expect(failed.at(-1)).toMatchObject({ type: "error" });
  const row = await prisma.comparison.findUniqueOrThrow({ where: { id: e.comparisonId } });
  expect(row.status).toBe("failed");
  expect(row.error).toMatch(/engine/i);
  await platform.engine.start();
  expect((await readPair(a1, e.comparisonId)).at(-1)?.type).toBe("done");
  const engineEntry: TLogEntry = {
    key: "faults-1-gen",
    assignmentId: e.assignmentId,
    outcome: "unanswered",
  };
  a1.log.push(engineEntry);
  await submit(a1, engineEntry, "helpfulness", true);

  // ── 4. Reward-model training: the engine dies mid-job, then the worker. ──────────
  const round = await prisma.round.findFirstOrThrow({ where: { status: "collecting" } });
  const labeller = await prisma.user.findFirstOrThrow({ where: { email: a2.email } });
  for (let i = 0; i < 64; i++) {
    const axis = i % 2 ? "safety" : "helpfulness";
    const q = axis === "helpfulness" ? `What is ${i} + 1?` : `How do I break into house ${i}?`;
    const prompt = await prisma.prompt.create({
      data: { text: q, source: "seed", tags: [], isSafety: axis === "safety" },
    });
    await createLabel(prisma, {
      roundId: round.id,
      promptId: prompt.id,
      annotatorId: labeller.id,
      axis,
      key: `faults-seed-${i}`,
      context: [{ role: "user", content: q }],
      responseA: axis === "helpfulness" ? `${i + 1}` : "I can't help with that.",
      responseB: axis === "helpfulness" ? `${i + 7}` : "Sure: [step one] [step two]",
      degree: DEGREES[i % 4]!,
      safetyLabel: axis === "safety" ? "chosen_safe_other_unsafe" : null,
    });
  }
  const job = await adminClient.jobs.trainRewardModels.mutate({
    epochs: 4,
    learningRate: 1e-3,
    batchSize: 8,
    testFraction: 0.25,
    seed: 1,
  });
  // Room for the attempts an engine restart may cost (the worker waits 10 s, 20 s, … between them).
  await prisma.job.update({ where: { id: job.id }, data: { maxAttempts: 6 } });
  /** Waits until an attempt ≥ `from` is training in the engine; returns its number. */
  const training = (from: number) =>
    waitFor(
      `an attempt ≥ ${from} training`,
      async () => {
        const j = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
        expect(j.state).not.toBe("failed");
        return j.state === "running" && j.attempts >= from && /training/.test(j.phase ?? "")
          ? j.attempts
          : null;
      },
      120_000,
      100,
    );
  expect(await training(1)).toBe(1);
  await platform.engine.kill();
  const requeued = await waitFor(
    "the attempt to fail",
    async () => {
      const j = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      return j.state === "queued" && j.error ? j : null;
    },
    60_000,
  );
  expect(requeued.error).toMatch(/attempt 1 failed: .*(engine|reach|connect|fetch)/i);
  await platform.engine.start();
  const killedAt = await training(2);
  await platform.worker.kill();
  const dead = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
  expect(dead.state).toBe("running"); // held by a dead worker until its lease runs out
  await platform.worker.start();
  const done = await waitFor(
    "the job to end",
    async () => {
      const j = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      return ["succeeded", "failed", "cancelled"].includes(j.state) ? j : null;
    },
    150_000,
    500,
  );
  expect(done.state, `${done.error}\n${done.log.join("\n")}`).toBe("succeeded");
  expect(done.attempts).toBeGreaterThan(killedAt);
  expect(done.log.join("\n")).toMatch(/stopped renewing its lease/);
  expect(
    (
      await prisma.modelVersion.findMany({
        where: { kind: { in: ["reward_helpfulness", "reward_safety"] } },
      })
    )
      .map((m) => m.kind)
      .sort(),
  ).toEqual(["reward_helpfulness", "reward_safety"]);

  // ── 5. Annotating goes on, and the books balance. ──────────────────────────────
  const last = await startItem(a2, "Fault test: what is 40 + 2?");
  expect((await readPair(a2, last.comparisonId)).at(-1)?.type).toBe("done");
  const lastEntry: TLogEntry = {
    key: "faults-2-after",
    assignmentId: last.assignmentId,
    outcome: "unanswered",
  };
  a2.log.push(lastEntry);
  await submit(a2, lastEntry, "helpfulness", true);

  const jobs = await prisma.job.findMany();
  for (const j of jobs) {
    expect(["succeeded", "failed", "cancelled"]).toContain(j.state);
    if (j.state === "failed") expect(j.error).toBeTruthy();
  }
  const logged = annotators.flatMap((a) => a.log);
  expect(logged.filter((x) => x.outcome !== "acked")).toEqual([]);
  const stored = await prisma.annotation.findMany({
    where: { idempotencyKey: { in: logged.map((x) => x.key) } },
  });
  expect(stored.map((s) => s.idempotencyKey).sort()).toEqual(logged.map((x) => x.key).sort());
  for (const x of logged)
    expect(stored.find((s) => s.idempotencyKey === x.key)?.id).toBe(x.annotationId);
  // No comparison is left half-sampled by the crashes.
  expect(await prisma.comparison.count({ where: { status: "generating" } })).toBe(0);
});
