// The CI configuration of the loop (scripts/loop.test.ts, `npm run loop -- --small`): one round,
// fewer comparisons and prompts, so it fits a few minutes on two busy cores.
import { FULL_OPTIONS, type TLoopOptions } from "./run";

export const SMALL_OPTIONS: Omit<TLoopOptions, "log"> = {
  ...FULL_OPTIONS,
  rounds: 1,
  comparisons: 160,
  annotators: 6,
  port: 3761,
  rejectionSampling: { ...FULL_OPTIONS.rejectionSampling, promptCount: 120 },
  ppoRounds: [],
  evaluation: { ...FULL_OPTIONS.evaluation, promptCount: 160 },
};
