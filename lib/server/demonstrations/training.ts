import "server-only";
// The SFT job's data: approved demonstrations only, each as {"messages": [...]} ending with the
// assistant's reply, the reviewer's edit in place of the annotator's text when there is one.
import { prisma } from "@/lib/db";
import { ZMessages, type TMessage } from "@/lib/shared/protocol";

export type TSftRow = { messages: TMessage[] };

export async function approvedDemonstrations(roundIds: string[] = []): Promise<TSftRow[]> {
  const rows = await prisma.demonstration.findMany({
    where: { status: "approved", ...(roundIds.length ? { roundId: { in: roundIds } } : {}) },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { messages: true, editedMessages: true },
  });
  return rows.map((r) => ({ messages: ZMessages.parse(r.editedMessages ?? r.messages) }));
}

export function sftJsonl(rows: TSftRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
}
