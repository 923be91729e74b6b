import { createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { listRounds } from "@/lib/server/rounds/list-rounds";

export const roundsRouter = createTRPCRouter({
  list: reviewerProcedure.query(() => listRounds()),
});
