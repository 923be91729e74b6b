// External OpenAI-compatible backends: the streaming shapes vLLM and TGI send (fixtures), and a
// contract test with Pairwise's own engine started as the "external" server.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createEngineClient } from "./client";
import { streamExternalChat, type TExternalBackend } from "./openai-compatible";

const FIXTURES = path.join(process.cwd(), "lib/engine/fixtures");
const HI = [{ role: "user" as const, content: "What is 12 + 7?" }];

function serving(file: string, seen: unknown[] = []): typeof fetch {
  const body = readFileSync(path.join(FIXTURES, file), "utf8");
  return async (_url, init) => {
    seen.push(JSON.parse(String(init?.body)));
    return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
  };
}

describe("external backends: recorded stream shapes", () => {
  const backend: TExternalBackend = { url: "http://gpu-host:8000", model: "meta-llama/Llama-2-70b-chat-hf", apiKey: "k" };

  it.each([
    ["vllm-chat-stream.sse", " 12 + 7 is 19."],
    ["tgi-chat-stream.sse", " 12 + 7 is 19."],
    ["tgi-2.4-chat-stream.sse", " 12 + 7 is 19."],
  ])("reads %s", async (file, text) => {
    const seen: unknown[] = [];
    const deltas: [number, string][] = [];
    const out = await streamExternalChat(backend, { messages: HI, n: 2, temperature: 0.7, top_p: 0.9, max_tokens: 64, seed: 5 },
      (i, t) => deltas.push([i, t]), { fetch: serving(file, seen) });
    expect(out.texts).toEqual([text, text]);
    expect(out.finishReasons).toEqual(["stop", "stop"]);
    expect(deltas.filter(([i]) => i === 1).map(([, t]) => t).join("")).toBe(text);
    // n samples = n requests with n: 1 (TGI has no n), seeds seed + i, the served model's name
    expect(seen).toHaveLength(2);
    expect(seen.map((b) => (b as { seed: number }).seed).sort()).toEqual([5, 6]);
    expect(seen.every((b) => (b as { n: number; model: string }).n === 1 && (b as { model: string }).model === backend.model)).toBe(true);
  });

  it("retries a busy server and reports an error status", async () => {
    let calls = 0;
    const body = readFileSync(path.join(FIXTURES, "vllm-chat-stream.sse"), "utf8");
    const flaky: typeof fetch = async () => {
      calls += 1;
      return calls === 1
        ? new Response("busy", { status: 503, headers: { "retry-after": "1" } })
        : new Response(body, { status: 200 });
    };
    const busy: number[] = [];
    const out = await streamExternalChat(backend, { messages: HI }, () => undefined, { fetch: flaky, onBusy: (ms) => busy.push(ms) });
    expect(out.texts).toEqual([" 12 + 7 is 19."]);
    expect(busy).toEqual([1000]);
    const failing: typeof fetch = async () => new Response('{"error":"model not found"}', { status: 404 });
    await expect(streamExternalChat(backend, { messages: HI }, () => undefined, { fetch: failing })).rejects.toThrow(/404/);
  });
});

const PYTHON = "/usr/bin/python3";
const TOKEN = "vitest-external-token-0123456789";
const HAVE_ENGINE = existsSync(PYTHON) && (() => {
  try {
    execFileSync(PYTHON, ["-c", "import torch, sentencepiece"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!HAVE_ENGINE)("external backend contract: Pairwise's engine as the external server", () => {
  let proc: ChildProcess | null = null;
  let dir = "";
  let baseUrl = "";

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "pairwise-external-"));
    const model = execFileSync(PYTHON, ["-c", "import sys; from engine.runtime import ensure_random_model; print(ensure_random_model(sys.argv[1]))", dir], { cwd: process.cwd(), encoding: "utf8" }).trim();
    const child = spawn(PYTHON, ["-m", "engine", "serve"], {
      cwd: process.cwd(),
      env: { ...process.env, ENGINE_TOKEN: TOKEN, ENGINE_PORT: "0", ENGINE_MODEL: model, ENGINE_DEVICE: "cpu", PAIRWISE_DATA_DIR: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc = child;
    baseUrl = await new Promise<string>((resolve, reject) => {
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
  }, 120_000);

  afterAll(() => {
    proc?.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("streams the same samples as the engine's own client gives for the same seeds", async () => {
    const backend = { url: `${baseUrl}/v1`, model: "random-tiny", apiKey: TOKEN };
    const req = { messages: HI, n: 2, temperature: 0.9, top_p: 0.95, max_tokens: 12, seed: 42 };
    const deltas = ["", ""];
    const out = await streamExternalChat(backend, req, (i, t) => (deltas[i] += t), { timeoutMs: 60_000 });
    expect(out.texts).toEqual(deltas);
    const own = createEngineClient({ baseUrl, token: TOKEN, timeoutMs: 60_000 });
    for (const i of [0, 1]) {
      const one = await own.chatCompletions({ model: "random-tiny", messages: HI, n: 1, temperature: 0.9, top_p: 0.95, max_tokens: 12, seed: 42 + i });
      expect(out.texts[i]).toBe(one.choices[0]?.message.content);
    }
    await expect(
      streamExternalChat({ ...backend, apiKey: "wrong" }, req, () => undefined, { timeoutMs: 60_000 }),
    ).rejects.toThrow(/401/);
  }, 120_000);
});
