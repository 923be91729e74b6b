import "server-only";
// The two engine calls the annotation flow needs: which policy is loaded, and a streamed chat
// completion delivering (choice index, text delta).
import type { TChatCompletionRequest } from "@/lib/shared/engine-protocol";
import { engine } from "@/lib/server/engine";

/** The policy the engine has loaded, with its folder (the first policy version's artifact). */
export async function loadedPolicy(): Promise<{ id: string; path: string }> {
  const health = await engine().healthz({ signal: AbortSignal.timeout(10_000) });
  const policy = health.models.find((m) => m.kind === "policy");
  if (!policy) throw new Error("the engine has no policy model loaded");
  return { id: policy.id, path: policy.path };
}

/** `onBusy`: the engine answered 503 (queue full) and the client retries after `retryInMs`. */
export async function streamChat(
  req: TChatCompletionRequest,
  onDelta: (index: number, text: string) => void,
  onBusy?: (retryInMs: number) => void,
): Promise<void> {
  await engine().streamChatText(req, onDelta, onBusy ? { onBusy } : undefined);
}
