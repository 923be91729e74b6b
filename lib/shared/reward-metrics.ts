// The shape of a reward model's evaluation as stored on its ModelVersion.metrics.table8.
import { z } from "zod";

const ZCell = z.object({
  accuracy: z
    .number()
    .nullable()
    .transform((x) => x ?? undefined),
  n: z.number().int(),
});
const ZTestSet = z
  .object({
    significantly_better: ZCell.optional(),
    better: ZCell.optional(),
    slightly_better: ZCell.optional(),
    negligibly_better: ZCell.optional(),
    average: ZCell.optional(),
  })
  .passthrough();

export const ZTable8 = z.object({ helpfulness: ZTestSet.optional(), safety: ZTestSet.optional() });
export type TTable8 = z.infer<typeof ZTable8>;

/**
 * Held-out pairs a test set needs before its accuracies are shown: below this, one pair moves the
 * average by 25 points or more, so pages say "N held-out pairs: too few to measure" instead.
 */
export const MIN_HELD_OUT_PAIRS = 5;

/** "2 held-out pairs: too few to measure" for a test set below MIN_HELD_OUT_PAIRS, else null. */
export function tooFewHeldOut(n: number | undefined): string | null {
  const pairs = n ?? 0;
  if (pairs >= MIN_HELD_OUT_PAIRS) return null;
  return `${pairs === 0 ? "No" : pairs} held-out pair${pairs === 1 ? "" : "s"}: too few to measure`;
}

/** Latest-metrics shape of a training job (engine snapshot metrics). */
export const ZTrainingMetrics = z
  .object({
    axis: z.string().optional(),
    step: z.number().optional(),
    loss: z.number().optional(),
    lr: z.number().optional(),
    loss_curve: z.array(z.tuple([z.number(), z.number()])).optional(),
  })
  .passthrough();
