import "server-only";
// What the browser sees of an assignment: the dialogue context and the two responses as
// displayed (left/right). Model identities and sampling settings never leave the server.
import type { Assignment, Comparison, Dialogue, Round } from "@/lib/generated/prisma/client";
import { ZMessages, type TMessage } from "@/lib/shared/protocol";
import { parseRoundConfig } from "@/lib/shared/round-config";

export type TItemView = {
  assignmentId: string;
  comparisonId: string;
  dialogueId: string | null;
  axis: "helpfulness" | "safety";
  guidelines: string;
  /** Own dialogues can be continued; overlap and gold items are single comparisons. */
  canContinue: boolean;
  turnIndex: number;
  maxTurns: number;
  context: TMessage[];
  status: Comparison["status"];
  error: string | null;
  left: string;
  right: string;
  leaseExpiresAt: Date;
  roundNumber: number;
};

/** Which displayed side a variant is on: A is on the left unless the pair was swapped. */
export function sideOfVariant(variant: "A" | "B", swapped: boolean): "left" | "right" {
  return (variant === "A") !== swapped ? "left" : "right";
}

export function variantOfSide(side: "left" | "right", swapped: boolean): "A" | "B" {
  return (side === "left") !== swapped ? "A" : "B";
}

/** What an item view is made of, flat: an assignment's fields with its comparison's and round's. */
export type TItemRow = {
  assignmentId: string;
  source: "own" | "overlap" | "gold";
  leaseExpiresAt: Date;
  comparisonId: string;
  dialogueId: string | null;
  axis: "helpfulness" | "safety";
  turnIndex: number;
  context: unknown;
  status: Comparison["status"];
  error: string | null;
  responseA: string;
  responseB: string;
  swapped: boolean;
  config: unknown;
  roundNumber: number;
};

export function itemViewOf(r: TItemRow): TItemView {
  const config = parseRoundConfig(r.config);
  return {
    assignmentId: r.assignmentId,
    comparisonId: r.comparisonId,
    dialogueId: r.source === "own" ? r.dialogueId : null,
    axis: r.axis,
    guidelines: config.guidelines[r.axis],
    canContinue: r.source === "own" && r.dialogueId !== null && r.turnIndex + 1 < config.maxTurns,
    turnIndex: r.turnIndex,
    maxTurns: config.maxTurns,
    context: ZMessages.parse(r.context),
    status: r.status,
    error: r.error,
    left: r.swapped ? r.responseB : r.responseA,
    right: r.swapped ? r.responseA : r.responseB,
    leaseExpiresAt: r.leaseExpiresAt,
    roundNumber: r.roundNumber,
  };
}

export function toItemView(
  a: Assignment & { comparison: Comparison & { round: Round; dialogue: Dialogue | null } },
): TItemView {
  const c = a.comparison;
  return itemViewOf({
    assignmentId: a.id,
    source: a.source,
    leaseExpiresAt: a.leaseExpiresAt,
    comparisonId: c.id,
    dialogueId: c.dialogueId,
    axis: c.axis,
    turnIndex: c.turnIndex,
    context: c.context,
    status: c.status,
    error: c.error,
    responseA: c.responseA,
    responseB: c.responseB,
    swapped: c.swapped,
    config: c.round.config,
    roundNumber: c.round.number,
  });
}

export const ITEM_INCLUDE = { comparison: { include: { round: true, dialogue: true } } } as const;
