import "server-only";
// Samples the two responses of a comparison through the engine, streaming deltas to the caller
// in display terms (left/right), then stores them. One generation per comparison at a time in
// this process; a second viewer waits for it and gets the stored texts.
import { prisma } from "@/lib/db";
import { env } from "@/lib/env";
import { DomainError } from "@/lib/server/errors";
import { ZMessages, type TMessage } from "@/lib/shared/protocol";
import type { TPairEvent } from "@/lib/shared/pair-stream";
import { parseRoundConfig, ZVariant, type TVariant } from "@/lib/shared/round-config";
import { sameResponses } from "@/lib/shared/pairs";
import { resolvePolicyModels } from "@/lib/server/models/policies";
import { ENGINE_BUSY_MESSAGE } from "@/lib/engine/client";
import { externalBackend, streamChat } from "./engine-stream";
import { pairDropped, pairSampled, samplingFailed, startSampling } from "./lifecycle";
import { sideOfVariant } from "./view";

/** Generations per annotator per minute: sampling costs engine time that others share. */
export const GENERATIONS_PER_MINUTE = 30;
const recent = new Map<string, number[]>();

function consumeGeneration(annotatorId: string, now: number): boolean {
  const times = (recent.get(annotatorId) ?? []).filter((t) => now - t < 60_000);
  if (times.length >= GENERATIONS_PER_MINUTE) return false;
  times.push(now);
  recent.set(annotatorId, times);
  return true;
}

const inFlight = new Map<string, Promise<void>>();

export type TEmit = (event: TPairEvent) => void;

/**
 * Streams a comparison's pair to `emit`. The caller must hold the comparison's assignment.
 * Already generated: emits "done" with the stored texts. Engine failure: stores the reason on the
 * comparison (status failed) and emits a retryable "error"; nothing the annotator typed is touched.
 */
export async function streamComparison(
  annotatorId: string,
  comparisonId: string,
  emit: TEmit,
): Promise<void> {
  const held = await prisma.assignment.findFirst({
    where: { comparisonId, annotatorId, status: { in: ["assigned", "submitted"] } },
  });
  if (!held) throw new DomainError("NOT_FOUND", "You do not hold this comparison");

  const pending = inFlight.get(comparisonId);
  if (pending) await pending.catch(() => undefined);

  const c = await prisma.comparison.findUniqueOrThrow({ where: { id: comparisonId } });
  if (c.status === "dropped") {
    emit({ type: "dropped", message: DROPPED_MESSAGE });
    return;
  }
  if (c.status === "ready" || c.status === "complete") {
    emit({
      type: "done",
      left: c.swapped ? c.responseB : c.responseA,
      right: c.swapped ? c.responseA : c.responseB,
    });
    return;
  }
  if (!consumeGeneration(annotatorId, Date.now())) {
    emit({
      type: "error",
      message: `You can sample at most ${GENERATIONS_PER_MINUTE} pairs a minute; wait a moment.`,
      retryable: true,
    });
    return;
  }
  const run = generate(comparisonId, emit);
  inFlight.set(comparisonId, run);
  try {
    await run;
  } finally {
    inFlight.delete(comparisonId);
  }
}

/** What the annotator reads when a pair is dropped for staying identical. */
export const DROPPED_MESSAGE =
  "The model gave the same response on both sides, again after resampling, so this item was set aside. Take the next one.";

async function generate(comparisonId: string, emit: TEmit): Promise<void> {
  const c = await prisma.comparison.findUniqueOrThrow({
    where: { id: comparisonId },
    include: { round: { select: { config: true } } },
  });
  const variants: [TVariant, TVariant] = [ZVariant.parse(c.samplingA), ZVariant.parse(c.samplingB)];
  const { duplicates } = parseRoundConfig(c.round.config);
  const messages = ZMessages.parse(c.context);
  await startSampling(prisma, comparisonId);
  emit({ type: "reset" });

  const onDelta = (variant: "A" | "B", text: string) =>
    emit({ type: "delta", side: sideOfVariant(variant, c.swapped), text });
  const onBusy = () => emit({ type: "busy", message: ENGINE_BUSY_MESSAGE });
  let sampled: Awaited<ReturnType<typeof samplePair>>;
  let resamples: number;
  try {
    sampled = await samplePair(variants, messages, onDelta, onBusy);
    resamples = await resampleWhileIdentical(
      sampled,
      duplicates,
      () => emit({ type: "replace", side: sideOfVariant("B", c.swapped) }),
      (seed, temperature) => sampled.sampleSide(1, seed, temperature, onDelta, onBusy),
    );
  } catch (error) {
    const message = describeEngineError(error);
    await samplingFailed(prisma, comparisonId, message);
    emit({ type: "error", message, retryable: true });
    return;
  }
  const { models, texts, seeds } = sampled;
  // PostgreSQL text cannot hold NUL, which a sampled byte-fallback token can produce.
  const [responseA, responseB] = [cleanText(texts[0]), cleanText(texts[1])];
  if (sameResponses(responseA, responseB, duplicates.nearDuplicates)) {
    const reason = `identical responses after ${resamples} resample${resamples === 1 ? "" : "s"}`;
    await prisma.$transaction(async (tx) => {
      await pairDropped(tx, comparisonId, reason, resamples);
      // Whoever holds it lets it go, like a skip; the pool never offers a dropped pair again.
      await tx.assignment.updateMany({
        where: { comparisonId, status: "assigned" },
        data: { status: "skipped", skipReason: "identical_responses", finishedAt: new Date() },
      });
      if (c.dialogueId)
        await tx.dialogue.updateMany({
          where: { id: c.dialogueId, status: "open" },
          data: { status: "abandoned" },
        });
    });
    emit({ type: "dropped", message: DROPPED_MESSAGE });
    return;
  }
  await pairSampled(prisma, comparisonId, {
    responseA,
    responseB,
    // A stored pair is never identical: one that stayed identical was dropped above.
    resamples,
    modelAId: models[0].id,
    modelBId: models[1].id,
    samplingA: { ...variants[0], seed: seeds[0] },
    samplingB: { ...variants[1], temperature: sampled.temperatureB, seed: seeds[1] },
  });
  emit({
    type: "done",
    left: c.swapped ? responseB : responseA,
    right: c.swapped ? responseA : responseB,
  });
}

/**
 * While side B equals side A (after whitespace normalisation, or as a near-duplicate when the
 * round says so), sample side B again with a fresh seed, up to `maxResamples` times, each time
 * `temperatureStep` hotter than the last (at most 2): a small model that repeats one answer at
 * its base temperature rarely does so hotter. Before each resample `onReplace` tells the page to
 * clear side B. Returns how many resamples ran; `pair.temperatureB` is the temperature used last.
 */
export async function resampleWhileIdentical(
  pair: { texts: [string, string]; seeds: [number, number]; temperatureB: number },
  duplicates: { maxResamples: number; temperatureStep: number; nearDuplicates: boolean },
  onReplace: () => void,
  resampleB: (seed: number, temperature: number) => Promise<string>,
): Promise<number> {
  let resamples = 0;
  while (
    resamples < duplicates.maxResamples &&
    sameResponses(cleanText(pair.texts[0]), cleanText(pair.texts[1]), duplicates.nearDuplicates)
  ) {
    resamples++;
    onReplace();
    const seed = randomSeed();
    const temperature = Math.min(2, pair.temperatureB + duplicates.temperatureStep);
    pair.seeds[1] = seed;
    pair.temperatureB = Math.round(temperature * 1000) / 1000;
    pair.texts[1] = await resampleB(seed, pair.temperatureB);
  }
  return resamples;
}

/**
 * Samples variant A and B. When both sides use the same model and settings, one request with
 * n = 2 shares the prompt's prefill; otherwise one request per side. `sampleSide` samples one
 * side again (a resample of B).
 */
async function samplePair(
  variants: [TVariant, TVariant],
  messages: TMessage[],
  onDelta: (variant: "A" | "B", text: string) => void,
  onBusy?: () => void,
) {
  const models = await resolvePolicyModels(variants);
  const seeds: [number, number] = [randomSeed(), randomSeed()];
  const texts: [string, string] = ["", ""];
  const [a, b] = variants;
  const shared =
    models[0].id === models[1].id &&
    a.temperature === b.temperature &&
    a.topP === b.topP &&
    a.maxTokens === b.maxTokens &&
    JSON.stringify(a.backend ?? null) === JSON.stringify(b.backend ?? null);
  const request = async (
    side: 0 | 1,
    n: 1 | 2,
    seed: number,
    onText: (side: 0 | 1, text: string) => void,
    busy?: () => void,
    temperature = variants[side].temperature,
  ) => {
    const v = variants[side];
    await streamChat(
      {
        model: models[side].engineModel,
        messages,
        n,
        temperature,
        top_p: v.topP,
        max_tokens: v.maxTokens,
        // Late turns of a long dialogue get what room the context has left instead of a 400.
        clamp_max_tokens: true,
        seed,
      },
      (index, text) => onText(n === 2 ? (index === 0 ? 0 : 1) : side, text),
      busy,
      externalBackend(v),
    );
  };
  const collect = (side: 0 | 1, text: string) => {
    texts[side] += text;
    onDelta(side === 0 ? "A" : "B", text);
  };
  if (shared) await request(0, 2, seeds[0], collect, onBusy);
  else {
    await request(0, 1, seeds[0], collect, onBusy);
    await request(1, 1, seeds[1], collect, onBusy);
  }
  const sampleSide = async (
    side: 0 | 1,
    seed: number,
    temperature: number,
    onText: (variant: "A" | "B", text: string) => void,
    busy?: () => void,
  ): Promise<string> => {
    let text = "";
    await request(
      side,
      1,
      seed,
      (_, t) => {
        text += t;
        onText(side === 0 ? "A" : "B", t);
      },
      busy,
      temperature,
    );
    return text;
  };
  return { models, texts, seeds, temperatureB: b.temperature, sampleSide };
}

function cleanText(text: string): string {
  return text.replaceAll("\u0000", "").trim();
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

function describeEngineError(error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  if (/ECONNREFUSED|fetch failed|ENOTFOUND|socket/i.test(detail)) {
    return `The engine at ${env().ENGINE_URL} is not reachable. Retry in a moment; an admin may need to restart it.`;
  }
  if (/abort|timeout/i.test(detail))
    return "The engine took too long to answer. Retry in a moment.";
  return `The engine could not sample this pair: ${detail}`;
}
