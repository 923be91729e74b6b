import "server-only";
// "Start from a model sample": one response from the round's newest policy (the same policy and
// settings as the comparisons' first variant), sampled through the engine's streaming chat path,
// and signed so the submit can record it as the sample the annotator edited.
import { env } from "@/lib/env";
import { activeRound } from "@/lib/server/annotation/assign";
import { streamChat } from "@/lib/server/annotation/engine-stream";
import { resolvePolicyModels } from "@/lib/server/models/policies";
import { DomainError } from "@/lib/server/errors";
import { trimMessages, type TSampleRef } from "@/lib/shared/demonstrations";
import type { TMessage } from "@/lib/shared/protocol";
import { signSample } from "./content";

/** Samples per annotator per minute: engine time is shared. */
export const SAMPLES_PER_MINUTE = 30;
const recent = new Map<string, number[]>();

function consume(annotatorId: string, now: number): boolean {
  const times = (recent.get(annotatorId) ?? []).filter((t) => now - t < 60_000);
  if (times.length >= SAMPLES_PER_MINUTE) return false;
  times.push(now);
  recent.set(annotatorId, times);
  return true;
}

/** Checks the context a sample answers: user first, alternating, ending with a non-empty user turn. */
function checkContext(messages: TMessage[]) {
  for (const [i, m] of messages.entries()) {
    const expected = i % 2 === 0 ? "user" : "assistant";
    if (m.role !== expected)
      throw new DomainError(
        "BAD_REQUEST",
        `Turn ${i + 1} (${m.role}): turns must alternate, starting with the user`,
      );
  }
  const last = messages.at(-1);
  if (!last || last.role !== "user" || last.content.length === 0)
    throw new DomainError("BAD_REQUEST", "Write the user turn first: the sample answers it");
}

export async function sampleReply(
  annotatorId: string,
  input: { messages: TMessage[] },
  now = Date.now(),
): Promise<TSampleRef> {
  const context = trimMessages(input.messages);
  checkContext(context);
  const active = await activeRound();
  if (!active) throw new DomainError("CONFLICT", "No round is collecting right now");
  if (!consume(annotatorId, now))
    throw new DomainError(
      "CONFLICT",
      `You can sample at most ${SAMPLES_PER_MINUTE} responses a minute; wait a moment.`,
    );
  const variant = { ...active.config.variants[0], model: "latest" as const };
  const [model] = await resolvePolicyModels([variant, variant]);
  const sampling = {
    temperature: variant.temperature,
    topP: variant.topP,
    maxTokens: variant.maxTokens,
    seed: Math.floor(Math.random() * 2 ** 31),
  };
  let text = "";
  try {
    await streamChat(
      {
        model: model.engineModel,
        messages: context,
        n: 1,
        temperature: sampling.temperature,
        top_p: sampling.topP,
        max_tokens: sampling.maxTokens,
        clamp_max_tokens: true,
        seed: sampling.seed,
      },
      (_index, delta) => {
        text += delta;
      },
    );
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new DomainError(
      "CONFLICT",
      /ECONNREFUSED|fetch failed|ENOTFOUND|socket/i.test(detail)
        ? `The engine at ${env().ENGINE_URL} is not reachable. Retry in a moment; your text is kept.`
        : `The engine could not sample a response: ${detail}`,
    );
  }
  // PostgreSQL text cannot hold NUL, which a sampled byte-fallback token can produce.
  text = text.replaceAll("\u0000", "").trim();
  const claim = { annotatorId, context, text, modelVersionId: model.id, sampling };
  return {
    text,
    modelVersionId: model.id,
    sampling,
    token: signSample(env().BETTER_AUTH_SECRET, claim),
  };
}
