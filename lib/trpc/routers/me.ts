import { createTRPCRouter, publicProcedure } from "@/lib/trpc/init";

export const meRouter = createTRPCRouter({
  /** The signed-in user, or null: lets pages decide what to show. */
  get: publicProcedure.query(({ ctx }) => ctx.user),
});
