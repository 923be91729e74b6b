// Generation on an external OpenAI-compatible server (vLLM, TGI, llama.cpp's server, or another
// Pairwise engine): POST {url}/chat/completions with stream: true, read the server-sent events
// leniently (each server adds its own fields: vLLM `stop_reason`, TGI `system_fingerprint`,
// `usage: null` on every chunk, ...), and hand out (choice index, text delta) as the engine
// client's streamChatText does. Rewards and jobs still need Pairwise's engine.
import { z } from "zod";

import { ENGINE_BUSY_MESSAGE, EngineError, EngineProtocolError, EngineUnreachableError, type TStreamedText } from "./client";

export { ENGINE_BUSY_MESSAGE };

export const ZExternalBackend = z.object({
  /** Base URL of the OpenAI-compatible API, e.g. http://gpu-host:8000/v1 (a missing /v1 is added). */
  url: z.string().refine((s) => URL.canParse(s), { message: "must be a URL like http://host:8000/v1" }),
  /** The model name the server serves (vLLM's --served-model-name, TGI's model id). */
  model: z.string().min(1).max(256),
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey: z.string().min(1).optional(),
});
export type TExternalBackend = z.infer<typeof ZExternalBackend>;

export type TExternalChatRequest = {
  messages: { role: "system" | "user" | "assistant"; content: string }[];
  /** Samples; sent as n separate requests (TGI has no `n`), each with seed + i. */
  n?: number;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  seed?: number;
};

/** One streamed chunk, as any of these servers sends it; unknown fields pass. */
const ZChunk = z
  .object({
    choices: z
      .array(
        z
          .object({
            index: z.number().int().nonnegative().default(0),
            delta: z.object({ content: z.string().nullish() }).passthrough().nullish(),
            finish_reason: z.string().nullish(),
          })
          .passthrough(),
      )
      .default([]),
    usage: z
      .object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() })
      .passthrough()
      .nullish(),
    error: z.union([z.string(), z.object({ message: z.string() }).passthrough()]).optional(),
  })
  .passthrough();

type TParsed = { text: string; finishReason: string | null; completionTokens: number | null };

/** Folds one response's SSE `data:` payloads (without the "data: " prefix) into its text. */
export async function foldChatStream(
  payloads: AsyncIterable<string> | Iterable<string>,
  onDelta: (text: string) => void,
): Promise<TParsed> {
  const out: TParsed = { text: "", finishReason: null, completionTokens: null };
  let done = false;
  for await (const data of payloads) {
    if (data === "[DONE]") {
      done = true;
      break;
    }
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      throw new EngineProtocolError(`external server streamed an event that is not JSON: ${data.slice(0, 200)}`);
    }
    const parsed = ZChunk.safeParse(value);
    if (!parsed.success) throw new EngineProtocolError(`external server streamed an unexpected chunk: ${data.slice(0, 200)}`);
    const chunk = parsed.data;
    if (chunk.error !== undefined) {
      const message = typeof chunk.error === "string" ? chunk.error : chunk.error.message;
      throw new EngineError(`external server failed mid-stream: ${message}`, 500, "server_error", null, null);
    }
    for (const choice of chunk.choices) {
      let text = choice.delta?.content;
      // TGI 2.0 sends the end-of-sequence token itself as the last delta (finish_reason "eos_token").
      if (choice.finish_reason === "eos_token" && text && /^<\/?s>$/.test(text.trim())) text = "";
      if (text) {
        out.text += text;
        onDelta(text);
      }
      if (choice.finish_reason) out.finishReason = choice.finish_reason;
    }
    if (chunk.usage) out.completionTokens = chunk.usage.completion_tokens;
  }
  // llama.cpp and TGI end with [DONE]; a stream that just stops after a finish_reason is accepted.
  if (!done && out.finishReason === null) throw new EngineProtocolError("external server's stream ended without [DONE]");
  return out;
}

async function* ssePayloads(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
      const data = block
        .split(/\r?\n/)
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data) yield data;
    }
    if (done) {
      if (buffer.trim().startsWith("data:")) yield buffer.trim().slice(5).trim();
      return;
    }
  }
}

function chatUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  return `${/\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`}/chat/completions`;
}

export type TExternalOptions = {
  signal?: AbortSignal;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The server answered 503 or 429: the client waits `retryInMs` and sends again. */
  onBusy?: (retryInMs: number, attempt: number) => void;
};

/**
 * Streams `n` samples of a chat from an external OpenAI-compatible server, as n parallel
 * requests (a server that batches — vLLM, TGI — runs them together and caches the shared
 * prompt), calling onDelta(sample index, text) as text arrives. Same result shape as
 * EngineClient.streamChatText.
 */
export async function streamExternalChat(
  backend: TExternalBackend,
  req: TExternalChatRequest,
  onDelta: (index: number, text: string) => void,
  opts: TExternalOptions = {},
): Promise<TStreamedText> {
  const n = req.n ?? 1;
  const fetchImpl = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const url = chatUrl(backend.url);

  async function one(i: number): Promise<TParsed> {
    const body = {
      model: backend.model,
      messages: req.messages,
      n: 1,
      stream: true,
      ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
      ...(req.top_p === undefined ? {} : { top_p: req.top_p }),
      ...(req.max_tokens === undefined ? {} : { max_tokens: req.max_tokens }),
      ...(req.seed === undefined ? {} : { seed: (req.seed + i) % 2 ** 31 }),
    };
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetchImpl(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "text/event-stream",
            ...(backend.apiKey ? { authorization: `Bearer ${backend.apiKey}` } : {}),
          },
          body: JSON.stringify(body),
          signal,
        });
      } catch (cause) {
        const why = timeout.aborted ? `timed out after ${timeoutMs} ms` : String(cause);
        throw new EngineUnreachableError(`external server ${url} did not answer: ${why}`, { cause });
      }
      if ((res.status === 503 || res.status === 429) && !signal.aborted) {
        await res.body?.cancel().catch(() => undefined);
        const seconds = Number(res.headers.get("retry-after"));
        const waitMs = 1000 * Math.min(10, Math.max(1, Number.isFinite(seconds) ? seconds : 1));
        opts.onBusy?.(waitMs, attempt);
        await new Promise((r) => setTimeout(r, waitMs));
        continue;
      }
      if (!res.ok) {
        const text = await res.text().catch(() => "");
        throw new EngineError(`external server ${url} answered ${res.status}: ${text.slice(0, 300)}`, res.status,
          "external_error", null, null);
      }
      if (!res.body) throw new EngineProtocolError(`external server ${url} sent no stream body`);
      return foldChatStream(ssePayloads(res.body), (text) => onDelta(i, text));
    }
  }

  const parts = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  return {
    texts: parts.map((p) => p.text),
    // "stop", TGI's "eos_token" / "stop_sequence", llama.cpp's "stop" -> stop; "length" -> length
    finishReasons: parts.map((p) => (p.finishReason === "length" ? "length" : p.finishReason === null ? null : "stop")),
    usage: null, // servers report usage in different places, if at all; Pairwise does not store it
  };
}
