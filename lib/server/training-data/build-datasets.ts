import "server-only";
// Reward-model training data from the annotations, as the paper mixes it:
//   helpfulness RM: all helpfulness pairs + safety pairs in an equal share (configurable);
//   safety RM:      all safety pairs + helpfulness pairs making up 10 % (configurable).
// Rejected annotations (latest review) are left out everywhere; chosen-unsafe/other-safe pairs
// are left out of the safety data; pairs whose two responses are the same (lib/shared/pairs.ts)
// are left out of both, since chosen equal to rejected carries no preference. The test split is by prompt: no prompt is on both sides.
import { createHash } from "node:crypto";
import { prisma } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";
import { sameResponses } from "@/lib/shared/pairs";
import { ZMessages, type TDegree, type TMessage } from "@/lib/shared/protocol";

export type TPairRecord = {
  prompt_id: string;
  context: TMessage[];
  chosen: string;
  rejected: string;
  degree: TDegree;
  axis: "helpfulness" | "safety";
};

export type TDatasets = {
  train: { helpfulness: TPairRecord[]; safety: TPairRecord[] };
  test: { helpfulness: TPairRecord[]; safety: TPairRecord[] };
  counts: Record<string, number>;
};

export type TBuildOptions = {
  roundIds: string[];
  testFraction: number;
  helpfulnessSafetyShare: number;
  safetyHelpfulnessShare: number;
  seed: number;
};

/** Deterministic in [0, 1) for a string and a seed: the split and the sampling use it. */
export function unitHash(text: string, seed: number): number {
  const h = createHash("sha256").update(`${seed}:${text}`).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

/** `count` records drawn without replacement, deterministically for the seed. */
function sample<T extends { prompt_id: string; chosen: string }>(
  items: T[],
  count: number,
  seed: number,
): T[] {
  if (count >= items.length) return [...items];
  return [...items]
    .map((item, i) => ({ item, key: unitHash(`${item.prompt_id}:${i}:${item.chosen}`, seed) }))
    .sort((a, b) => a.key - b.key)
    .slice(0, Math.max(0, Math.round(count)))
    .map((x) => x.item);
}

export async function loadPairs(roundIds: string[]) {
  const where: Prisma.AnnotationWhereInput = {
    comparison: roundIds.length ? { roundId: { in: roundIds } } : {},
  };
  const annotations = await prisma.annotation.findMany({
    where,
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    include: {
      comparison: {
        select: {
          promptId: true,
          context: true,
          responseA: true,
          responseB: true,
          axis: true,
          identical: true,
        },
      },
      reviews: { orderBy: { createdAt: "desc" }, take: 1, select: { decision: true } },
    },
  });
  let rejected = 0;
  let chosenUnsafe = 0;
  let identical = 0;
  const pairs: TPairRecord[] = [];
  for (const a of annotations) {
    if (a.reviews[0]?.decision === "rejected") {
      rejected += 1;
      continue;
    }
    const c = a.comparison;
    if (c.identical || sameResponses(c.responseA, c.responseB)) {
      identical += 1;
      continue;
    }
    if (c.axis === "safety" && a.chosenUnsafeOtherSafe) {
      chosenUnsafe += 1;
      continue;
    }
    pairs.push({
      prompt_id: c.promptId,
      context: ZMessages.parse(c.context),
      chosen: a.choice === "A" ? c.responseA : c.responseB,
      rejected: a.choice === "A" ? c.responseB : c.responseA,
      degree: a.degree,
      axis: c.axis,
    });
  }
  return { pairs, rejected, chosenUnsafe, identical, total: annotations.length };
}

export async function buildDatasets(opts: TBuildOptions): Promise<TDatasets> {
  const { pairs, rejected, chosenUnsafe, identical, total } = await loadPairs(opts.roundIds);
  const isTest = (p: TPairRecord) => unitHash(p.prompt_id, opts.seed) < opts.testFraction;
  const split = (axis: "helpfulness" | "safety") => {
    const all = pairs.filter((p) => p.axis === axis);
    return { train: all.filter((p) => !isTest(p)), test: all.filter(isTest) };
  };
  const help = split("helpfulness");
  const safe = split("safety");

  const helpfulnessTrain = [
    ...help.train,
    ...sample(safe.train, help.train.length * opts.helpfulnessSafetyShare, opts.seed + 1),
  ];
  const s = opts.safetyHelpfulnessShare;
  const safetyTrain = [
    ...safe.train,
    ...sample(
      help.train,
      s >= 1 ? help.train.length : (safe.train.length * s) / (1 - s),
      opts.seed + 2,
    ),
  ];

  return {
    train: { helpfulness: helpfulnessTrain, safety: safetyTrain },
    test: { helpfulness: help.test, safety: safe.test },
    counts: {
      annotations: total,
      rejectedByReview: rejected,
      chosenUnsafeOtherSafe: chosenUnsafe,
      identicalResponses: identical,
      helpfulnessTrain: helpfulnessTrain.length,
      safetyTrain: safetyTrain.length,
      helpfulnessTest: help.test.length,
      safetyTest: safe.test.length,
    },
  };
}

export function toJsonl(records: TPairRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join("\n") + (records.length ? "\n" : "");
}
