import { z } from "zod";
import { adminProcedure, createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { listRounds } from "@/lib/server/rounds/list-rounds";
import { getRound, roundHistory, roundJobs, roundStats } from "@/lib/server/rounds/stats";
import {
  advanceRound,
  cancelRound,
  createRound,
  updateRoundConfig,
} from "@/lib/server/rounds/transitions";
import { ZRoundConfig } from "@/lib/shared/round-config";

const ZRoundId = z.object({ roundId: z.string().min(1).max(64) });

export const roundsRouter = createTRPCRouter({
  list: reviewerProcedure.query(() => listRounds()),
  get: reviewerProcedure.input(ZRoundId).query(({ input }) => getRound(input.roundId)),
  stats: reviewerProcedure.input(ZRoundId).query(({ input }) => roundStats(input.roundId)),
  jobs: reviewerProcedure.input(ZRoundId).query(({ input }) => roundJobs(input.roundId)),
  history: reviewerProcedure.query(() => roundHistory()),
  create: adminProcedure
    .input(
      z.object({
        name: z.string().trim().min(1, "Name the round").max(100),
        config: ZRoundConfig.optional(),
      }),
    )
    .mutation(({ input }) => createRound(input.name, input.config)),
  updateConfig: adminProcedure
    .input(ZRoundId.extend({ config: ZRoundConfig }))
    .mutation(({ input }) => updateRoundConfig(input.roundId, input.config)),
  advance: adminProcedure
    .input(ZRoundId)
    .mutation(({ input }) => advanceRound(input.roundId, new Date())),
  cancel: adminProcedure.input(ZRoundId).mutation(({ input }) => cancelRound(input.roundId)),
});
