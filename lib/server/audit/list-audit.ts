import "server-only";
import { z } from "zod";
import { prisma } from "@/lib/db";

export const ZListAudit = z.object({
  action: z.string().trim().max(100).optional(),
  actorId: z.string().max(64).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type TListAudit = z.infer<typeof ZListAudit>;

export async function listAudit(filter: TListAudit) {
  return prisma.auditLog.findMany({
    where: {
      ...(filter.action ? { action: { contains: filter.action } } : {}),
      ...(filter.actorId ? { actorId: filter.actorId } : {}),
    },
    orderBy: { createdAt: "desc" },
    take: filter.limit,
    include: { actor: { select: { email: true } } },
  });
}
