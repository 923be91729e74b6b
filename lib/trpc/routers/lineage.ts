import { env } from "@/lib/env";
import { createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { modelLineage } from "@/lib/server/models/lineage";

// The models page. Checkpoint downloads: app/api/admin/models/[id]/download (admin session).
export const lineageRouter = createTRPCRouter({
  // A read only: the first policy is registered at start (lib/server/models/policies.ts).
  tree: reviewerProcedure.query(() => modelLineage(env().PAIRWISE_DATA_DIR)),
});
