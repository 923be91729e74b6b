import "server-only";
// The prompts an RLHF job trains or evaluates on, and the rejection-sampling pool across rounds.
//
// Pool: the first user turns (Prompt rows) of the comparisons of this round and all earlier ones,
// topped up with queued prompts the round has not used when there are too few, then drawn to the
// wanted count deterministically for the seed. Prompts tagged HELDOUT_TAG (held-out evaluation
// prompts queued for the human side-by-side) never enter it.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { prisma } from "@/lib/db";
import { DomainError } from "@/lib/server/errors";
import { unitHash } from "@/lib/server/training-data/build-datasets";
import { jobDir } from "./models";
import { storedResult } from "@/lib/shared/jobs";

/** Tag on prompts that evaluate policies and must not be trained on. */
export const HELDOUT_TAG = "heldout-eval";

export type TPromptRow = {
  id: string;
  messages: { role: "user"; content: string }[];
  is_safety: boolean;
};

type TPromptRecord = { id: string; text: string; isSafety: boolean; riskCategory: string | null };

function toRow(p: TPromptRecord): TPromptRow {
  return {
    id: p.id,
    messages: [{ role: "user", content: p.text }],
    is_safety: p.isSafety || p.riskCategory !== null,
  };
}

/** `count` of `items` drawn without replacement, the same for the same seed. */
export function drawPrompts<T extends { id: string }>(
  items: T[],
  count: number,
  seed: number,
): T[] {
  return [...items]
    .map((item) => ({ item, key: unitHash(item.id, seed) }))
    .sort((a, b) => a.key - b.key || (a.item.id < b.item.id ? -1 : 1))
    .slice(0, count)
    .map((x) => x.item);
}

const SELECT = { id: true, text: true, isSafety: true, riskCategory: true } as const;

/** Rounds up to and including this one (cancelled ones left out), oldest first. */
async function roundsSoFar(roundId: string) {
  const round = await prisma.round.findUnique({ where: { id: roundId } });
  if (!round) throw new DomainError("NOT_FOUND", `No round ${roundId}`);
  const rounds = await prisma.round.findMany({
    where: { number: { lte: round.number }, status: { not: "cancelled" } },
    select: { id: true },
  });
  return { round, ids: [...new Set([...rounds.map((r) => r.id), round.id])] };
}

/** The prompt pool for a round's rejection sampling or PPO, drawn to `count`. */
export async function promptPool(roundId: string, count: number, seed: number) {
  const { round, ids } = await roundsSoFar(roundId);
  const fromComparisons = await prisma.prompt.findMany({
    where: {
      comparisons: { some: { roundId: { in: ids } } },
      NOT: { tags: { has: HELDOUT_TAG } },
    },
    select: SELECT,
    orderBy: { id: "asc" },
  });
  let pool: TPromptRecord[] = fromComparisons;
  let queued = 0;
  if (pool.length < count) {
    const extra = await prisma.prompt.findMany({
      where: {
        id: { notIn: pool.map((p) => p.id) },
        dialogues: { none: { roundId: round.id } },
        NOT: { tags: { has: HELDOUT_TAG } },
      },
      orderBy: [{ curriculumOrder: { sort: "asc", nulls: "last" } }, { createdAt: "asc" }],
      take: count - pool.length,
      select: SELECT,
    });
    queued = extra.length;
    pool = [...pool, ...extra];
  }
  if (pool.length === 0)
    throw new DomainError(
      "CONFLICT",
      `No prompts for round ${round.number}: collect comparisons in it or queue prompts first`,
    );
  return {
    rows: drawPrompts(pool, count, seed).map(toRow),
    fromComparisons: fromComparisons.length,
    queued,
  };
}

export function promptsJsonl(rows: TPromptRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
}

export async function writePromptsFile(jobId: string, rows: TPromptRow[]) {
  const file = path.join(jobDir(jobId), "prompts.jsonl");
  await writeFile(file, promptsJsonl(rows));
  return file;
}

/** Prompt ids in a job's prompts file (empty when it has none). */
async function promptIdsOfJob(jobId: string): Promise<string[]> {
  try {
    const text = await readFile(path.join(jobDir(jobId), "prompts.jsonl"), "utf8");
    return text
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { id: string }).id);
  } catch {
    return [];
  }
}

/** Prompts of this round's comparisons that none of its rejection-sampling or PPO jobs trained
 * on, drawn to `count`: the "round" evaluation set. */
export async function unusedRoundPrompts(roundId: string, count: number, seed: number) {
  const jobs = await prisma.job.findMany({
    where: { roundId, kind: { in: ["rejection_sampling", "ppo"] }, state: { not: "cancelled" } },
    select: { id: true },
  });
  const used = new Set((await Promise.all(jobs.map((j) => promptIdsOfJob(j.id)))).flat());
  const prompts = await prisma.prompt.findMany({
    where: { comparisons: { some: { roundId } }, NOT: { tags: { has: HELDOUT_TAG } } },
    select: SELECT,
    orderBy: { id: "asc" },
  });
  const unused = prompts.filter((p) => !used.has(p.id));
  if (unused.length === 0)
    throw new DomainError(
      "CONFLICT",
      prompts.length
        ? "Every prompt of this round was used for rejection sampling or PPO: evaluate on promptSet demo_heldout, or collect more comparisons"
        : "This round has no prompts to evaluate on: evaluate on promptSet demo_heldout",
    );
  return drawPrompts(unused, count, seed).map(toRow);
}

/**
 * best.jsonl of earlier rounds' rejection sampling (the newest succeeded job of each earlier,
 * non-cancelled round), oldest round first: the fine-tuning pool covers every round so far.
 * Files that no longer exist are reported in `missing` and left out.
 */
export async function earlierBestFiles(roundId: string) {
  const round = await prisma.round.findUnique({ where: { id: roundId } });
  if (!round) throw new DomainError("NOT_FOUND", `No round ${roundId}`);
  const jobs = await prisma.job.findMany({
    where: {
      kind: "rejection_sampling",
      state: "succeeded",
      round: { number: { lt: round.number }, status: { not: "cancelled" } },
    },
    orderBy: [{ finishedAt: "desc" }, { id: "desc" }],
    include: { round: { select: { number: true } } },
  });
  const perRound = new Map<number, string>();
  for (const j of jobs) {
    const file = storedResult("rejection_sampling", j.result)?.bestFile;
    if (file && j.round && !perRound.has(j.round.number)) perRound.set(j.round.number, file);
  }
  const ordered = [...perRound.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
  return {
    files: ordered.filter((f) => existsSync(f)),
    missing: ordered.filter((f) => !existsSync(f)),
  };
}
