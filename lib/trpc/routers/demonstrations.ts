import { z } from "zod";
import { annotatorProcedure, createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import {
  decideDemonstration,
  demonstrationStats,
  editDemonstration,
  listDemonstrations,
} from "@/lib/server/demonstrations/review";
import { sampleReply } from "@/lib/server/demonstrations/sample";
import { submitDemonstration } from "@/lib/server/demonstrations/submit";
import {
  demonstrationWorkspace,
  queuedPromptForDemonstration,
} from "@/lib/server/demonstrations/tasks";
import {
  ZDecideDemonstration,
  ZEditDemonstration,
  ZListDemonstrations,
  ZSampleRequest,
  ZSubmitDemonstration,
} from "@/lib/shared/demonstrations";

export const demonstrationsRouter = createTRPCRouter({
  /** The round's demonstration share, guidelines and limits, and my demonstrations by status. */
  workspace: annotatorProcedure.query(({ ctx }) => demonstrationWorkspace(ctx.user.id)),
  /** A queued prompt without a demonstration in this round (`skip` for another one). */
  queuedPrompt: annotatorProcedure
    .input(z.object({ skip: z.number().int().min(0).max(10_000).default(0) }))
    .mutation(({ input }) => queuedPromptForDemonstration(input.skip)),
  /** A model sample for the last user turn, to start the reply from. */
  sample: annotatorProcedure
    .input(ZSampleRequest)
    .mutation(({ ctx, input }) => sampleReply(ctx.user.id, input)),
  submit: annotatorProcedure
    .input(ZSubmitDemonstration)
    .mutation(({ ctx, input }) => submitDemonstration(ctx.user.id, input, new Date())),
  list: reviewerProcedure
    .input(ZListDemonstrations)
    .query(({ input }) => listDemonstrations(input)),
  decide: reviewerProcedure
    .input(ZDecideDemonstration)
    .mutation(({ ctx, input }) => decideDemonstration(ctx.user.id, input)),
  edit: reviewerProcedure
    .input(ZEditDemonstration)
    .mutation(({ ctx, input }) => editDemonstration(ctx.user.id, input)),
  stats: reviewerProcedure
    .input(z.object({ roundId: z.string().max(64).optional() }))
    .query(({ input }) => demonstrationStats(input)),
});
