import { z } from "zod";
import { adminProcedure, createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { getJob, listJobs, listModels } from "@/lib/server/jobs/queries";
import { enqueueJob, requestCancel, retryJob } from "@/lib/server/jobs/transitions";
import { JOB_STATES, ZTrainRewardConfig } from "@/lib/shared/jobs";

const ZJobId = z.object({ jobId: z.string().min(1).max(64) });

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
  trainRewardModels: adminProcedure
    .input(ZTrainRewardConfig)
    .mutation(({ ctx, input }) =>
      enqueueJob({ kind: "train_reward", config: input }, { actorId: ctx.user.id }),
    ),
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
