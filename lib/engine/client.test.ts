// The typed client against the real engine: spawns `/usr/bin/python3 -m engine serve` on a free port
// with a token and a tiny random model in a temporary directory.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EngineClient, EngineError, EngineProtocolError, EngineUnreachableError, createEngineClient } from "./client";

const PYTHON = "/usr/bin/python3";
const TOKEN = "vitest-engine-token-0123456789";
const REPO = process.cwd();
const HAVE_ENGINE = existsSync(PYTHON) && (() => {
  try {
    execFileSync(PYTHON, ["-c", "import torch, sentencepiece"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

let proc: ChildProcess | null = null;
let dir = "";
let client: EngineClient;
let baseUrl = "";
const HI = [{ role: "user" as const, content: "What is 12 + 7?" }];

async function startEngine(): Promise<string> {
  dir = mkdtempSync(path.join(tmpdir(), "pairwise-engine-"));
  // A tiny random-init model (a trained SentencePiece tokenizer + Llama 2 weights) in the temp dir.
  const model = execFileSync(PYTHON, ["-c", "import sys; from engine.runtime import ensure_random_model; print(ensure_random_model(sys.argv[1]))", dir], { cwd: REPO, encoding: "utf8" }).trim();
  const child = spawn(PYTHON, ["-m", "engine", "serve"], {
    cwd: REPO,
    env: { ...process.env, ENGINE_TOKEN: TOKEN, ENGINE_PORT: "0", ENGINE_MODEL: model, ENGINE_DEVICE: "cpu", PAIRWISE_DATA_DIR: dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc = child;
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`engine did not start in 90 s: ${stderr}`)), 90_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /engine listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited with ${code}: ${stderr}`));
    });
  });
}

describe.skipIf(!HAVE_ENGINE)("engine client against the real engine", () => {
  beforeAll(async () => {
    baseUrl = await startEngine();
    client = createEngineClient({ baseUrl, token: TOKEN, timeoutMs: 60_000 });
  });

  afterAll(() => {
    proc?.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads health and models", async () => {
    const health = await client.healthz();
    expect(health.random_init).toBe(true);
    expect(health.device).toBe("cpu");
    const models = await client.models();
    expect(models.data.map((m) => [m.id, m.kind])).toEqual([["random-tiny", "policy"]]);
  });

  it("samples a chat completion with n, seed, logprobs and usage", async () => {
    const req = { model: "random-tiny", messages: HI, n: 2, seed: 5, max_tokens: 6, temperature: 0.8, logprobs: true };
    const res = await client.chatCompletions(req);
    expect(res.choices).toHaveLength(2);
    const first = res.choices[0];
    expect(first?.message.role).toBe("assistant");
    expect(first?.logprobs?.content.length).toBeGreaterThan(0);
    expect(res.usage.total_tokens).toBe(res.usage.prompt_tokens + res.usage.completion_tokens);
    const again = await client.chatCompletions(req);
    expect(again.choices.map((c) => c.message.content)).toEqual(res.choices.map((c) => c.message.content));
  });

  it("streams a chat completion that reassembles to the non-streamed text", async () => {
    const req = { model: "random-tiny", messages: HI, n: 2, seed: 9, max_tokens: 8 };
    const plain = await client.chatCompletions(req);
    const deltas: [number, string][] = [];
    const streamed = await client.streamChatText(req, (i, t) => deltas.push([i, t]));
    expect(streamed.texts).toEqual(plain.choices.map((c) => c.message.content));
    expect(streamed.finishReasons).toEqual(plain.choices.map((c) => c.finish_reason));
    expect(streamed.usage).toEqual(plain.usage);
    expect(deltas.length).toBeGreaterThan(0);
  });

  it("runs raw completions, streamed and not", async () => {
    const req = { model: "random-tiny", prompt: "The capital of France is", max_tokens: 5, temperature: 0 };
    const plain = await client.completions(req);
    let text = "";
    for await (const chunk of client.streamCompletions(req)) for (const c of chunk.choices) text += c.text;
    expect(text).toBe(plain.choices[0]?.text);
  });

  it("gets a 401 with a wrong token", async () => {
    const bad = createEngineClient({ baseUrl, token: "wrong" });
    const err = await bad.models().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).status).toBe(401);
    expect((err as EngineError).type).toBe("authentication_error");
  });

  it("surfaces 4xx errors with the parameter at fault", async () => {
    const unknown = await client.chatCompletions({ model: "nope", messages: HI }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(EngineError);
    expect((unknown as EngineError).status).toBe(404);
    expect((unknown as EngineError).param).toBe("model");
    const long = await client.completions({ model: "random-tiny", prompt: "moon ".repeat(800) }).catch((e: unknown) => e);
    expect((long as EngineError).status).toBe(400);
    expect((long as EngineError).code).toBe("context_length_exceeded");
    const noReward = await client
      .rewards({ model: "reward", inputs: [{ messages: HI, response: "19" }] })
      .catch((e: unknown) => e);
    expect((noReward as EngineError).status).toBe(501);
    expect((noReward as EngineError).message).toMatch(/no reward model is loaded/);
  });

  it("refuses a malformed request before sending it", async () => {
    const err = await client.chatCompletions({ model: "random-tiny", messages: HI, n: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineProtocolError);
    expect((err as Error).message).toMatch(/^invalid chat completion request: n:/);
  });
});

describe("engine client without an engine", () => {
  it("reports an unreachable engine clearly", async () => {
    const c = createEngineClient({ baseUrl: "http://127.0.0.1:9", token: "x", timeoutMs: 5_000 });
    await expect(c.healthz()).rejects.toBeInstanceOf(EngineUnreachableError);
  });

  it("reports a response outside the contract", async () => {
    const fake: typeof fetch = async () => new Response(JSON.stringify({ object: "list", data: [{ id: 1 }] }), { status: 200 });
    const c = createEngineClient({ baseUrl: "http://engine", token: "x", fetch: fake });
    await expect(c.models()).rejects.toThrow(/answered outside the contract: data\.0\.id/);
  });

  it("reports a stream that ends without [DONE]", async () => {
    const chunk = { id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [] };
    const fake: typeof fetch = async () =>
      new Response(`data: ${JSON.stringify(chunk)}\n\n`, { status: 200, headers: { "content-type": "text/event-stream" } });
    const c = createEngineClient({ baseUrl: "http://engine", token: "x", fetch: fake });
    await expect(c.streamChatText({ model: "m", messages: HI }, () => undefined)).rejects.toThrow(/without \[DONE\]/);
  });

  it("retries a busy engine (503 + Retry-After) and tells the caller each time", async () => {
    let calls = 0;
    const busy = { error: { message: "the model is busy", type: "server_error", param: null, code: "engine_busy" } };
    const fake: typeof fetch = async () => {
      calls += 1;
      if (calls === 1) return new Response(JSON.stringify(busy), { status: 503, headers: { "retry-after": "1" } });
      return new Response(JSON.stringify({ object: "list", data: [] }), { status: 200 });
    };
    const c = createEngineClient({ baseUrl: "http://engine", token: "x", fetch: fake });
    const waits: number[] = [];
    await expect(c.models({ onBusy: (ms) => waits.push(ms) })).resolves.toEqual({ object: "list", data: [] });
    expect(calls).toBe(2);
    expect(waits).toEqual([1000]);
  });
});
