import "server-only";
// Database rows → the three row formats (lib/shared/export.ts). Pure functions, so the hot loop
// of a million-row export does no I/O and no validation; the tests validate what they produce.
import { createHmac } from "node:crypto";
import {
  EXPORT_MARGIN_TABLES,
  type THhRlhfRow,
  type TMarginTable,
  type TNativeRow,
  type TTrlRow,
} from "@/lib/shared/export";
import { DEGREES, type TDegree, type TMessage } from "@/lib/shared/protocol";
import { encodeCursor, type TDbVote, type TExportDbRow } from "./query";

/**
 * Stable pseudonyms: HMAC-SHA256 of the user id under the server secret, so the same annotator
 * has the same id across exports and rounds, but ids cannot be linked to accounts without the
 * secret. Memoised: an export has few annotators and many rows.
 */
export function annotatorPseudonymizer(secret: string): (userId: string) => string {
  const memo = new Map<string, string>();
  return (userId) => {
    let p = memo.get(userId);
    if (!p) {
      p =
        "ann_" +
        createHmac("sha256", secret).update(`annotator:${userId}`).digest("hex").slice(0, 20);
      memo.set(userId, p);
    }
    return p;
  };
}

export function marginOf(degree: string, table: TMarginTable): number {
  const i = DEGREES.indexOf(degree as TDegree);
  return i < 0 ? 0 : EXPORT_MARGIN_TABLES[table][i]!;
}

/** PostgreSQL's JSON rendering of timestamp(3) has no zone; the database stores UTC. */
function voteTime(s: string): string {
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`).toISOString();
}

function sampling(value: unknown): TNativeRow["responses"]["A"]["sampling"] {
  const v = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
  const out: TNativeRow["responses"]["A"]["sampling"] = {};
  if (typeof v.model === "string") out.model = v.model;
  if (typeof v.temperature === "number") out.temperature = v.temperature;
  if (typeof v.topP === "number") out.topP = v.topP;
  if (typeof v.maxTokens === "number") out.maxTokens = v.maxTokens;
  if (typeof v.seed === "number") out.seed = v.seed;
  return out;
}

function messages(context: unknown): TMessage[] {
  return Array.isArray(context) ? (context as TMessage[]) : [];
}

export type TFormatOptions = { margin: TMarginTable; pseudonym: (userId: string) => string };

export function toNativeRow(r: TExportDbRow, o: TFormatOptions): TNativeRow {
  return {
    id: r.id,
    cursor: encodeCursor(r),
    createdAt: r.createdAt.toISOString(),
    comparisonId: r.comparisonId,
    round: r.round,
    axis: r.axis,
    promptId: r.promptId,
    dialogueId: r.dialogueId,
    turnIndex: r.turnIndex,
    context: messages(r.context),
    responses: {
      A: {
        text: r.responseA,
        modelVersionId: r.modelAId,
        modelVersion: r.modelAName,
        sampling: sampling(r.samplingA),
      },
      B: {
        text: r.responseB,
        modelVersionId: r.modelBId,
        modelVersion: r.modelBName,
        sampling: sampling(r.samplingB),
      },
    },
    identicalResponses: r.identical,
    displayedOrder: r.swapped ? "BA" : "AB",
    choice: r.choice,
    degree: r.degree as TDegree,
    margin: marginOf(r.degree, o.margin),
    marginTable: o.margin,
    safetyLabel: r.safetyLabel as TNativeRow["safetyLabel"],
    chosenUnsafeOtherSafe: r.chosenUnsafeOtherSafe,
    flags: r.flags,
    note: r.note,
    annotator: o.pseudonym(r.annotatorId),
    timeSpentMs: r.timeSpentMs,
    source: r.source,
    reviewStatus: r.reviewDecision ?? "unreviewed",
    agreement: r.voteCount > 0 ? r.agreeCount / r.voteCount : 1,
    votes: r.votes
      ? r.votes.map((v: TDbVote) => ({
          annotator: o.pseudonym(v.annotatorId),
          choice: v.choice,
          degree: v.degree as TDegree,
          safetyLabel: v.safetyLabel as TNativeRow["safetyLabel"],
          chosenUnsafeOtherSafe: v.chosenUnsafeOtherSafe,
          createdAt: voteTime(v.createdAt),
        }))
      : null,
  };
}

function chosenAndRejected(r: TExportDbRow): [string, string] {
  return r.choice === "A" ? [r.responseA, r.responseB] : [r.responseB, r.responseA];
}

export function toTrlRow(r: TExportDbRow, o: TFormatOptions): TTrlRow {
  const [chosen, rejected] = chosenAndRejected(r);
  return {
    prompt: messages(r.context).map((m) => ({ role: m.role, content: m.content })),
    chosen: [{ role: "assistant", content: chosen }],
    rejected: [{ role: "assistant", content: rejected }],
    margin: marginOf(r.degree, o.margin),
  };
}

export function toHhRlhfRow(r: TExportDbRow): THhRlhfRow {
  const [chosen, rejected] = chosenAndRejected(r);
  const history = messages(r.context)
    .map((m) => `\n\n${m.role === "user" ? "Human" : "Assistant"}: ${m.content}`)
    .join("");
  return {
    chosen: `${history}\n\nAssistant: ${chosen}`,
    rejected: `${history}\n\nAssistant: ${rejected}`,
  };
}
