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

export function toItemView(
  a: Assignment & { comparison: Comparison & { round: Round; dialogue: Dialogue | null } },
): TItemView {
  const c = a.comparison;
  const config = parseRoundConfig(c.round.config);
  return {
    assignmentId: a.id,
    comparisonId: c.id,
    dialogueId: a.source === "own" ? c.dialogueId : null,
    axis: c.axis,
    guidelines: config.guidelines[c.axis],
    canContinue: a.source === "own" && c.dialogueId !== null && c.turnIndex + 1 < config.maxTurns,
    turnIndex: c.turnIndex,
    maxTurns: config.maxTurns,
    context: ZMessages.parse(c.context),
    status: c.status,
    error: c.error,
    left: c.swapped ? c.responseB : c.responseA,
    right: c.swapped ? c.responseA : c.responseB,
    leaseExpiresAt: a.leaseExpiresAt,
    roundNumber: c.round.number,
  };
}

export const ITEM_INCLUDE = { comparison: { include: { round: true, dialogue: true } } } as const;
