import "server-only";
// The audit log page: filters by actor, action, target type and time, newest first, a page at a time.
import { z } from "zod";
import { prisma } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";

export const ZListAudit = z
  .object({
    /** Part of the action name (e.g. "users." or "users.create"). */
    action: z.string().trim().max(100).optional(),
    actorId: z.string().max(64).optional(),
    /** Part of the actor's email. */
    actor: z.string().trim().max(254).optional(),
    targetType: z.string().trim().max(64).optional(),
    targetId: z.string().trim().max(64).optional(),
    from: z.date().optional(),
    /** Exclusive. */
    to: z.date().optional(),
    page: z.number().int().min(1).max(100_000).default(1),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .refine((f) => !f.from || !f.to || f.from < f.to, {
    message: "The start of the date range must be before its end",
    path: ["from"],
  });
export type TListAudit = z.input<typeof ZListAudit>;

export async function listAudit(input: TListAudit) {
  const filter = ZListAudit.parse(input);
  const where: Prisma.AuditLogWhereInput = {
    ...(filter.action ? { action: { contains: filter.action } } : {}),
    ...(filter.actorId ? { actorId: filter.actorId } : {}),
    ...(filter.actor
      ? { actor: { email: { contains: filter.actor.toLowerCase(), mode: "insensitive" } } }
      : {}),
    ...(filter.targetType ? { targetType: filter.targetType } : {}),
    ...(filter.targetId ? { targetId: filter.targetId } : {}),
    ...(filter.from || filter.to
      ? {
          createdAt: {
            ...(filter.from ? { gte: filter.from } : {}),
            ...(filter.to ? { lt: filter.to } : {}),
          },
        }
      : {}),
  };
  const [entries, total] = await Promise.all([
    prisma.auditLog.findMany({
      where,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      skip: (filter.page - 1) * filter.limit,
      take: filter.limit,
      include: { actor: { select: { email: true } } },
    }),
    prisma.auditLog.count({ where }),
  ]);
  // For a change that replaces values (a configuration, a prompt, a role), the input of the same
  // action's previous entry on the same target is what this entry replaced: the page shows the
  // difference. One small query per such entry on the page (at most `limit`).
  const withBefore = await Promise.all(
    entries.map(async (e) => {
      if (!e.targetId || !REPLACING_ACTIONS.has(e.action)) return { ...e, previousDetails: null };
      const previous = await prisma.auditLog.findFirst({
        where: {
          action: e.action,
          targetId: e.targetId,
          OR: [{ createdAt: { lt: e.createdAt } }, { createdAt: e.createdAt, id: { lt: e.id } }],
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        select: { details: true },
      });
      return { ...e, previousDetails: previous?.details ?? null };
    }),
  );
  return { entries: withBefore, total, page: filter.page, limit: filter.limit };
}

/** Actions whose input replaces the target's earlier values (a diff against the last one helps). */
const REPLACING_ACTIONS = new Set([
  "rounds.updateConfig",
  "prompts.update",
  "users.setRole",
  "users.setDisabled",
]);

/** The actions and target types in the log, for the filters' choices. */
export async function auditFacets() {
  const [actions, targetTypes] = await Promise.all([
    prisma.auditLog.groupBy({ by: ["action"], _count: { _all: true }, orderBy: { action: "asc" } }),
    prisma.auditLog.groupBy({
      by: ["targetType"],
      _count: { _all: true },
      orderBy: { targetType: "asc" },
    }),
  ]);
  return {
    actions: actions.map((a) => ({ action: a.action, n: a._count._all })),
    targetTypes: targetTypes.map((t) => ({ targetType: t.targetType, n: t._count._all })),
  };
}
