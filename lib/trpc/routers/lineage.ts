import { env } from "@/lib/env";
import { createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { ensureFirstPolicy, modelLineage } from "@/lib/server/models/lineage";

// The models page. Checkpoint downloads: app/api/admin/models/[id]/download (admin session).
export const lineageRouter = createTRPCRouter({
  tree: reviewerProcedure.query(async () => {
    await ensureFirstPolicy();
    return modelLineage(env().PAIRWISE_DATA_DIR);
  }),
});
