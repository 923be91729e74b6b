import { z } from "zod";
import { createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { listGold, makeGoldFromAnnotation, removeGold } from "@/lib/server/review/gold";
import { annotatorStats } from "@/lib/server/review/annotator-stats";
import { approveAnnotations, decideAnnotation, listAnnotations } from "@/lib/server/review/review";
import { ZApproveMany, ZDecide, ZListAnnotations, ZStatsFilter } from "@/lib/shared/review";

export const reviewRouter = createTRPCRouter({
  list: reviewerProcedure.input(ZListAnnotations).query(({ input }) => listAnnotations(input)),
  decide: reviewerProcedure
    .input(ZDecide)
    .mutation(({ ctx, input }) => decideAnnotation(ctx.user.id, input)),
  approveMany: reviewerProcedure
    .input(ZApproveMany)
    .mutation(({ ctx, input }) => approveAnnotations(ctx.user.id, input.annotationIds)),
  makeGold: reviewerProcedure
    .input(
      z.object({
        annotationId: z.string().min(1).max(64),
        explanation: z.string().trim().max(1000).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      makeGoldFromAnnotation(ctx.user.id, input.annotationId, input.explanation),
    ),
  removeGold: reviewerProcedure
    .input(z.object({ goldItemId: z.string().min(1).max(64) }))
    .mutation(({ input }) => removeGold(input.goldItemId)),
  gold: reviewerProcedure.query(() => listGold()),
  stats: reviewerProcedure.input(ZStatsFilter).query(({ input }) => annotatorStats(input)),
});
