// Every recorded engine fixture must parse with the shared zod schemas, without losing a field:
// the engine's pytest replays the same files against the live service (engine/tests/test_protocol.py).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";
import type { z } from "zod";

import {
  ZChatCompletion,
  ZChatCompletionChunk,
  ZChatCompletionRequest,
  ZCompletion,
  ZCompletionChunk,
  ZCompletionRequest,
  ZCombinedRewardRequest,
  ZCombinedRewardResponse,
  ZCreateJobRequest,
  ZEngineErrorBody,
  ZJobSnapshot,
  ZEngineFixture,
  ZHealth,
  ZModelList,
  ZRewardRequest,
  ZRewardResponse,
  ZTrainRewardResult,
  type TEngineFixture,
} from "@/lib/shared/engine-protocol";

const DIR = path.join(process.cwd(), "engine", "protocol", "fixtures");
const fixtures: [string, TEngineFixture][] = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => [f.replace(/\.json$/, ""), ZEngineFixture.parse(JSON.parse(readFileSync(path.join(DIR, f), "utf8")))]);

/** Parse and require the output to equal the input: a field the schema does not know is drift. */
function exact(schema: z.ZodType, value: unknown): void {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  expect(parsed.data).toEqual(value);
}

const ROUTES: Record<string, { request?: z.ZodType; response: z.ZodType; chunk?: z.ZodType }> = {
  "POST /v1/chat/completions": { request: ZChatCompletionRequest, response: ZChatCompletion, chunk: ZChatCompletionChunk },
  "POST /v1/completions": { request: ZCompletionRequest, response: ZCompletion, chunk: ZCompletionChunk },
  "POST /v1/rewards": { request: ZRewardRequest, response: ZRewardResponse },
  "GET /v1/models": { response: ZModelList },
  "GET /healthz": { response: ZHealth },
  "POST /v1/rewards/combined": { request: ZCombinedRewardRequest, response: ZCombinedRewardResponse },
  "POST /v1/jobs": { request: ZCreateJobRequest, response: ZJobSnapshot },
  "GET /v1/jobs/:id": { response: ZJobSnapshot },
  "POST /v1/jobs/:id/cancel": { response: ZJobSnapshot },
};

/** `GET /v1/jobs/abc/cancel` -> `GET /v1/jobs/:id/cancel`: job ids are path parameters. */
function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(/^\/v1\/jobs\/[A-Za-z0-9_-]+/, "/v1/jobs/:id")}`;
}

/** Requests the engine refuses for their shape (the zod schemas refuse them too, client-side). */
const SHAPE_ERRORS = new Set(["error-invalid-param", "error-bad-messages", "error-job-invalid-spec"]);

describe("engine protocol fixtures", () => {
  it("cover every route and the error classes", () => {
    const names = fixtures.map(([name]) => name);
    for (const want of ["chat-completion", "chat-completion-stream", "completion", "models", "healthz", "rewards",
      "error-unauthorized", "error-invalid-param", "error-invalid-json", "error-unknown-model",
      "error-context-length", "error-no-reward-model", "job-create", "job-get", "job-cancel", "error-job-not-found",
      "error-job-invalid-spec", "rewards-trained", "rewards-combined", "chat-completion-clamp"])
      expect(names).toContain(want);
  });

  it("describe a finished reward-training job with its Table 8 and loss curve", () => {
    const fx = fixtures.find(([name]) => name === "job-get")?.[1];
    const snap = ZJobSnapshot.parse(fx?.response);
    expect(snap.state).toBe("succeeded");
    expect(ZTrainRewardResult.parse(snap.result).table8.helpfulness?.average.n).toBeGreaterThan(0);
    expect(snap.metrics.loss_curve?.length).toBe(snap.metrics.step);
  });

  it("refuses job requests the engine would refuse", () => {
    const ok = ZCreateJobRequest.parse(fixtures.find(([name]) => name === "job-create")?.[1].request);
    expect(ZCreateJobRequest.safeParse({ ...ok, id: "a/b" }).success).toBe(false);
    expect(ZCreateJobRequest.safeParse({ ...ok, kind: "ppo" }).success).toBe(false);
    expect(ZCreateJobRequest.safeParse({ ...ok, spec: { ...ok.spec, epochs: 0 } }).success).toBe(false);
    expect(ZCreateJobRequest.safeParse({ ...ok, spec: { ...ok.spec, margins: [1, 2, 3] } }).success).toBe(false);
    const combined = { helpfulness_model: "h", safety_model: "s", inputs: [{ messages: [{ role: "user", content: "a" }], response: "b" }] };
    expect(ZCombinedRewardRequest.safeParse({ ...combined, is_safety: [true] }).success).toBe(true);
    expect(ZCombinedRewardRequest.safeParse({ ...combined, is_safety: [] }).success).toBe(false);
  });

  it.each(fixtures)("%s parses with the shared schemas", (name, fx) => {
    const route = ROUTES[routeKey(fx.method, fx.path)];
    expect(route, `no schema for ${fx.method} ${fx.path}`).toBeDefined();
    if (!route) return;
    if (fx.request != null && route.request) {
      const ok = route.request.safeParse(fx.request).success;
      expect(ok).toBe(!SHAPE_ERRORS.has(name));
    }
    if (fx.status >= 400) {
      exact(ZEngineErrorBody, fx.response);
      return;
    }
    expect([200, 202]).toContain(fx.status); // 202: a job was accepted
    const streaming = typeof fx.request === "object" && fx.request !== null && "stream" in fx.request && fx.request.stream === true;
    if (!streaming) {
      exact(route.response, fx.response);
      return;
    }
    const events = fx.response as unknown[];
    expect(events.at(-1)).toBe("[DONE]");
    for (const event of events.slice(0, -1)) exact(route.chunk as z.ZodType, event);
  });

  it("rejects a dialogue that does not end with a user turn, or skips one", () => {
    const base = { model: "m" };
    expect(ZChatCompletionRequest.safeParse({ ...base, messages: [{ role: "user", content: "a" }] }).success).toBe(true);
    expect(ZChatCompletionRequest.safeParse({ ...base, messages: [{ role: "system", content: "s" }, { role: "user", content: "a" }] }).success).toBe(true);
    for (const messages of [
      [],
      [{ role: "assistant", content: "a" }],
      [{ role: "user", content: "a" }, { role: "assistant", content: "b" }],
      [{ role: "system", content: "s" }],
      [{ role: "user", content: "a" }, { role: "system", content: "b" }],
    ])
      expect(ZChatCompletionRequest.safeParse({ ...base, messages }).success).toBe(false);
  });
});
