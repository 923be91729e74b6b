import "server-only";
// The admin overview in one read: the round being worked on (progress per axis and what keeps it
// from its next move, in the lifecycle's own words), running and recently failed jobs, the newest
// models with their Table 8 average or win rate, and the annotators who need attention. Each part
// comes from the domain that owns it; nothing is recomputed here.
import { prisma } from "@/lib/db";
import { evaluationsByModel, table8Averages } from "@/lib/server/models/lineage";
import { roundStats, type TAxisProgress } from "@/lib/server/rounds/stats";
import { nextMoveBlocker, NEXT_STATUS } from "@/lib/server/rounds/transitions";
import { listAnnotators } from "@/lib/server/users/annotators";
import { hasLowGoldAccuracy, isPositionBiased } from "@/lib/shared/annotator-flags";
import type { TJobKind } from "@/lib/shared/jobs";

/** Failed jobs older than this are history, not news. */
const FAILED_WINDOW_MS = 7 * 24 * 3600 * 1000;

export type TOverviewRound = {
  id: string;
  number: number;
  name: string;
  status: string;
  /** The status it would move to next, or null. */
  next: string | null;
  progress: TAxisProgress[];
  /** Why "move on" would be refused now; null when it would be accepted. */
  blocker: string | null;
};

export type TOverviewJob = {
  id: string;
  kind: TJobKind;
  state: "queued" | "running" | "failed";
  progress: number;
  phase: string | null;
  etaSeconds: number | null;
  error: string | null;
  round: number | null;
  roundId: string | null;
  at: Date;
};

export type TOverviewModel = {
  id: string;
  name: string;
  kind: "policy" | "reward_helpfulness" | "reward_safety";
  round: number | null;
  createdAt: Date;
  /** Reward models: the Table 8 average per test set. */
  table8: {
    helpfulness?: { accuracy?: number; n: number };
    safety?: { accuracy?: number; n: number };
  } | null;
  /** Policies: the latest evaluation's win rate by the reward models (and the oracle). */
  winRate: { round: number; rewardModel: number; oracle: number | null; n: number } | null;
};

export type TOverviewAnnotator = {
  id: string;
  email: string;
  count: number;
  goldAccuracy: number | null;
  goldItems: number;
  leftShare: number | null;
  biased: boolean;
  lowGold: boolean;
};

export type TAdminOverview = {
  round: TOverviewRound | null;
  jobs: TOverviewJob[];
  models: TOverviewModel[];
  attention: TOverviewAnnotator[];
};

/** The collecting round, else the newest round still under way (draft … evaluating). */
async function currentRound(): Promise<TOverviewRound | null> {
  const round =
    (await prisma.round.findFirst({
      where: { status: "collecting" },
      orderBy: { number: "desc" },
    })) ??
    (await prisma.round.findFirst({
      where: { status: { notIn: ["published", "cancelled"] } },
      orderBy: { number: "desc" },
    }));
  if (!round) return null;
  const [stats, blocker] = await Promise.all([roundStats(round.id), nextMoveBlocker(round)]);
  return {
    id: round.id,
    number: round.number,
    name: round.name,
    status: round.status,
    next: NEXT_STATUS[round.status] ?? null,
    progress: stats.progress,
    blocker,
  };
}

export async function adminOverview(now: Date): Promise<TAdminOverview> {
  const [round, jobs, models, rounds, annotators] = await Promise.all([
    currentRound(),
    prisma.job.findMany({
      where: {
        OR: [
          { state: { in: ["queued", "running"] } },
          { state: "failed", finishedAt: { gte: new Date(now.getTime() - FAILED_WINDOW_MS) } },
        ],
      },
      orderBy: { createdAt: "desc" },
      take: 20,
      include: { round: { select: { number: true } } },
    }),
    prisma.modelVersion.findMany({
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: 6,
      include: { round: { select: { number: true } } },
    }),
    prisma.round.findMany({ select: { number: true, evaluation: true } }),
    listAnnotators({}),
  ]);
  const evaluations = evaluationsByModel(rounds);
  const stateOrder = { running: 0, queued: 1, failed: 2 } as const;
  return {
    round,
    jobs: jobs
      .filter((j): j is typeof j & { state: TOverviewJob["state"] } =>
        ["queued", "running", "failed"].includes(j.state),
      )
      .map((j) => ({
        id: j.id,
        kind: j.kind as TJobKind,
        state: j.state,
        progress: j.progress,
        phase: j.phase,
        etaSeconds: j.etaSeconds,
        error: j.error,
        round: j.round?.number ?? null,
        roundId: j.roundId,
        at: j.finishedAt ?? j.startedAt ?? j.createdAt,
      }))
      .sort((a, b) => stateOrder[a.state] - stateOrder[b.state]),
    models: models.map((m) => {
      const e = m.kind === "policy" ? evaluations.get(m.id) : undefined;
      return {
        id: m.id,
        name: m.name,
        kind: m.kind,
        round: m.round?.number ?? null,
        createdAt: m.createdAt,
        table8: table8Averages(m.kind, m.metrics),
        winRate: e
          ? {
              round: e.round,
              rewardModel: e.rewardModel.winRate,
              oracle: e.oracle?.winRate ?? null,
              n: e.rewardModel.n,
            }
          : null,
      };
    }),
    attention: annotators
      .filter((a) => !a.disabled)
      .map((a) => ({
        id: a.id,
        email: a.email,
        count: a.count,
        goldAccuracy: a.goldAccuracy,
        goldItems: a.goldItems,
        leftShare: a.leftShare,
        biased: isPositionBiased(a),
        lowGold: hasLowGoldAccuracy(a),
      }))
      .filter((a) => a.biased || a.lowGold),
  };
}
