import "server-only";
// A round's lifecycle (prisma/schema.prisma, RoundStatus):
//   draft → collecting → training_rewards → rlhf → evaluating → published; any but published → cancelled.
// Each move checks its precondition and refuses with a message; who and when is in the audit log
// (admin procedures write it) and publishedAt.
import { prisma } from "@/lib/db";
import type { RoundStatus } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/server/errors";
import { publishedPolicies } from "@/lib/server/models/policies";
import { modelKindLabel, roundStateLabel } from "@/lib/shared/messages";
import { AXES, type TAxis } from "@/lib/shared/protocol";
import {
  defaultRoundConfig,
  parseRoundConfig,
  ZRoundConfig,
  type TRoundConfig,
} from "@/lib/shared/round-config";

export const NEXT_STATUS: Partial<Record<RoundStatus, RoundStatus>> = {
  draft: "collecting",
  collecting: "training_rewards",
  training_rewards: "rlhf",
  rlhf: "evaluating",
  evaluating: "published",
};

/** The default of the round config's minAnnotationsPerAxis: non-rejected annotations a round
 * needs per axis before its reward models are trained. */
export const MIN_ANNOTATIONS_PER_AXIS = defaultRoundConfig().minAnnotationsPerAxis;

/** The configuration a new round gets when the admin gives none: side B samples the previous
 * published policy once there is one (defaultRoundConfig). */
export async function newRoundConfig(): Promise<TRoundConfig> {
  return defaultRoundConfig({ previousPolicy: (await publishedPolicies()).length >= 2 });
}

export async function createRound(name: string, config?: TRoundConfig) {
  const last = await prisma.round.findFirst({
    orderBy: { number: "desc" },
    select: { number: true },
  });
  return prisma.round.create({
    data: {
      number: (last?.number ?? 0) + 1,
      name,
      status: "draft",
      config: ZRoundConfig.parse(config ?? (await newRoundConfig())),
    },
  });
}

export async function updateRoundConfig(roundId: string, config: TRoundConfig) {
  const round = await prisma.round.findUnique({ where: { id: roundId } });
  if (!round) throw new DomainError("NOT_FOUND", "No such round");
  if (round.status !== "draft" && round.status !== "collecting") {
    throw new DomainError(
      "CONFLICT",
      `The configuration of a round that is ${roundStateLabel(round.status)} is frozen`,
    );
  }
  return prisma.round.update({
    where: { id: roundId },
    data: { config: ZRoundConfig.parse(config) },
  });
}

async function annotationsPerAxis(roundId: string) {
  const rows = await prisma.annotation.findMany({
    where: { comparison: { roundId } },
    select: {
      comparison: { select: { axis: true } },
      reviews: { orderBy: { createdAt: "desc" }, take: 1, select: { decision: true } },
    },
  });
  const counts = { helpfulness: 0, safety: 0 };
  for (const r of rows) if (r.reviews[0]?.decision !== "rejected") counts[r.comparison.axis] += 1;
  return counts;
}

/**
 * Why a round's reward models cannot be trained yet — an axis (of `axes`) with fewer non-rejected
 * annotations than the round's minimum — or null. "Finish collecting" (collecting →
 * training_rewards) and launching reward-model training refuse with this same reason.
 */
export async function collectionShortfall(
  roundId: string,
  config: unknown,
  axes: readonly TAxis[] = AXES,
): Promise<string | null> {
  const min = parseRoundConfig(config).minAnnotationsPerAxis;
  const counts = await annotationsPerAxis(roundId);
  const short = axes.filter((a) => counts[a] < min);
  return short.length
    ? `Reward models need at least ${min} non-rejected annotations per axis; ` +
        short.map((a) => `${a} has ${counts[a]}`).join(", ")
    : null;
}

/** Why the round cannot move on, or null when it can. */
async function blocker(
  roundId: string,
  from: RoundStatus,
  config: unknown,
): Promise<string | null> {
  switch (from) {
    case "draft": {
      const other = await prisma.round.findFirst({
        where: { status: "collecting", id: { not: roundId } },
      });
      return other ? `Round ${other.number} is collecting; move it on or cancel it first` : null;
    }
    case "collecting":
      return collectionShortfall(roundId, config);
    case "training_rewards": {
      const kinds = new Set(
        (await prisma.modelVersion.findMany({ where: { roundId }, select: { kind: true } })).map(
          (m) => m.kind,
        ),
      );
      const missing = (["reward_helpfulness", "reward_safety"] as const).filter(
        (k) => !kinds.has(k),
      );
      return missing.length
        ? `Train the reward models first: the ${missing.map(modelKindLabel).join(" and the ")} ${missing.length > 1 ? "are" : "is"} missing`
        : null;
    }
    case "rlhf": {
      const policy = await prisma.modelVersion.findFirst({ where: { roundId, kind: "policy" } });
      return policy ? null : "No new policy yet: run rejection sampling or PPO for this round";
    }
    case "evaluating": {
      const round = await prisma.round.findUniqueOrThrow({ where: { id: roundId } });
      return round.evaluation ? null : "Evaluate the new policy against the previous one first";
    }
    default:
      return `A round that is ${roundStateLabel(from)} has no next step`;
  }
}

export async function advanceRound(roundId: string, now: Date) {
  const round = await prisma.round.findUnique({ where: { id: roundId } });
  if (!round) throw new DomainError("NOT_FOUND", "No such round");
  const to = NEXT_STATUS[round.status];
  if (!to)
    throw new DomainError(
      "CONFLICT",
      `A round that is ${roundStateLabel(round.status)} has no next step`,
    );
  const why = await blocker(roundId, round.status, round.config);
  if (why) throw new DomainError("CONFLICT", why);
  // Conditional on the status read above, so two admins clicking at once move it once.
  const { count } = await prisma.round.updateMany({
    where: { id: roundId, status: round.status },
    data: { status: to, ...(to === "published" ? { publishedAt: now } : {}) },
  });
  if (count === 0) throw new DomainError("CONFLICT", "The round changed meanwhile; reload");
  return { id: roundId, from: round.status, status: to };
}

export async function cancelRound(roundId: string) {
  const round = await prisma.round.findUnique({ where: { id: roundId } });
  if (!round) throw new DomainError("NOT_FOUND", "No such round");
  if (round.status === "published" || round.status === "cancelled") {
    throw new DomainError(
      "CONFLICT",
      `A round that is ${roundStateLabel(round.status)} cannot be cancelled`,
    );
  }
  await prisma.round.update({ where: { id: roundId }, data: { status: "cancelled" } });
  return { id: roundId, status: "cancelled" as const };
}

/**
 * What keeps a round from its next move, in the words "move" would refuse with (null when the
 * move would be accepted now, or when the round has no next step). The overview shows it.
 */
export async function nextMoveBlocker(round: {
  id: string;
  status: RoundStatus;
  config: unknown;
}): Promise<string | null> {
  return NEXT_STATUS[round.status] ? blocker(round.id, round.status, round.config) : null;
}
