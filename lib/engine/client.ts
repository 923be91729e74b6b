// A typed client for the engine's HTTP contract (docs/engine-protocol.md). Requests are checked
// with the shared zod schemas before they leave, responses (and every streamed chunk) after they
// arrive, so a contract drift surfaces as an EngineProtocolError naming the field, not as
// undefined somewhere downstream.
import type { z } from "zod";

import {
  ZChatCompletion,
  ZChatCompletionChunk,
  ZCombinedRewardRequest,
  ZCombinedRewardResponse,
  ZCreateJobRequest,
  ZEngineJobId,
  ZJobPlan,
  ZJobPlanRequest,
  ZJobSnapshot,
  ZChatCompletionRequest,
  ZCompletion,
  ZCompletionChunk,
  ZCompletionRequest,
  ZEngineErrorBody,
  ZHealth,
  ZModelList,
  ZRewardRequest,
  ZRewardResponse,
  type TChatCompletion,
  type TChatCompletionChunk,
  type TChatCompletionRequest,
  type TCombinedRewardRequest,
  type TCombinedRewardResponse,
  type TCreateJobRequest,
  type TJobPlan,
  type TJobPlanRequest,
  type TJobSnapshot,
  type TCompletion,
  type TCompletionChunk,
  type TCompletionRequest,
  type TFinishReason,
  type THealth,
  type TModelList,
  type TRewardRequest,
  type TRewardResponse,
  type TUsage,
} from "@/lib/shared/engine-protocol";

export type TEngineClientOptions = {
  /** e.g. http://127.0.0.1:8710 */
  baseUrl: string;
  /** ENGINE_TOKEN, sent as `Authorization: Bearer <token>`. */
  token: string;
  /** Per request, including a whole stream. Default 10 minutes (a long generation on a CPU). */
  timeoutMs?: number;
  fetch?: typeof fetch;
};

export type TRequestOptions = {
  signal?: AbortSignal;
  /**
   * Called each time the engine answers 503 (its admission queue is full) before the client
   * waits `retryInMs` (the engine's Retry-After) and sends the request again; the client retries
   * until its timeout. Without it a 503 is retried all the same, silently.
   */
  onBusy?: (retryInMs: number, attempt: number) => void;
};

/** What a person sees while the client retries a busy engine. */
export const ENGINE_BUSY_MESSAGE = "The model is busy, retrying…";

/** The engine answered with an error body (4xx/5xx). `param` names the request field at fault. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
    readonly param: string | null,
    readonly code: string | null,
  ) {
    super(message);
    this.name = "EngineError";
  }
}

/** The request was refused before sending, or the response broke the contract. */
export class EngineProtocolError extends Error {
  constructor(
    message: string,
    readonly issues: z.ZodError["issues"] = [],
  ) {
    super(message);
    this.name = "EngineProtocolError";
  }
}

/** No HTTP answer at all: connection refused, reset, or timed out. */
export class EngineUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EngineUnreachableError";
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function describeIssues(what: string, error: z.ZodError): EngineProtocolError {
  const detail = error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  return new EngineProtocolError(`${what}: ${detail}`, error.issues);
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw describeIssues(what, parsed.error);
  return parsed.data;
}

export type TStreamedText = {
  /** Full text per choice index. */
  texts: string[];
  finishReasons: (TFinishReason | null)[];
  usage: TUsage | null;
};

export class EngineClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: TEngineClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async healthz(opts?: TRequestOptions): Promise<THealth> {
    return this.json("GET", "/healthz", undefined, ZHealth, opts);
  }

  async models(opts?: TRequestOptions): Promise<TModelList> {
    return this.json("GET", "/v1/models", undefined, ZModelList, opts);
  }

  async chatCompletions(req: TChatCompletionRequest, opts?: TRequestOptions): Promise<TChatCompletion> {
    const body = { ...check(ZChatCompletionRequest, req, "invalid chat completion request"), stream: false };
    return this.json("POST", "/v1/chat/completions", body, ZChatCompletion, opts);
  }

  async *streamChatCompletions(
    req: TChatCompletionRequest,
    opts?: TRequestOptions,
  ): AsyncGenerator<TChatCompletionChunk> {
    const body = { ...check(ZChatCompletionRequest, req, "invalid chat completion request"), stream: true };
    yield* this.sse("/v1/chat/completions", body, ZChatCompletionChunk, opts);
  }

  async completions(req: TCompletionRequest, opts?: TRequestOptions): Promise<TCompletion> {
    const body = { ...check(ZCompletionRequest, req, "invalid completion request"), stream: false };
    return this.json("POST", "/v1/completions", body, ZCompletion, opts);
  }

  async *streamCompletions(req: TCompletionRequest, opts?: TRequestOptions): AsyncGenerator<TCompletionChunk> {
    const body = { ...check(ZCompletionRequest, req, "invalid completion request"), stream: true };
    yield* this.sse("/v1/completions", body, ZCompletionChunk, opts);
  }

  async rewards(req: TRewardRequest, opts?: TRequestOptions): Promise<TRewardResponse> {
    const body = check(ZRewardRequest, req, "invalid rewards request");
    return this.json("POST", "/v1/rewards", body, ZRewardResponse, opts);
  }

  /** R_c per input from a helpfulness and a safety reward model (engine/reward/score.py). */
  async combinedRewards(req: TCombinedRewardRequest, opts?: TRequestOptions): Promise<TCombinedRewardResponse> {
    const body = check(ZCombinedRewardRequest, req, "invalid combined rewards request");
    return this.json("POST", "/v1/rewards/combined", body, ZCombinedRewardResponse, opts);
  }

  // -- jobs: the engine keeps them in memory; after a restart an id answers 404 job_not_found ----

  /** Submit a job (202), or get the snapshot of the job the engine already has under this id (200). */
  async createJob(req: TCreateJobRequest, opts?: TRequestOptions): Promise<TJobSnapshot> {
    const body = check(ZCreateJobRequest, req, "invalid job");
    return this.json("POST", "/v1/jobs", body, ZJobSnapshot, opts);
  }

  /** The memory plan of a job before submitting it: peak estimate, whether it fits the engine's
   * device, and what to change when it does not (POST /v1/jobs/plan; no data files needed). */
  async planJob(req: TJobPlanRequest, opts?: TRequestOptions): Promise<TJobPlan> {
    const body = check(ZJobPlanRequest, req, "invalid job plan request");
    return this.json("POST", "/v1/jobs/plan", body, ZJobPlan, opts);
  }

  async getJob(id: string, opts?: TRequestOptions): Promise<TJobSnapshot> {
    return this.json("GET", `/v1/jobs/${jobId(id)}`, undefined, ZJobSnapshot, opts);
  }

  /** Ask the job to stop; a running job ends "cancelled" at its next step. Returns the snapshot now. */
  async cancelJob(id: string, opts?: TRequestOptions): Promise<TJobSnapshot> {
    return this.json("POST", `/v1/jobs/${jobId(id)}/cancel`, {}, ZJobSnapshot, opts);
  }

  /** Snapshots as the job changes, ending after a terminal one (heartbeat comments are skipped). */
  async *jobEvents(id: string, opts?: TRequestOptions): AsyncGenerator<TJobSnapshot> {
    const path = `/v1/jobs/${jobId(id)}/events`;
    const res = await this.send("GET", path, undefined, opts);
    if (!res.body) throw new EngineProtocolError(`engine GET ${path} sent no stream body`);
    let terminal = false;
    for await (const data of sseData(res.body)) {
      let value: unknown;
      try {
        value = JSON.parse(data);
      } catch {
        throw new EngineProtocolError(`engine GET ${path} streamed an event that is not JSON: ${data.slice(0, 200)}`);
      }
      const snap = check(ZJobSnapshot, value, `engine GET ${path} streamed a snapshot outside the contract`);
      terminal = snap.state === "succeeded" || snap.state === "failed" || snap.state === "cancelled";
      yield snap;
      if (terminal) return;
    }
    throw new EngineProtocolError(`engine GET ${path} stream ended before a terminal state`);
  }

  /** Stream a chat completion, handing each text delta to `onDelta(choiceIndex, text)`. */
  async streamChatText(
    req: TChatCompletionRequest,
    onDelta: (index: number, text: string) => void,
    opts?: TRequestOptions,
  ): Promise<TStreamedText> {
    const n = req.n ?? 1;
    const result: TStreamedText = {
      texts: Array.from({ length: n }, () => ""),
      finishReasons: Array.from({ length: n }, () => null),
      usage: null,
    };
    for await (const chunk of this.streamChatCompletions(req, opts)) {
      for (const choice of chunk.choices) {
        const text = choice.delta.content;
        if (text) {
          result.texts[choice.index] = (result.texts[choice.index] ?? "") + text;
          onDelta(choice.index, text);
        }
        if (choice.finish_reason) result.finishReasons[choice.index] = choice.finish_reason;
      }
      if (chunk.usage) result.usage = chunk.usage;
    }
    return result;
  }

  // -- plumbing ---------------------------------------------------------------------------------

  private async send(method: string, path: string, body: unknown, opts?: TRequestOptions): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = opts?.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchImpl(`${this.baseUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal,
        });
      } catch (cause) {
        const why = timeout.aborted ? `timed out after ${this.timeoutMs} ms` : String(cause);
        throw new EngineUnreachableError(`engine at ${this.baseUrl} did not answer ${method} ${path}: ${why}`, {
          cause,
        });
      }
      if (res.status === 503 && !signal.aborted) {
        // The engine's admission queue is full: wait as it asks (1-10 s) and send again.
        await res.body?.cancel().catch(() => undefined);
        const seconds = Number(res.headers.get("retry-after"));
        const waitMs = 1000 * Math.min(10, Math.max(1, Number.isFinite(seconds) ? seconds : 1));
        opts?.onBusy?.(waitMs, attempt);
        const waited = await sleep(waitMs, signal);
        if (waited) continue;
      }
      if (!res.ok) throw await this.errorFrom(res, method, path);
      return res;
    }
  }

  private async errorFrom(res: Response, method: string, path: string): Promise<EngineError> {
    const text = await res.text().catch(() => "");
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: reported below with the raw text
    }
    const body = ZEngineErrorBody.safeParse(parsed);
    if (!body.success)
      return new EngineError(`engine ${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`, res.status, "unknown", null, null);
    const e = body.data.error;
    const where = e.param ? ` (${e.param})` : "";
    return new EngineError(`engine ${method} ${path} answered ${res.status}${where}: ${e.message}`, res.status, e.type, e.param, e.code);
  }

  private async json<T>(
    method: string,
    path: string,
    body: unknown,
    schema: z.ZodType<T>,
    opts?: TRequestOptions,
  ): Promise<T> {
    const res = await this.send(method, path, body, opts);
    let value: unknown;
    try {
      value = await res.json();
    } catch (cause) {
      throw new EngineProtocolError(`engine ${method} ${path} answered with a body that is not JSON: ${String(cause)}`);
    }
    return check(schema, value, `engine ${method} ${path} answered outside the contract`);
  }

  private async *sse<T extends { error?: { message: string; type: string } }>(
    path: string,
    body: unknown,
    schema: z.ZodType<T>,
    opts?: TRequestOptions,
  ): AsyncGenerator<T> {
    const res = await this.send("POST", path, body, opts);
    if (!res.body) throw new EngineProtocolError(`engine POST ${path} sent no stream body`);
    let done = false;
    for await (const data of sseData(res.body)) {
      if (data === "[DONE]") {
        done = true;
        break;
      }
      let value: unknown;
      try {
        value = JSON.parse(data);
      } catch {
        throw new EngineProtocolError(`engine POST ${path} streamed an event that is not JSON: ${data.slice(0, 200)}`);
      }
      const chunk = check(schema, value, `engine POST ${path} streamed a chunk outside the contract`);
      if (chunk.error) throw new EngineError(`engine stream failed: ${chunk.error.message}`, 500, chunk.error.type, null, null);
      yield chunk;
    }
    if (!done) throw new EngineProtocolError(`engine POST ${path} stream ended without [DONE]`);
  }
}

function jobId(id: string): string {
  return check(ZEngineJobId, id, "invalid job id");
}

/** The `data:` payloads of a server-sent event stream; comment lines (heartbeats) are skipped. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const read = await reader.read();
      if (read.done) return;
      buffer += decoder.decode(read.value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = event
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (data) yield data;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

export function createEngineClient(options: TEngineClientOptions): EngineClient {
  return new EngineClient(options);
}
