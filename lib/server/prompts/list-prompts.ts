import "server-only";
import { z } from "zod";
import { prisma } from "@/lib/db";

export const ZListPrompts = z.object({
  limit: z.number().int().min(1).max(200).default(50),
  isSafety: z.boolean().optional(),
});

export async function listPrompts(filter: z.infer<typeof ZListPrompts>) {
  return prisma.prompt.findMany({
    where: filter.isSafety === undefined ? {} : { isSafety: filter.isSafety },
    orderBy: [{ curriculumOrder: "asc" }, { createdAt: "asc" }],
    take: filter.limit,
  });
}
