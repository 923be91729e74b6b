import { z } from "zod";
import { adminProcedure, createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { getJob, listJobs, listModels } from "@/lib/server/jobs/queries";
import { planJobMemory } from "@/lib/server/jobs/plan";
import { requestCancel, retryJob } from "@/lib/server/jobs/transitions";
import { startJob } from "@/lib/server/rlhf/start";
import { JOB_STATES, ZJobSpec, ZTrainRewardConfig } from "@/lib/shared/jobs";

const ZJobId = z.object({ jobId: z.string().min(1).max(64) });
const ZRoundIdOptional = z.string().min(1).max(64).optional();

export const jobsRouter = createTRPCRouter({
  list: reviewerProcedure
    .input(
      z.object({
        state: z.enum(JOB_STATES).optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ input }) => listJobs(input)),
  get: reviewerProcedure.input(ZJobId).query(({ input }) => getJob(input.jobId)),
  /** Any kind of job, for a round: refused when the round's state or missing data rule it out. */
  start: adminProcedure
    .input(z.object({ roundId: ZRoundIdOptional, spec: ZJobSpec }))
    .mutation(({ ctx, input }) =>
      startJob({ roundId: input.roundId, spec: input.spec, actorId: ctx.user.id }),
    ),
  /** The engine's memory plan of a job before it starts: fits, and what to change when not. A
   * query: it changes nothing (no audit entry, no transaction held while the engine answers). */
  plan: adminProcedure
    .input(z.object({ roundId: ZRoundIdOptional, spec: ZJobSpec }))
    .query(({ input }) => planJobMemory({ roundId: input.roundId, spec: input.spec })),
  trainRewardModels: adminProcedure
    .input(ZTrainRewardConfig.extend({ roundId: ZRoundIdOptional }))
    .mutation(({ ctx, input }) => {
      const { roundId, ...config } = input;
      return startJob({ roundId, spec: { kind: "train_reward", config }, actorId: ctx.user.id });
    }),
  cancel: adminProcedure
    .input(ZJobId)
    .mutation(({ input }) => requestCancel(input.jobId, new Date())),
  retry: adminProcedure
    .input(ZJobId)
    .mutation(({ ctx, input }) => retryJob(input.jobId, ctx.user.id)),
});

export const modelsRouter = createTRPCRouter({
  list: reviewerProcedure
    .input(z.object({ kind: z.enum(["policy", "reward_helpfulness", "reward_safety"]).optional() }))
    .query(({ input }) => listModels(input)),
});
