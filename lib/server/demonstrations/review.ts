import "server-only";
// The review gate of demonstrations: list with filters, approve, reject with a reason, or edit
// (the reviewer's corrected dialogue is kept next to the annotator's, which never changes, and
// the edit approves it). Per-annotator acceptance rate = approved / decided.
import { prisma } from "@/lib/db";
import { Prisma } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/server/errors";
import {
  demonstrationProblem,
  trimMessages,
  type TDecideDemonstration,
  type TEditDemonstration,
  type TListDemonstrations,
} from "@/lib/shared/demonstrations";
import { ZMessages, type TMessage } from "@/lib/shared/protocol";

export async function listDemonstrations(filter: TListDemonstrations) {
  const where: Prisma.DemonstrationWhereInput = {
    ...(filter.roundId ? { roundId: filter.roundId } : {}),
    ...(filter.annotatorId ? { annotatorId: filter.annotatorId } : {}),
    ...(filter.axis ? { axis: filter.axis } : {}),
    ...(filter.status ? { status: filter.status } : {}),
  };
  const rows = await prisma.demonstration.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: filter.limit,
    include: {
      annotator: { select: { email: true } },
      reviewer: { select: { email: true } },
      round: { select: { number: true } },
      sourceModel: { select: { name: true } },
    },
  });
  return rows.map((d) => ({
    id: d.id,
    createdAt: d.createdAt,
    annotator: d.annotator.email,
    annotatorId: d.annotatorId,
    round: d.round.number,
    axis: d.axis,
    messages: ZMessages.parse(d.messages),
    editedMessages: d.editedMessages === null ? null : ZMessages.parse(d.editedMessages),
    sourceSample: d.sourceSample,
    sourceModel: d.sourceModel?.name ?? null,
    status: d.status,
    reason: d.reason,
    reviewer: d.reviewer?.email ?? null,
    reviewedAt: d.reviewedAt,
    timeSpentMs: d.timeSpentMs,
  }));
}

async function find(id: string) {
  const d = await prisma.demonstration.findUnique({ where: { id } });
  if (!d) throw new DomainError("NOT_FOUND", "No such demonstration");
  return d;
}

export async function decideDemonstration(
  reviewerId: string,
  input: TDecideDemonstration,
  now = new Date(),
) {
  await find(input.demonstrationId);
  const d = await prisma.demonstration.update({
    where: { id: input.demonstrationId },
    data: {
      status: input.decision,
      reason: input.reason ?? null,
      reviewerId,
      reviewedAt: now,
    },
  });
  return { id: d.id, status: d.status };
}

/**
 * The reviewer's edit: same turns (roles and count), contents corrected. The annotator's messages
 * stay as written; training and export use the edit. Checked like a submit (no near-empty reply).
 */
export async function editDemonstration(
  reviewerId: string,
  input: TEditDemonstration,
  now = new Date(),
) {
  const d = await find(input.demonstrationId);
  const original = ZMessages.parse(d.messages);
  const edited: TMessage[] = trimMessages(input.messages);
  if (edited.length !== original.length || edited.some((m, i) => m.role !== original[i]!.role))
    throw new DomainError(
      "BAD_REQUEST",
      "An edit keeps the dialogue's turns: change their text, not their number or roles",
    );
  const problem = demonstrationProblem(edited);
  if (problem) throw new DomainError("BAD_REQUEST", problem);
  const unchanged = edited.every((m, i) => m.content === original[i]!.content);
  const updated = await prisma.demonstration.update({
    where: { id: d.id },
    data: {
      // An edit identical to the original is a plain approval.
      editedMessages: unchanged ? Prisma.DbNull : edited,
      status: "approved",
      reason: input.reason ?? null,
      reviewerId,
      reviewedAt: now,
    },
  });
  return { id: updated.id, status: updated.status, edited: !unchanged };
}

export type TDemonstrationStats = {
  annotatorId: string;
  email: string;
  total: number;
  pending: number;
  approved: number;
  rejected: number;
  edited: number;
  /** approved / (approved + rejected); null before any decision. */
  acceptanceRate: number | null;
  medianTimeMs: number | null;
};

export async function demonstrationStats(filter: {
  roundId?: string | undefined;
}): Promise<TDemonstrationStats[]> {
  const rows = await prisma.demonstration.findMany({
    where: filter.roundId ? { roundId: filter.roundId } : {},
    select: {
      annotatorId: true,
      status: true,
      editedMessages: true,
      timeSpentMs: true,
      annotator: { select: { email: true } },
    },
  });
  const acc = new Map<string, TDemonstrationStats & { times: number[] }>();
  for (const r of rows) {
    let s = acc.get(r.annotatorId);
    if (!s) {
      s = {
        annotatorId: r.annotatorId,
        email: r.annotator.email,
        total: 0,
        pending: 0,
        approved: 0,
        rejected: 0,
        edited: 0,
        acceptanceRate: null,
        medianTimeMs: null,
        times: [],
      };
      acc.set(r.annotatorId, s);
    }
    s.total += 1;
    s[r.status] += 1;
    if (r.editedMessages !== null) s.edited += 1;
    s.times.push(r.timeSpentMs);
  }
  return [...acc.values()]
    .map(({ times, ...s }) => {
      const decided = s.approved + s.rejected;
      const sorted = times.sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return {
        ...s,
        acceptanceRate: decided ? s.approved / decided : null,
        medianTimeMs: sorted.length
          ? sorted.length % 2
            ? sorted[mid]!
            : (sorted[mid - 1]! + sorted[mid]!) / 2
          : null,
      };
    })
    .sort((a, b) => b.total - a.total);
}
