import "server-only";
// Read-side queries of the admin dashboard's round page: one round with its models, its
// collection statistics (progress per axis against the targets, the distributions of degree and
// of safety label, agreement on overlap pairs, annotations over time), its jobs, and the history
// of evaluations across rounds (the paper's Figure 11). "Counted" annotations are the ones whose
// latest review is not a rejection — the same rule the lifecycle's precondition uses.
import { issuesMessage } from "@/lib/shared/messages";
import { prisma } from "@/lib/db";
import { DomainError } from "@/lib/server/errors";
import { DEGREES, SAFETY_LABELS, type TDegree, type TSafetyLabel } from "@/lib/shared/protocol";
import { ZRoundEvaluation, type TRoundEvaluation } from "@/lib/shared/rlhf";
import { defaultRoundConfig, ZRoundConfig, type TRoundConfig } from "@/lib/shared/round-config";

const AXES = ["helpfulness", "safety"] as const;
type TAxis = (typeof AXES)[number];

/** The stored configuration, or the defaults (with the problem named) when a row does not parse. */
function roundConfig(value: unknown): { config: TRoundConfig; configError: string | null } {
  const parsed = ZRoundConfig.safeParse(value);
  if (parsed.success) return { config: parsed.data, configError: null };
  return {
    config: defaultRoundConfig(),
    configError: issuesMessage(parsed.error.issues),
  };
}

function evaluation(value: unknown): TRoundEvaluation | null {
  const parsed = ZRoundEvaluation.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** One round with its configuration (validated), evaluation (validated) and model versions. */
export async function getRound(roundId: string) {
  const round = await prisma.round.findUnique({
    where: { id: roundId },
    include: {
      createdBy: { select: { email: true } },
      models: {
        orderBy: { createdAt: "desc" },
        select: {
          id: true,
          name: true,
          kind: true,
          artifactPath: true,
          metrics: true,
          createdAt: true,
          parent: { select: { name: true } },
        },
      },
    },
  });
  if (!round) throw new DomainError("NOT_FOUND", "No such round");
  const { config, configError } = roundConfig(round.config);
  return {
    ...round,
    config,
    configError,
    evaluation: evaluation(round.evaluation),
    editable: round.status === "draft" || round.status === "collecting",
  };
}

export type TAxisProgress = {
  axis: TAxis;
  /** Non-rejected annotations. */
  counted: number;
  approved: number;
  rejected: number;
  target: number;
  /** What the lifecycle needs before reward-model training. */
  minimum: number;
};

export type TRoundStats = {
  progress: TAxisProgress[];
  comparisons: { status: string; n: number }[];
  /** Counted annotations by degree, per axis. */
  degrees: { degree: TDegree; helpfulness: number; safety: number }[];
  /** Counted safety-axis annotations by safety label; "chosen_unsafe_other_safe" is the
   * case the paper drops from the safety reward model's data. */
  safetyLabels: { label: TSafetyLabel | "chosen_unsafe_other_safe" | "none"; n: number }[];
  /** Pairs of counted annotations of the same (non-gold) comparison by two annotators. */
  agreement: { axis: TAxis; pairs: number; agree: number; rate: number | null }[];
  /** Counted annotations per time bucket and axis, oldest first. */
  timeline: {
    bucket: "minute" | "hour" | "day";
    points: { t: string; helpfulness: number; safety: number }[];
  };
  annotators: number;
  /**
   * Identical pairs: side-B resamples run because the two responses were the same, comparisons
   * dropped because they stayed the same, and stored pairs with identical responses (from before
   * resampling existed, or a round with resamples set to 0).
   */
  duplicates: { resamples: number; dropped: number; identicalStored: number; sampled: number };
};

/** Collection statistics of one round. */
export async function roundStats(roundId: string): Promise<TRoundStats> {
  const round = await prisma.round.findUnique({
    where: { id: roundId },
    select: { config: true },
  });
  if (!round) throw new DomainError("NOT_FOUND", "No such round");
  const { config } = roundConfig(round.config);

  // Each annotation of the round with its latest review decision, grouped small enough to return
  // every combination: axis × degree × safety label × chosen-unsafe flag × decision.
  const [groups, comparisons, agreement, span, annotators] = await Promise.all([
    prisma.$queryRaw<
      {
        axis: TAxis;
        degree: TDegree;
        safetyLabel: TSafetyLabel | null;
        cuos: boolean;
        decision: "approved" | "rejected" | null;
        n: bigint;
      }[]
    >`
      SELECT c.axis::text AS axis, a.degree::text AS degree, a."safetyLabel"::text AS "safetyLabel",
        a."chosenUnsafeOtherSafe" AS cuos, lr.decision::text AS decision, count(*) AS n
      FROM annotation a
      JOIN comparison c ON c.id = a."comparisonId"
      LEFT JOIN LATERAL (
        SELECT r.decision FROM review r WHERE r."annotationId" = a.id
        ORDER BY r."createdAt" DESC LIMIT 1) lr ON true
      WHERE c."roundId" = ${roundId}
      GROUP BY 1, 2, 3, 4, 5`,
    prisma.comparison.groupBy({ by: ["status"], where: { roundId }, _count: { _all: true } }),
    prisma.$queryRaw<{ axis: TAxis; pairs: bigint; agree: bigint }[]>`
      WITH counted AS (
        SELECT a.id, a."comparisonId", a."annotatorId", a.choice, c.axis
        FROM annotation a JOIN comparison c ON c.id = a."comparisonId"
        WHERE c."roundId" = ${roundId}
          AND NOT EXISTS (SELECT 1 FROM gold_item g WHERE g."comparisonId" = c.id)
          AND coalesce((SELECT r.decision::text FROM review r WHERE r."annotationId" = a.id
                        ORDER BY r."createdAt" DESC LIMIT 1), '') <> 'rejected')
      SELECT x.axis::text AS axis, count(*) AS pairs,
        count(*) FILTER (WHERE x.choice = y.choice) AS agree
      FROM counted x JOIN counted y
        ON x."comparisonId" = y."comparisonId" AND x.id < y.id AND x."annotatorId" <> y."annotatorId"
      GROUP BY 1`,
    prisma.$queryRaw<{ first: Date | null; last: Date | null }[]>`
      SELECT min(a."createdAt") AS first, max(a."createdAt") AS last
      FROM annotation a JOIN comparison c ON c.id = a."comparisonId" WHERE c."roundId" = ${roundId}`,
    prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(DISTINCT a."annotatorId") AS n
      FROM annotation a JOIN comparison c ON c.id = a."comparisonId" WHERE c."roundId" = ${roundId}`,
  ]);

  const progress = AXES.map((axis): TAxisProgress => {
    let counted = 0;
    let approved = 0;
    let rejected = 0;
    for (const g of groups) {
      if (g.axis !== axis) continue;
      const n = Number(g.n);
      if (g.decision === "rejected") rejected += n;
      else counted += n;
      if (g.decision === "approved") approved += n;
    }
    return {
      axis,
      counted,
      approved,
      rejected,
      target: config.targets[axis],
      minimum: config.minAnnotationsPerAxis,
    };
  });

  const kept = groups.filter((g) => g.decision !== "rejected");
  const degrees = DEGREES.map((degree) => {
    const row = { degree, helpfulness: 0, safety: 0 };
    for (const g of kept) if (g.degree === degree) row[g.axis] += Number(g.n);
    return row;
  });
  const safetyCounts = new Map<string, number>();
  for (const g of kept) {
    if (g.axis !== "safety") continue;
    const label = g.cuos ? "chosen_unsafe_other_safe" : (g.safetyLabel ?? "none");
    safetyCounts.set(label, (safetyCounts.get(label) ?? 0) + Number(g.n));
  }
  const safetyLabels = ([...SAFETY_LABELS, "chosen_unsafe_other_safe", "none"] as const).map(
    (label) => ({ label, n: safetyCounts.get(label) ?? 0 }),
  );

  const agreementRows = AXES.map((axis) => {
    const row = agreement.find((a) => a.axis === axis);
    const pairs = Number(row?.pairs ?? 0);
    const agree = Number(row?.agree ?? 0);
    return { axis, pairs, agree, rate: pairs ? agree / pairs : null };
  });

  const [dup, identicalStored] = await Promise.all([
    prisma.comparison.aggregate({ where: { roundId }, _sum: { resamples: true } }),
    prisma.comparison.count({ where: { roundId, identical: true } }),
  ]);
  const byStatus = new Map(comparisons.map((c) => [c.status as string, c._count._all]));
  return {
    progress,
    duplicates: {
      resamples: dup._sum.resamples ?? 0,
      dropped: byStatus.get("dropped") ?? 0,
      identicalStored,
      sampled:
        (byStatus.get("ready") ?? 0) +
        (byStatus.get("complete") ?? 0) +
        (byStatus.get("dropped") ?? 0),
    },
    comparisons: comparisons.map((c) => ({ status: c.status, n: c._count._all })),
    degrees,
    safetyLabels,
    agreement: agreementRows,
    timeline: await timeline(roundId, span[0]?.first ?? null, span[0]?.last ?? null),
    annotators: Number(annotators[0]?.n ?? 0),
  };
}

/** The bucket that keeps a span of time under ~120 points. */
export function timeBucket(first: Date, last: Date): "minute" | "hour" | "day" {
  const minutes = (last.getTime() - first.getTime()) / 60_000;
  if (minutes <= 120) return "minute";
  if (minutes <= 120 * 60) return "hour";
  return "day";
}

async function timeline(
  roundId: string,
  first: Date | null,
  last: Date | null,
): Promise<TRoundStats["timeline"]> {
  if (!first || !last) return { bucket: "hour", points: [] };
  const bucket = timeBucket(first, last);
  const rows = await prisma.$queryRaw<{ t: Date; axis: TAxis; n: bigint }[]>`
    SELECT date_trunc(${bucket}::text, a."createdAt") AS t, c.axis::text AS axis, count(*) AS n
    FROM annotation a
    JOIN comparison c ON c.id = a."comparisonId"
    WHERE c."roundId" = ${roundId}
      AND coalesce((SELECT r.decision::text FROM review r WHERE r."annotationId" = a.id
                    ORDER BY r."createdAt" DESC LIMIT 1), '') <> 'rejected'
    GROUP BY 1, 2 ORDER BY 1`;
  const byTime = new Map<string, { t: string; helpfulness: number; safety: number }>();
  for (const r of rows) {
    const t = new Date(r.t).toISOString();
    const point = byTime.get(t) ?? { t, helpfulness: 0, safety: 0 };
    point[r.axis] += Number(r.n);
    byTime.set(t, point);
  }
  return { bucket, points: [...byTime.values()] };
}

/** The round's jobs, newest first, with their log tails. */
export async function roundJobs(roundId: string) {
  return prisma.job.findMany({
    where: { roundId },
    orderBy: { createdAt: "desc" },
    take: 50,
    include: { createdBy: { select: { email: true } }, round: { select: { number: true } } },
  });
}

/** Every round's evaluation in order: win rates with intervals and the oracle safety rates. */
export async function roundHistory() {
  const rounds = await prisma.round.findMany({
    orderBy: { number: "asc" },
    select: { id: true, number: true, name: true, status: true, evaluation: true },
  });
  return rounds.map((r) => ({
    id: r.id,
    number: r.number,
    name: r.name,
    status: r.status,
    evaluation: evaluation(r.evaluation),
  }));
}
