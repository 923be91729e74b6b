import "server-only";
import { randomUUID } from "node:crypto";
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
import { ITEM_INCLUDE, itemViewOf, toItemView, type TItemRow, type TItemView } from "./view";

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
 * Resume, gold, pool — or null when the annotator should start a new dialogue.
 *
 * One statement after the round is read (claimSql), which also returns the item's view: leases
 * that ran out are expired, the held item is resumed, else the first candidate of gold / pool / blind side-by-side is locked with
 * SKIP LOCKED (so two annotators asking at once never get the same single-annotator item) and an
 * assignment is inserted for it.
 */
export async function nextItem(annotatorId: string, now: Date, random: TRandom = Math.random) {
  const active = await activeRound();
  const lease = active
    ? leaseEnd(active.config, now)
    : new Date(now.getTime() + DEFAULT_LEASE_MINUTES * 60_000);
  const candidates: Prisma.Sql[] = [];
  if (active) {
    const { round, config } = active;
    if (random() < config.goldRate) candidates.push(goldCandidateSql(round.id, annotatorId));
    candidates.push(poolCandidateSql(round.id, annotatorId, now));
  }
  candidates.push(humanEvalCandidateSql(annotatorId, now));
  const [row] = await prisma.$queryRaw<TItemRow[]>(claimSql(annotatorId, now, lease, candidates));
  if (!active && !row) throw new DomainError("CONFLICT", "No round is collecting right now");
  return row ? itemViewOf(row) : null;
}

/**
 * The whole hand-out as one statement. Its parts run on one snapshot, so the expiry (first CTE)
 * is not visible to the others: they count a held assignment only while its lease runs
 * (`HOLDS`), which is what the expiry makes true. The candidates are tried in order and the first
 * that yields a row ends the search (UNION ALL under LIMIT 1 runs its branches one after another),
 * so a later branch locks nothing when an earlier one found an item.
 */
function claimSql(annotatorId: string, now: Date, lease: Date, candidates: Prisma.Sql[]) {
  const branches = Prisma.join(
    candidates.map((c, i) => Prisma.sql`SELECT * FROM (${c}) ${Prisma.raw(`b${i}`)}`),
    " UNION ALL ",
  );
  return Prisma.sql`
    WITH expired AS (
      UPDATE assignment SET status = 'expired', "finishedAt" = ${ts(now)}
      WHERE status = 'assigned' AND "leaseExpiresAt" < ${ts(now)} RETURNING id
    ), held AS (
      SELECT id, "comparisonId", source, "leaseExpiresAt" FROM assignment
      WHERE "annotatorId" = ${annotatorId} AND status = 'assigned' AND "leaseExpiresAt" >= ${ts(now)}
      ORDER BY "assignedAt" DESC LIMIT 1
    ), candidate AS (
      SELECT * FROM (${branches}) x WHERE NOT EXISTS (SELECT 1 FROM held) LIMIT 1
    ), claimed AS (
      INSERT INTO assignment (id, "comparisonId", "annotatorId", source, "leaseExpiresAt")
      SELECT ${randomUUID()}, id, ${annotatorId}, source::"AssignmentSource", ${ts(lease)} FROM candidate
      RETURNING id, "comparisonId", source, "leaseExpiresAt"
    )
    SELECT x.id AS "assignmentId", x.source::text AS source, x."leaseExpiresAt",
      c.id AS "comparisonId", c."dialogueId", c.axis::text AS axis, c."turnIndex", c.context,
      c.status::text AS status, c.error, c."responseA", c."responseB", c.swapped, r.config,
      r.number AS "roundNumber"
    FROM (SELECT * FROM held UNION ALL SELECT * FROM claimed) x
    JOIN comparison c ON c.id = x."comparisonId" JOIN round r ON r.id = c."roundId"`;
}

/** A timestamp(3) parameter: the columns hold UTC without a zone. */
export function ts(d: Date) {
  return Prisma.sql`${d.toISOString()}::timestamp(3)`;
}

/** An assignment that holds its comparison at `now`: submitted, or assigned with its lease running. */
function holds(now: Date) {
  return Prisma.sql`(a.status = 'submitted' OR (a.status = 'assigned' AND a."leaseExpiresAt" >= ${ts(now)}))`;
}

const DEFAULT_LEASE_MINUTES = 30;

/**
 * A blind side-by-side of a new policy against the previous one (lib/server/rlhf/evaluation.ts):
 * ready pairs an evaluation job queued in its round, which is past collecting by then. Handed
 * out after the collecting round's own pool, and also while no round is collecting.
 */
function humanEvalCandidateSql(annotatorId: string, now: Date) {
  return Prisma.sql`
    SELECT c.id, 'overlap' AS source FROM comparison c JOIN round r ON r.id = c."roundId"
    WHERE c.status = 'ready' AND c."samplingA"->>'humanEval' IS NOT NULL
      AND r.status NOT IN ('draft', 'cancelled')
      AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."comparisonId" = c.id AND a."annotatorId" = ${annotatorId})
      AND (SELECT count(*) FROM assignment a
           WHERE a."comparisonId" = c.id AND ${holds(now)}) < c."annotationsWanted"
    ORDER BY c."createdAt" ASC, c.id ASC LIMIT 1 FOR UPDATE OF c SKIP LOCKED`;
}

/** A gold item of this round the annotator has never seen. */
function goldCandidateSql(roundId: string, annotatorId: string) {
  return Prisma.sql`
    SELECT c.id, 'gold' AS source FROM comparison c JOIN gold_item g ON g."comparisonId" = c.id
    WHERE c."roundId" = ${roundId} AND c.status IN ('ready', 'complete')
      AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."comparisonId" = c.id AND a."annotatorId" = ${annotatorId})
    ORDER BY random() LIMIT 1 FOR UPDATE OF c SKIP LOCKED`;
}

/**
 * A non-gold item that still needs labels: fewer submitted-or-held assignments than wanted, and
 * never shown to this annotator. Oldest first, so the pool drains in order. An overlap item
 * (wanted 2+) can be held by several annotators at once; a single item by one.
 */
function poolCandidateSql(roundId: string, annotatorId: string, now: Date) {
  return Prisma.sql`
    SELECT c.id, 'overlap' AS source FROM comparison c
    WHERE c."roundId" = ${roundId} AND c.status IN ('generating', 'ready', 'failed')
      AND NOT EXISTS (SELECT 1 FROM gold_item g WHERE g."comparisonId" = c.id)
      AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."comparisonId" = c.id AND a."annotatorId" = ${annotatorId})
      AND (SELECT count(*) FROM assignment a
           WHERE a."comparisonId" = c.id AND ${holds(now)}) < c."annotationsWanted"
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
