import { annotatorProcedure, createTRPCRouter } from "@/lib/trpc/init";
import { getWorkspace } from "@/lib/server/workspace/get-workspace";

export const workspaceRouter = createTRPCRouter({
  get: annotatorProcedure.query(({ ctx }) => getWorkspace(ctx.user.id)),
});
