// The jobs and combined-reward methods of the engine client: against a scripted fetch (request
// shapes, the SSE reader with heartbeat comments and a stream cut before the end, errors), then
// one reward model trained end to end on the real engine.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { ZTrainRewardResult, type TJobSnapshot } from "@/lib/shared/engine-protocol";

import { EngineError, EngineProtocolError, createEngineClient } from "./client";

const FIXTURES = path.join(process.cwd(), "engine", "protocol", "fixtures");
const fixture = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));
const DONE: TJobSnapshot = fixture("job-get").response;
const CREATE = fixture("job-create");

type Call = { url: string; method: string; body: unknown };

function scripted(respond: (call: Call) => Response) {
  const calls: Call[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    const call = { url, method: init.method ?? "GET", body: init.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(call);
    return respond(call);
  }) as unknown as typeof fetch;
  return { calls, client: createEngineClient({ baseUrl: "http://engine/", token: "t", fetch: fetchImpl }) };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function sse(parts: string[]): Response {
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(enc.encode(p));
      c.close();
    },
  });
  return new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" } });
}

const running: TJobSnapshot = { ...DONE, state: "running", progress: 0.5, phase: "training", eta_seconds: 3, result: null };

describe("engine client: jobs", () => {
  it("creates, reads and cancels jobs on the documented routes", async () => {
    const { calls, client } = scripted((call) => json(call.url.endsWith("/v1/jobs") ? 202 : 200, call.url.endsWith("/v1/jobs") ? CREATE.response : DONE));
    expect((await client.createJob(CREATE.request)).state).toBe("queued");
    expect((await client.getJob("fixture-get")).result?.steps).toBe(DONE.result?.steps);
    await client.cancelJob("fixture-get");
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "POST http://engine/v1/jobs",
      "GET http://engine/v1/jobs/fixture-get",
      "POST http://engine/v1/jobs/fixture-get/cancel",
    ]);
    expect(calls[0]?.body).toEqual(CREATE.request);
  });

  it("refuses a bad job before sending it", async () => {
    const { calls, client } = scripted(() => json(200, DONE));
    await expect(client.createJob({ ...CREATE.request, spec: { ...CREATE.request.spec, axis: "honesty" } })).rejects.toBeInstanceOf(EngineProtocolError);
    await expect(client.getJob("../etc")).rejects.toBeInstanceOf(EngineProtocolError);
    expect(calls).toHaveLength(0);
  });

  it("reports an unknown job as an EngineError with code job_not_found", async () => {
    const { client } = scripted(() => json(404, fixture("error-job-not-found").response));
    const err = await client.getJob("no-such-job").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe("job_not_found");
  });

  it("streams snapshots, skipping heartbeats, until a terminal one", async () => {
    const body = [`data: ${JSON.stringify(running)}\n\n`, ": heartbeat\n\n", `data: ${JSON.stringify(DONE).slice(0, 20)}`,
      `${JSON.stringify(DONE).slice(20)}\n\n`];
    const { client } = scripted(() => sse(body));
    const seen: TJobSnapshot[] = [];
    for await (const snap of client.jobEvents("fixture-get")) seen.push(snap);
    expect(seen.map((s) => s.state)).toEqual(["running", "succeeded"]);
  });

  it("fails when the stream ends before a terminal state (the engine died)", async () => {
    const { client } = scripted(() => sse([`data: ${JSON.stringify(running)}\n\n`]));
    const consume = async () => {
      for await (const _ of client.jobEvents("fixture-get")) void _;
    };
    await expect(consume()).rejects.toThrow(/before a terminal state/);
  });

  it("scores the combined reward", async () => {
    const fx = fixture("rewards-combined");
    const { calls, client } = scripted(() => json(200, fx.response));
    const res = await client.combinedRewards(fx.request);
    expect(res.data.map((d) => d.source)).toEqual(["helpfulness", "safety"]);
    expect(calls[0]?.url).toBe("http://engine/v1/rewards/combined");
  });
});

// -- against the real engine: a tiny reward model trained through the jobs API --------------------

const PYTHON = "/usr/bin/python3";
const HAVE_ENGINE = existsSync(PYTHON) && (() => {
  try {
    execFileSync(PYTHON, ["-c", "import torch, sentencepiece"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!HAVE_ENGINE)("engine client: a train_reward job on the real engine", () => {
  let proc: ChildProcess | null = null;
  let dir = "";
  let model = "";
  let client: ReturnType<typeof createEngineClient>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "pairwise-engine-jobs-"));
    const script = "import sys; from engine.runtime import ensure_random_model; print(ensure_random_model(sys.argv[1]))";
    model = execFileSync(PYTHON, ["-c", script, dir], { cwd: process.cwd(), encoding: "utf8" }).trim();
    const child = spawn(PYTHON, ["-m", "engine", "serve"], {
      cwd: process.cwd(),
      env: { ...process.env, ENGINE_TOKEN: "jobs-token", ENGINE_PORT: "0", ENGINE_MODEL: model, ENGINE_DEVICE: "cpu", PAIRWISE_DATA_DIR: dir },
      stdio: ["ignore", "pipe", "ignore"],
    });
    proc = child;
    const baseUrl = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error("engine did not start in 90 s")), 90_000);
      child.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /engine listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on("exit", (code) => reject(new Error(`engine exited with ${code}`)));
    });
    client = createEngineClient({ baseUrl, token: "jobs-token", timeoutMs: 120_000 });
  }, 120_000);

  afterAll(() => {
    proc?.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("trains, streams progress to the end, and scores with the result by directory", async () => {
    // Job-spec paths must lie in the engine's data folder: the fixture pairs are copied there.
    const pairs = path.join(dir, "pairs");
    cpSync(path.join(FIXTURES, "pairs"), pairs, { recursive: true });
    const req = {
      id: "vitest-rm",
      kind: "train_reward" as const,
      spec: {
        base_model: model,
        output_dir: path.join(dir, "jobs", "vitest-rm"),
        train_file: path.join(pairs, "train.jsonl"),
        test_files: { safety: path.join(pairs, "test.jsonl") },
        axis: "safety" as const,
        margins: [3, 2, 1, 0] as [number, number, number, number],
        epochs: 2,
        learning_rate: 1e-3,
        batch_size: 4,
        seed: 1,
      },
    };
    const first = await client.createJob(req);
    expect(["queued", "running"]).toContain(first.state);
    expect((await client.createJob(req)).id).toBe("vitest-rm"); // idempotent by id
    const states: string[] = [];
    for await (const snap of client.jobEvents("vitest-rm")) states.push(snap.state);
    expect(states.at(-1)).toBe("succeeded");
    const done = await client.getJob("vitest-rm");
    expect(done.result?.steps).toBe(8);
    expect(ZTrainRewardResult.parse(done.result).table8.safety?.average.n).toBe(8);
    const scored = await client.rewards({ model: "jobs/vitest-rm", inputs: [{ messages: [{ role: "user", content: "Hi" }], response: "Hello!" }] });
    expect(scored.data).toHaveLength(1);
    const err = await client.getJob("not-here").catch((e: unknown) => e);
    expect((err as EngineError).code).toBe("job_not_found");
  }, 120_000);
});
