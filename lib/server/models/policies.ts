import "server-only";
// What a policy is, in one place: the policy ModelVersions, which of them are published, the
// current ("latest") and previous policy, how a round variant's model resolves, the one "is this
// id a policy?" check, the registration of a newly trained version, and the first policy.
//
// A policy is *published* when it has no round (the first policy, registered from the engine's
// loaded model) or its round is published. Only published policies are "latest" / "previous":
// a policy of a round still being worked on never samples pairs. A round may hold several
// policies (SFT, rejection sampling, then PPO); its policy is the one its evaluation judged, else
// the newest PPO policy, else its newest policy.
//
// The first policy is registered once at start (the worker does it when it starts, after the
// engine: scripts/worker.ts); the sampling and training paths register it too when the engine was
// down then. Read queries (the lineage tree) never create it.
import { prisma } from "@/lib/db";
import type { ModelVersion, Prisma } from "@/lib/generated/prisma/client";
import { loadedPolicy } from "@/lib/server/annotation/engine-stream";
import { DomainError } from "@/lib/server/errors";
import type { TVariant } from "@/lib/shared/round-config";
import { ZRoundEvaluation } from "@/lib/shared/rlhf";

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

/** The policy `modelId`, or a BAD_REQUEST naming `field`: the one "is this id a policy?" check. */
export async function requirePolicy(modelId: string, field: string) {
  const m = await prisma.modelVersion.findUnique({ where: { id: modelId } });
  if (!m || m.kind !== "policy")
    throw new DomainError("BAD_REQUEST", `${field}: model version ${modelId} is not a policy`);
  return m;
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

/** The newest policy of a round made by `method` ("rejection_sampling", "ppo"), or any. */
export async function newestRoundPolicy(roundId: string, method?: string) {
  const policies = await prisma.modelVersion.findMany({
    where: { roundId, kind: "policy" },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
  });
  return (method ? policies.find((p) => policyMethod(p) === method) : policies[0]) ?? null;
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

/** Registers the engine's loaded model as the first policy version (idempotent by name). */
export async function registerFirstPolicy(): Promise<ModelVersion> {
  const engine = await loadedPolicy();
  return prisma.modelVersion.upsert({
    where: { name: engine.id },
    update: {},
    create: { name: engine.id, kind: "policy", artifactPath: engine.path, metrics: {} },
  });
}

/**
 * At start: registers the first policy when there is none. Waits at most `waitMs` for the
 * engine; an engine that is down leaves it to the first sampling or training that needs it.
 */
export async function ensureFirstPolicy(waitMs = 10_000): Promise<void> {
  if ((await prisma.modelVersion.count({ where: { kind: "policy" } })) > 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    registerFirstPolicy().catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
  ]);
  clearTimeout(timer);
}

/** The newest two published policies, newest first (at least one: the first policy). */
export async function latestPolicies(): Promise<ModelVersion[]> {
  const list = (await publishedPolicies()).slice(0, 2);
  return list.length > 0 ? list : [await registerFirstPolicy()];
}

/** The newest published policy: what annotators sample as "latest", what RLHF improves on. */
export async function currentPolicy(): Promise<ModelVersion> {
  const [latest] = await latestPolicies();
  return latest!;
}

/** The policy a training job starts from: the given one, else the current policy. */
export async function resolveBasePolicy(modelId?: string, field = "baseModelId") {
  return modelId ? requirePolicy(modelId, field) : currentPolicy();
}

export type TResolvedModel = { id: string; engineModel: string };

/** The models a round's two variants sample from: "latest", "previous" or a published policy. */
export async function resolvePolicyModels(
  variants: [TVariant, TVariant],
): Promise<[TResolvedModel, TResolvedModel]> {
  const [latest, previous] = await latestPolicies();
  const resolve = async (v: TVariant): Promise<TResolvedModel> => {
    if (v.model === "latest") return { id: latest!.id, engineModel: engineModelName(latest!) };
    if (v.model === "previous") {
      const m = previous ?? latest!;
      return { id: m.id, engineModel: engineModelName(m) };
    }
    const m = await requirePolicy(v.model, "model");
    const round = m.roundId
      ? await prisma.round.findUnique({
          where: { id: m.roundId },
          select: { number: true, status: true },
        })
      : null;
    // A policy of a round still being worked on never samples pairs.
    if (round && round.status !== "published")
      throw new DomainError(
        "CONFLICT",
        `${m.name} belongs to round ${round.number}, which is not published yet: publish it or pick another policy`,
      );
    return { id: m.id, engineModel: engineModelName(m) };
  };
  return [await resolve(variants[0]), await resolve(variants[1])];
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
