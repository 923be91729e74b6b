import { z } from "zod";
import { annotatorProcedure, createTRPCRouter } from "@/lib/trpc/init";
import {
  continueDialogue,
  currentItem,
  finishDialogue,
  nextItem,
  startDialogue,
} from "@/lib/server/annotation/assign";
import { advanceItem } from "@/lib/server/annotation/advance";
import { skipAssignment, submitAnnotation, undoAnnotation } from "@/lib/server/annotation/submit";
import {
  ZContinueDialogue,
  ZId,
  ZSkip,
  ZStartDialogue,
  ZSubmitAnnotation,
} from "@/lib/shared/annotation";

export const annotationRouter = createTRPCRouter({
  /** The held item, if any, without claiming anything new. */
  current: annotatorProcedure.query(({ ctx }) => currentItem(ctx.user.id, new Date())),
  /** The held item, else a gold or pool item, else null (then start a dialogue). */
  next: annotatorProcedure.mutation(({ ctx }) => nextItem(ctx.user.id, new Date())),
  /**
   * After a label: the held item, else a gold or pool item, else (queued: the annotator works from
   * the queue) the next queued prompt, else null (the workspace opens the prompt box).
   */
  advance: annotatorProcedure
    .input(z.object({ queued: z.boolean() }))
    .mutation(({ ctx, input }) => advanceItem(ctx.user.id, input, new Date())),
  start: annotatorProcedure
    .input(ZStartDialogue)
    .mutation(({ ctx, input }) => startDialogue(ctx.user.id, input, new Date())),
  submit: annotatorProcedure
    .input(ZSubmitAnnotation)
    .mutation(({ ctx, input }) => submitAnnotation(ctx.user.id, input, new Date())),
  continue: annotatorProcedure
    .input(ZContinueDialogue)
    .mutation(({ ctx, input }) =>
      continueDialogue(ctx.user.id, input.dialogueId, input.message, new Date()),
    ),
  finish: annotatorProcedure
    .input(z.object({ dialogueId: ZId }))
    .mutation(({ ctx, input }) => finishDialogue(ctx.user.id, input.dialogueId)),
  skip: annotatorProcedure
    .input(ZSkip)
    .mutation(({ ctx, input }) =>
      skipAssignment(ctx.user.id, input.assignmentId, input.reason, input.note, new Date()),
    ),
  undo: annotatorProcedure
    .input(z.object({ annotationId: ZId, release: ZId.optional() }))
    .mutation(({ ctx, input }) =>
      undoAnnotation(ctx.user.id, input.annotationId, new Date(), input.release),
    ),
});
