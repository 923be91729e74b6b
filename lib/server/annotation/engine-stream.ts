import "server-only";
// The two engine calls the annotation flow needs: which policy is loaded, and a streamed chat
// completion delivering (choice index, text delta).
import type { TChatCompletionRequest } from "@/lib/shared/engine-protocol";
import type { TVariant } from "@/lib/shared/round-config";
import { env } from "@/lib/env";
import { streamExternalChat, type TExternalBackend } from "@/lib/engine/openai-compatible";
import { engine } from "@/lib/server/engine";

/** The policy the engine has loaded, with its folder (the first policy version's artifact). */
export async function loadedPolicy(): Promise<{ id: string; path: string }> {
  const health = await engine().healthz({ signal: AbortSignal.timeout(10_000) });
  const policy = health.models.find((m) => m.kind === "policy");
  if (!policy) throw new Error("the engine has no policy model loaded");
  return { id: policy.id, path: policy.path };
}

/**
 * Where a variant's generation goes: its own external backend, else the platform's
 * (GENERATION_BACKEND_*), else null = Pairwise's engine.
 */
export function externalBackend(variant?: Pick<TVariant, "backend">): TExternalBackend | null {
  const own = variant?.backend;
  if (own) {
    const apiKey = own.apiKeyEnv ? process.env[own.apiKeyEnv] : undefined;
    return { url: own.url, model: own.model, ...(apiKey ? { apiKey } : {}) };
  }
  const e = env();
  if (e.GENERATION_BACKEND_URL && e.GENERATION_BACKEND_MODEL) {
    return {
      url: e.GENERATION_BACKEND_URL,
      model: e.GENERATION_BACKEND_MODEL,
      ...(e.GENERATION_BACKEND_KEY ? { apiKey: e.GENERATION_BACKEND_KEY } : {}),
    };
  }
  return null;
}

/**
 * `onBusy`: the engine (or external server) answered 503 and the client retries after `retryInMs`.
 * `backend`: an external OpenAI-compatible server for this request (see externalBackend), which
 * then gets `req` with its own model name; the deltas and the stored texts are the same.
 */
export async function streamChat(
  req: TChatCompletionRequest,
  onDelta: (index: number, text: string) => void,
  onBusy?: (retryInMs: number) => void,
  backend?: TExternalBackend | null,
): Promise<void> {
  if (backend) {
    await streamExternalChat(
      backend,
      {
        messages: req.messages,
        n: req.n,
        temperature: req.temperature,
        top_p: req.top_p,
        max_tokens: req.max_tokens,
        seed: req.seed,
      },
      onDelta,
      { ...(onBusy ? { onBusy } : {}), timeoutMs: 300_000 },
    );
    return;
  }
  await engine().streamChatText(req, onDelta, onBusy ? { onBusy } : undefined);
}
