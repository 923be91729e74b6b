import "server-only";
// The next item after a label is saved, without the annotator choosing a source again: an item
// waiting in the pool (gold, overlap copies, items whose lease ran out), else — for an annotator
// who works from the queue — the next queued prompt, else null (the workspace then opens the
// prompt box, ready to type).
import { DomainError } from "@/lib/server/errors";
import type { TRandom } from "./assign";
import { activeRound, nextItem, startDialogue } from "./assign";
import type { TItemView } from "./view";

export async function advanceItem(
  annotatorId: string,
  input: { queued: boolean },
  now: Date,
  random: TRandom = Math.random,
): Promise<TItemView | null> {
  const waiting = await nextItem(annotatorId, now, random);
  if (waiting || !input.queued) return waiting;
  const active = await activeRound();
  if (!active?.config.promptSources.queued) return null;
  try {
    return await startDialogue(annotatorId, { source: { kind: "queued" } }, now, random);
  } catch (error) {
    // No queued prompt is left (or a race took the last one): the annotator writes one.
    if (error instanceof DomainError && error.code === "CONFLICT") return null;
    throw error;
  }
}
