import { createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { listPrompts, promptFacets, ZListPrompts } from "@/lib/server/prompts/list-prompts";

// Imports go through app/api/admin/prompts/import (a file upload, audited with counts only).
export const promptsRouter = createTRPCRouter({
  list: reviewerProcedure.input(ZListPrompts).query(({ input }) => listPrompts(input)),
  facets: reviewerProcedure.query(() => promptFacets()),
});
