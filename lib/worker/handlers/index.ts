// One handler per job kind of the job-kind table (lib/shared/jobs.ts): a kind without a handler
// does not compile, and lib/shared/jobs.test.ts checks every kind has one.
import type { TJobKind } from "@/lib/shared/jobs";
import type { THandler } from "../runner";
import { evaluate } from "./evaluate";
import { ppo } from "./ppo";
import { rejectionSampling } from "./rejection-sampling";
import { sft } from "./sft";
import { trainReward } from "./train-reward";

export const HANDLERS: Record<TJobKind, THandler> = {
  train_reward: trainReward,
  sft,
  rejection_sampling: rejectionSampling,
  ppo,
  evaluate,
};
