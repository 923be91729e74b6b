// Events of /api/comparisons/{id}/stream, in display terms (left/right), never model names.
import { z } from "zod";

export const ZPairEvent = z.discriminatedUnion("type", [
  /** Generation (re)started: clear what was shown. */
  z.object({ type: z.literal("reset") }),
  z.object({ type: z.literal("delta"), side: z.enum(["left", "right"]), text: z.string() }),
  z.object({ type: z.literal("done"), left: z.string(), right: z.string() }),
  z.object({ type: z.literal("error"), message: z.string(), retryable: z.boolean() }),
  /** Side `side` equalled the other and is being sampled again: clear it, deltas follow. */
  z.object({ type: z.literal("replace"), side: z.enum(["left", "right"]) }),
  /** The two responses stayed identical after the round's resamples: the item was set aside. */
  z.object({ type: z.literal("dropped"), message: z.string() }),
  /** The engine's queue is full (503): the server retries by itself; show `message` meanwhile. */
  z.object({ type: z.literal("busy"), message: z.string() }),
]);
export type TPairEvent = z.infer<typeof ZPairEvent>;
