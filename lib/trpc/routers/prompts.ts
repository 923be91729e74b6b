import { createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { listPrompts, ZListPrompts } from "@/lib/server/prompts/list-prompts";

export const promptsRouter = createTRPCRouter({
  list: reviewerProcedure.input(ZListPrompts).query(({ input }) => listPrompts(input)),
});
