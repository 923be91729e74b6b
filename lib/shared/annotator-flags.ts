// When an annotator needs a reviewer's attention: one rule for the annotators page and the
// overview. Both flags wait for enough evidence, so a new annotator is not flagged by chance.

/** Labels before a position bias can be flagged. */
export const BIAS_MIN_LABELS = 10;
/** Gold items before a low gold accuracy can be flagged, and the accuracy below which it is. */
export const GOLD_MIN_ITEMS = 5;
export const GOLD_ACCURACY_FLOOR = 0.7;

/** How far a left share is from 0.5 in standard errors of a fair coin over `count` labels. */
export function positionBiasZ(leftShare: number | null, count: number): number | null {
  return leftShare === null || count === 0 ? null : (leftShare - 0.5) / Math.sqrt(0.25 / count);
}

/** Picks one side more than chance explains at 95 % (|z| > 1.96), with enough labels. */
export function isPositionBiased(a: { positionBiasZ: number | null; count: number }): boolean {
  return a.positionBiasZ !== null && a.count >= BIAS_MIN_LABELS && Math.abs(a.positionBiasZ) > 1.96;
}

/** Gold accuracy under the floor, over enough gold items. */
export function hasLowGoldAccuracy(a: { goldAccuracy: number | null; goldItems: number }): boolean {
  return (
    a.goldAccuracy !== null && a.goldItems >= GOLD_MIN_ITEMS && a.goldAccuracy < GOLD_ACCURACY_FLOOR
  );
}
