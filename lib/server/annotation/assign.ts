import "server-only";
// Handing out work: resume a held item, else a gold item at the round's rate, else an item from
// the pool (overlap copies, items whose lease ran out), else nothing — the annotator then writes a
// prompt or takes a queued one (startDialogue). Every hand-out is an Assignment under a lease.
import { prisma } from "@/lib/db";
import { Prisma } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/server/errors";
import type { TStartDialogue } from "@/lib/shared/annotation";
import type { TAxis, TMessage } from "@/lib/shared/protocol";
import { parseRoundConfig, type TRoundConfig } from "@/lib/shared/round-config";
import { initialStatus } from "./lifecycle";
import { ITEM_INCLUDE, toItemView, type TItemView } from "./view";

export type TRandom = () => number;

/** The round being collected, with its validated config. */
export async function activeRound() {
  const round = await prisma.round.findFirst({
    where: { status: "collecting" },
    orderBy: { number: "desc" },
  });
  if (!round) return null;
  return { round, config: parseRoundConfig(round.config) };
}

async function requireActiveRound() {
  const active = await activeRound();
  if (!active) throw new DomainError("CONFLICT", "No round is collecting right now");
  return active;
}

function leaseEnd(config: TRoundConfig, now: Date): Date {
  return new Date(now.getTime() + config.leaseMinutes * 60_000);
}

/** Assignments whose lease ran out are expired; their items go back to the pool. */
export async function expireLeases(now: Date): Promise<number> {
  const { count } = await prisma.assignment.updateMany({
    where: { status: "assigned", leaseExpiresAt: { lt: now } },
    data: { status: "expired", finishedAt: now },
  });
  return count;
}

async function loadItem(assignmentId: string): Promise<TItemView> {
  const a = await prisma.assignment.findUniqueOrThrow({
    where: { id: assignmentId },
    include: ITEM_INCLUDE,
  });
  return toItemView(a);
}

/** The annotator's held item, if any (their lease still running). */
export async function currentItem(annotatorId: string, now: Date): Promise<TItemView | null> {
  const held = await prisma.assignment.findFirst({
    where: { annotatorId, status: "assigned", leaseExpiresAt: { gte: now } },
    orderBy: { assignedAt: "desc" },
    include: ITEM_INCLUDE,
  });
  return held ? toItemView(held) : null;
}

/**
 * Claims one comparison for `annotatorId` inside a transaction. Rows are locked with
 * SKIP LOCKED so two annotators asking at once never get the same single-annotator item.
 */
async function claim(
  tx: Prisma.TransactionClient,
  sql: Prisma.Sql,
  annotatorId: string,
  source: "gold" | "overlap",
  lease: Date,
): Promise<string | null> {
  const rows = await tx.$queryRaw<{ id: string }[]>(sql);
  const id = rows[0]?.id;
  if (!id) return null;
  const a = await tx.assignment.create({
    data: { comparisonId: id, annotatorId, source, leaseExpiresAt: lease },
  });
  return a.id;
}

/** Resume, gold, pool — or null when the annotator should start a new dialogue. */
export async function nextItem(annotatorId: string, now: Date, random: TRandom = Math.random) {
  await expireLeases(now);
  const held = await currentItem(annotatorId, now);
  if (held) return held;
  const active = await activeRound();
  const lease = active
    ? leaseEnd(active.config, now)
    : new Date(now.getTime() + DEFAULT_LEASE_MINUTES * 60_000);

  const assignmentId = await prisma.$transaction(async (tx) => {
    if (active) {
      const { round, config } = active;
      if (random() < config.goldRate) {
        const gold = await claim(
          tx,
          goldCandidateSql(round.id, annotatorId),
          annotatorId,
          "gold",
          lease,
        );
        if (gold) return gold;
      }
      const pooled = await claim(
        tx,
        poolCandidateSql(round.id, annotatorId),
        annotatorId,
        "overlap",
        lease,
      );
      if (pooled) return pooled;
    }
    return claim(tx, humanEvalCandidateSql(annotatorId), annotatorId, "overlap", lease);
  });
  if (!active && !assignmentId)
    throw new DomainError("CONFLICT", "No round is collecting right now");
  return assignmentId ? loadItem(assignmentId) : null;
}

const DEFAULT_LEASE_MINUTES = 30;

/**
 * A blind side-by-side of a new policy against the previous one (lib/server/rlhf/evaluation.ts):
 * ready pairs an evaluation job queued in its round, which is past collecting by then. Handed
 * out after the collecting round's own pool, and also while no round is collecting.
 */
function humanEvalCandidateSql(annotatorId: string) {
  return Prisma.sql`
    SELECT c.id FROM comparison c JOIN round r ON r.id = c."roundId"
    WHERE c.status = 'ready' AND c."samplingA"->>'humanEval' IS NOT NULL
      AND r.status NOT IN ('draft', 'cancelled')
      AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."comparisonId" = c.id AND a."annotatorId" = ${annotatorId})
      AND (SELECT count(*) FROM assignment a
           WHERE a."comparisonId" = c.id AND a.status IN ('submitted', 'assigned')) < c."annotationsWanted"
    ORDER BY c."createdAt" ASC, c.id ASC LIMIT 1 FOR UPDATE OF c SKIP LOCKED`;
}

/** A gold item of this round the annotator has never seen. */
function goldCandidateSql(roundId: string, annotatorId: string) {
  return Prisma.sql`
    SELECT c.id FROM comparison c JOIN gold_item g ON g."comparisonId" = c.id
    WHERE c."roundId" = ${roundId} AND c.status IN ('ready', 'complete')
      AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."comparisonId" = c.id AND a."annotatorId" = ${annotatorId})
    ORDER BY random() LIMIT 1 FOR UPDATE OF c SKIP LOCKED`;
}

/**
 * A non-gold item that still needs labels: fewer submitted-or-held assignments than wanted, and
 * never shown to this annotator. Oldest first, so the pool drains in order. An overlap item
 * (wanted 2+) can be held by several annotators at once; a single item by one.
 */
function poolCandidateSql(roundId: string, annotatorId: string) {
  return Prisma.sql`
    SELECT c.id FROM comparison c
    WHERE c."roundId" = ${roundId} AND c.status IN ('generating', 'ready', 'failed')
      AND NOT EXISTS (SELECT 1 FROM gold_item g WHERE g."comparisonId" = c.id)
      AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."comparisonId" = c.id AND a."annotatorId" = ${annotatorId})
      AND (SELECT count(*) FROM assignment a
           WHERE a."comparisonId" = c.id AND a.status IN ('submitted', 'assigned')) < c."annotationsWanted"
    ORDER BY c."createdAt" ASC LIMIT 1 FOR UPDATE OF c SKIP LOCKED`;
}

function pickAxis(config: TRoundConfig, random: TRandom): TAxis {
  return random() < config.axisMix.helpfulness ? "helpfulness" : "safety";
}

/** Creates the comparison for one turn: both sides' settings fixed now, the display order drawn. */
async function createTurnComparison(
  tx: Prisma.TransactionClient,
  args: {
    roundId: string;
    promptId: string;
    dialogueId: string;
    turnIndex: number;
    axis: TAxis;
    context: TMessage[];
    config: TRoundConfig;
    annotatorId: string;
    lease: Date;
    random: TRandom;
  },
) {
  const [a, b] = args.config.variants;
  const comparison = await tx.comparison.create({
    data: {
      roundId: args.roundId,
      promptId: args.promptId,
      dialogueId: args.dialogueId,
      turnIndex: args.turnIndex,
      axis: args.axis,
      context: args.context,
      samplingA: a,
      samplingB: b,
      swapped: args.random() < 0.5,
      status: initialStatus(false),
    },
  });
  const assignment = await tx.assignment.create({
    data: {
      comparisonId: comparison.id,
      annotatorId: args.annotatorId,
      source: "own",
      leaseExpiresAt: args.lease,
    },
  });
  return assignment.id;
}

/** Starts a dialogue from a written prompt or the next queued one. Responses are generated next. */
export async function startDialogue(
  annotatorId: string,
  input: TStartDialogue,
  now: Date,
  random: TRandom = Math.random,
): Promise<TItemView> {
  await expireLeases(now);
  if (await currentItem(annotatorId, now)) {
    throw new DomainError(
      "CONFLICT",
      "Finish or skip the comparison you hold before starting another",
    );
  }
  const { round, config } = await requireActiveRound();

  const assignmentId = await prisma.$transaction(async (tx) => {
    let prompt;
    if (input.source.kind === "write") {
      const p = input.source.prompt;
      prompt = await tx.prompt.create({
        data: {
          text: p.text,
          taskCategory: p.taskCategory ?? null,
          riskCategory: p.riskCategory ?? null,
          isSafety: p.riskCategory !== undefined,
          adversarial: p.adversarial,
          tags: [p.taskCategory, p.riskCategory].filter((t): t is NonNullable<typeof t> =>
            Boolean(t),
          ),
          source: "annotator",
          authorId: annotatorId,
        },
      });
    } else {
      // The first prompt (curriculum order) not yet used in this round.
      prompt = await tx.prompt.findFirst({
        // Held-out evaluation prompts (lib/server/rlhf/prompts.ts HELDOUT_TAG) are never trained on.
        where: {
          dialogues: { none: { roundId: round.id } },
          NOT: { tags: { has: "heldout-eval" } },
        },
        orderBy: [{ curriculumOrder: { sort: "asc", nulls: "last" } }, { createdAt: "asc" }],
      });
      if (!prompt)
        throw new DomainError("CONFLICT", "No queued prompts are left: write one instead");
    }
    const axis =
      input.axis ??
      (input.source.kind === "queued"
        ? prompt.isSafety
          ? "safety"
          : "helpfulness"
        : pickAxis(config, random));
    const dialogue = await tx.dialogue.create({
      data: { roundId: round.id, promptId: prompt.id, annotatorId, axis },
    });
    await tx.turn.create({
      data: { dialogueId: dialogue.id, position: 0, role: "user", content: prompt.text },
    });
    return createTurnComparison(tx, {
      roundId: round.id,
      promptId: prompt.id,
      dialogueId: dialogue.id,
      turnIndex: 0,
      axis,
      context: [{ role: "user", content: prompt.text }],
      config,
      annotatorId,
      lease: leaseEnd(config, now),
      random,
    });
  });
  return loadItem(assignmentId);
}

/** "Continue": the chosen response is already the assistant turn; add the next user turn. */
export async function continueDialogue(
  annotatorId: string,
  dialogueId: string,
  message: string,
  now: Date,
  random: TRandom = Math.random,
): Promise<TItemView> {
  await expireLeases(now);
  if (await currentItem(annotatorId, now)) {
    throw new DomainError("CONFLICT", "Finish or skip the comparison you hold before continuing");
  }
  const assignmentId = await prisma.$transaction(async (tx) => {
    const dialogue = await tx.dialogue.findUnique({
      where: { id: dialogueId },
      include: { round: true, turns: { orderBy: { position: "asc" } } },
    });
    if (!dialogue || dialogue.annotatorId !== annotatorId)
      throw new DomainError("NOT_FOUND", "No such dialogue");
    if (dialogue.status !== "open")
      throw new DomainError("CONFLICT", `This dialogue is ${dialogue.status}`);
    if (dialogue.round.status !== "collecting")
      throw new DomainError("CONFLICT", "This round is no longer collecting");
    const config = parseRoundConfig(dialogue.round.config);
    const last = dialogue.turns.at(-1);
    if (!last || last.role !== "assistant") {
      throw new DomainError("CONFLICT", "Label the current comparison before continuing");
    }
    const turnIndex = dialogue.turns.filter((t) => t.role === "assistant").length;
    if (turnIndex >= config.maxTurns) {
      throw new DomainError(
        "CONFLICT",
        `This round allows at most ${config.maxTurns} turns per dialogue`,
      );
    }
    await tx.turn.create({
      data: { dialogueId, position: last.position + 1, role: "user", content: message },
    });
    const context: TMessage[] = [
      ...dialogue.turns.map((t) => ({ role: t.role, content: t.content })),
      { role: "user", content: message },
    ];
    return createTurnComparison(tx, {
      roundId: dialogue.roundId,
      promptId: dialogue.promptId,
      dialogueId,
      turnIndex,
      axis: dialogue.axis,
      context,
      config,
      annotatorId,
      lease: leaseEnd(config, now),
      random,
    });
  });
  return loadItem(assignmentId);
}

/** Ends a dialogue by the annotator's choice ("Done"). */
export async function finishDialogue(annotatorId: string, dialogueId: string) {
  const dialogue = await prisma.dialogue.findUnique({ where: { id: dialogueId } });
  if (!dialogue || dialogue.annotatorId !== annotatorId)
    throw new DomainError("NOT_FOUND", "No such dialogue");
  if (dialogue.status !== "open") return { id: dialogueId, status: dialogue.status };
  const updated = await prisma.dialogue.update({
    where: { id: dialogueId },
    data: { status: "completed" },
  });
  return { id: updated.id, status: updated.status };
}
