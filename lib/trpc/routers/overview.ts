import { createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { adminOverview } from "@/lib/server/overview/admin-overview";

export const overviewRouter = createTRPCRouter({
  /** The admin overview: current round, jobs, newest models, annotators needing attention. */
  get: reviewerProcedure.query(() => adminOverview(new Date())),
});
