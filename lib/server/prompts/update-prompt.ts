import "server-only";
// An admin edits a prompt's curation fields (tags, categories, safety flags, curriculum order);
// the text stays as annotators saw it. Validated with the import's field rules.
import { z } from "zod";
import { prisma } from "@/lib/db";
import { DomainError } from "@/lib/server/errors";
import { ZImportPrompt } from "@/lib/server/prompts/import";

const fields = ZImportPrompt.shape;
export const ZUpdatePrompt = z.strictObject({
  promptId: z.string().min(1).max(64),
  taskCategory: fields.taskCategory.nullable(),
  riskCategory: fields.riskCategory.nullable(),
  isSafety: z.boolean({ error: "must be true or false" }),
  adversarial: z.boolean({ error: "must be true or false" }),
  tags: fields.tags,
  curriculumOrder: fields.curriculumOrder.nullable(),
});
export type TUpdatePrompt = z.input<typeof ZUpdatePrompt>;

export async function updatePrompt(input: TUpdatePrompt) {
  const data = ZUpdatePrompt.parse(input);
  const existing = await prisma.prompt.findUnique({ where: { id: data.promptId } });
  if (!existing) throw new DomainError("NOT_FOUND", "No such prompt");
  return prisma.prompt.update({
    where: { id: data.promptId },
    data: {
      taskCategory: data.taskCategory ?? null,
      riskCategory: data.riskCategory ?? null,
      isSafety: data.isSafety,
      adversarial: data.adversarial,
      tags: data.tags,
      curriculumOrder: data.curriculumOrder ?? null,
    },
  });
}
