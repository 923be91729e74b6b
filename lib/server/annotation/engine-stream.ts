import "server-only";
// The two engine calls the annotation flow needs: which policy is loaded, and a streamed chat
// completion delivering (choice index, text delta).
import type { TChatCompletionRequest } from "@/lib/shared/engine-protocol";
import { engine } from "@/lib/server/engine";

export async function loadedPolicy(): Promise<{ id: string; path: string | null }> {
  const models = await engine().models({ signal: AbortSignal.timeout(10_000) });
  const policy = models.data.find((m) => m.kind === "policy");
  if (!policy) throw new Error("the engine has no policy model loaded");
  return { id: policy.id, path: null };
}

export async function streamChat(
  req: TChatCompletionRequest,
  onDelta: (index: number, text: string) => void,
): Promise<void> {
  await engine().streamChatText(req, onDelta);
}
