import "server-only";
// Which models an RLHF step works with, and the publishing rules.
//
// A policy is *published* when it has no round (the first policy, registered from the engine's
// loaded model) or its round is published. Only published policies are "latest" / "previous":
// a policy of a round still being worked on never samples pairs. A round may hold several
// policies (rejection sampling, then PPO); its policy is the one its evaluation judged, else the
// newest PPO policy, else its newest policy.
import path from "node:path";
import { prisma } from "@/lib/db";
import type { ModelVersion, Prisma } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";
import { DomainError } from "@/lib/server/errors";
import { ZRoundEvaluation } from "@/lib/shared/rlhf";

/** The folder a job writes into (prompts file, engine output). */
export function jobDir(jobId: string): string {
  return path.resolve(env().PAIRWISE_DATA_DIR, "jobs", jobId);
}

/** How a policy was made, as recorded in its metrics by the job that registered it. */
export function policyMethod(m: Pick<ModelVersion, "metrics">): string | null {
  const metrics = m.metrics as Record<string, unknown> | null;
  return typeof metrics?.method === "string" ? metrics.method : null;
}

/** The model name the engine serves a policy under: the first (engine-loaded) policy by its
 * name, every trained one by its folder (the engine loads policies by directory). */
export function engineModelName(
  m: Pick<ModelVersion, "name" | "parentId" | "roundId" | "artifactPath">,
) {
  return m.parentId === null && m.roundId === null ? m.name : m.artifactPath;
}

function evaluatedModelId(evaluation: Prisma.JsonValue | null): string | null {
  const parsed = ZRoundEvaluation.safeParse(evaluation);
  return parsed.success ? parsed.data.modelId : null;
}

/** Picks a round's policy from its policies (newest first). */
export function pickRoundPolicy<T extends Pick<ModelVersion, "id" | "metrics">>(
  policies: T[],
  evaluation: Prisma.JsonValue | null,
): T | null {
  const judged = evaluatedModelId(evaluation);
  return (
    (judged ? policies.find((p) => p.id === judged) : undefined) ??
    policies.find((p) => policyMethod(p) === "ppo") ??
    policies[0] ??
    null
  );
}

/** The round's policy (see the header), or null when it has none yet. */
export async function roundPolicy(roundId: string) {
  const round = await prisma.round.findUnique({
    where: { id: roundId },
    select: { evaluation: true },
  });
  if (!round) return null;
  const policies = await prisma.modelVersion.findMany({
    where: { roundId, kind: "policy" },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
  });
  return pickRoundPolicy(policies, round.evaluation);
}

/** Published policies, newest first: one per published round (its policy) plus those without a
 * round, ordered by when they were published (a round's publishedAt, else created). */
export async function publishedPolicies(): Promise<ModelVersion[]> {
  const rows = await prisma.modelVersion.findMany({
    where: { kind: "policy", OR: [{ roundId: null }, { round: { status: "published" } }] },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    include: { round: { select: { publishedAt: true, evaluation: true } } },
  });
  const byRound = new Map<string, typeof rows>();
  const entries: { model: ModelVersion; at: number }[] = [];
  for (const row of rows) {
    if (!row.roundId) entries.push({ model: row, at: row.createdAt.getTime() });
    else byRound.set(row.roundId, [...(byRound.get(row.roundId) ?? []), row]);
  }
  for (const policies of byRound.values()) {
    const picked = pickRoundPolicy(policies, policies[0]!.round?.evaluation ?? null);
    if (picked)
      entries.push({
        model: picked,
        at: (picked.round?.publishedAt ?? picked.createdAt).getTime(),
      });
  }
  entries.sort((a, b) => b.at - a.at);
  return entries.map(({ model }) => {
    const { round: _round, ...rest } = model as typeof model & { round?: unknown };
    return rest as ModelVersion;
  });
}

/** The newest policy of a round made by `method` ("rejection_sampling", "ppo"), or any. */
export async function newestRoundPolicy(roundId: string, method?: string) {
  const policies = await prisma.modelVersion.findMany({
    where: { roundId, kind: "policy" },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
  });
  return (method ? policies.find((p) => policyMethod(p) === method) : policies[0]) ?? null;
}

export async function requirePolicy(modelId: string, field: string) {
  const m = await prisma.modelVersion.findUnique({ where: { id: modelId } });
  if (!m || m.kind !== "policy")
    throw new DomainError("BAD_REQUEST", `${field}: model version ${modelId} is not a policy`);
  return m;
}

export type TRewardModels = { helpfulness: ModelVersion; safety: ModelVersion };

/** The newest helpfulness and safety reward models of the round, else the newest overall. */
export async function rewardModelsFor(roundId: string | null): Promise<TRewardModels> {
  const newest = async (kind: "reward_helpfulness" | "reward_safety") =>
    (roundId
      ? await prisma.modelVersion.findFirst({
          where: { kind, roundId },
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        })
      : null) ??
    (await prisma.modelVersion.findFirst({
      where: { kind },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    }));
  const [helpfulness, safety] = [await newest("reward_helpfulness"), await newest("reward_safety")];
  const missing = [!helpfulness && "helpfulness", !safety && "safety"].filter(Boolean);
  if (!helpfulness || !safety)
    throw new DomainError(
      "CONFLICT",
      `No ${missing.join(" or ")} reward model yet: train the reward models first (a train_reward job)`,
    );
  return { helpfulness, safety };
}

/** Which reward models a round has of its own. */
export async function roundRewardKinds(roundId: string) {
  const rows = await prisma.modelVersion.findMany({
    where: { roundId, kind: { in: ["reward_helpfulness", "reward_safety"] } },
    select: { kind: true },
  });
  return new Set(rows.map((r) => r.kind));
}

/** A unique ModelVersion name: `base`, else `base-2`, `base-3`, … */
export async function uniqueModelName(base: string) {
  const taken = new Set(
    (
      await prisma.modelVersion.findMany({
        where: { name: { startsWith: base } },
        select: { name: true },
      })
    ).map((m) => m.name),
  );
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

/**
 * Registers a policy a job trained. Idempotent by folder: an attempt that registered it and then
 * failed does not register it twice.
 */
export async function registerPolicy(args: {
  baseName: string;
  parentId: string;
  /** null for a policy trained outside a round (an SFT job launched on its own). */
  roundId: string | null;
  artifactPath: string;
  metrics: Prisma.InputJsonValue;
}) {
  const existing = await prisma.modelVersion.findFirst({
    where: { kind: "policy", artifactPath: args.artifactPath },
  });
  if (existing) return existing;
  return prisma.modelVersion.create({
    data: {
      name: await uniqueModelName(args.baseName),
      kind: "policy",
      parentId: args.parentId,
      roundId: args.roundId,
      artifactPath: args.artifactPath,
      metrics: args.metrics,
    },
  });
}
