import { adminProcedure, createTRPCRouter, reviewerProcedure } from "@/lib/trpc/init";
import { listPrompts, promptFacets, ZListPrompts } from "@/lib/server/prompts/list-prompts";
import { updatePrompt, ZUpdatePrompt } from "@/lib/server/prompts/update-prompt";

// Imports go through app/api/admin/prompts/import (a file upload, audited with counts only).
export const promptsRouter = createTRPCRouter({
  list: reviewerProcedure.input(ZListPrompts).query(({ input }) => listPrompts(input)),
  facets: reviewerProcedure.query(() => promptFacets()),
  /** Tags, categories, safety flags and curriculum order of one prompt (audited). */
  update: adminProcedure.input(ZUpdatePrompt).mutation(({ input }) => updatePrompt(input)),
});
