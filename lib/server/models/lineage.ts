import "server-only";
// Model versions as a lineage tree from the first policy: each policy with the reward models
// trained from it and the policies fine-tuned from it, with a summary of its metrics (Table 8
// averages for reward models; the round evaluation's win rates for policies) and whether its
// checkpoint can be downloaded.
import { prisma } from "@/lib/db";
import { resolveCheckpoint } from "@/lib/server/export/models";
import { modelArtifacts } from "@/lib/server/models/download";
import { ZTable8 } from "@/lib/shared/reward-metrics";
import { ZRoundEvaluation, type TRoundEvaluation } from "@/lib/shared/rlhf";

export type TModelKind = "policy" | "reward_helpfulness" | "reward_safety";

export type TLineageNode = {
  id: string;
  name: string;
  kind: TModelKind;
  parentId: string | null;
  parentName: string | null;
  round: number | null;
  createdAt: Date;
  artifactPath: string;
  /** null when the checkpoint can be downloaded, else why not. */
  notDownloadable: string | null;
  /** "full" | "lora" when the job that made it recorded it (older versions: null). */
  trainingMethod: string | null;
  /** LoRA with a merged checkpoint saved: its folder and whether it can be downloaded
   * (`?variant=merged`); the artifact path is then the PEFT adapter folder. */
  merged: { path: string; notDownloadable: string | null } | null;
  /** Reward models: average accuracy per test set (Table 8's last column), with n. */
  table8: {
    helpfulness?: { accuracy?: number; n: number };
    safety?: { accuracy?: number; n: number };
  } | null;
  /** Policies: the evaluation of this policy against its baseline, when a round stored one. */
  evaluation: (TRoundEvaluation & { round: number }) | null;
  /** Top-level numbers of the metrics its job wrote (loss, mean reward, …). */
  numbers: { key: string; value: number }[];
  metrics: unknown;
  children: TLineageNode[];
};

const KIND_ORDER: Record<TModelKind, number> = {
  policy: 0,
  reward_helpfulness: 1,
  reward_safety: 2,
};

function numbersOf(metrics: unknown): { key: string; value: number }[] {
  if (!metrics || typeof metrics !== "object" || Array.isArray(metrics)) return [];
  return Object.entries(metrics as Record<string, unknown>)
    .filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]))
    .slice(0, 8)
    .map(([key, value]) => ({ key, value }));
}

/** A reward model's Table 8 averages per test set (null for a policy or without Table 8). */
export function table8Averages(kind: TModelKind, metrics: unknown): TLineageNode["table8"] {
  const t8 = ZTable8.safeParse((metrics as { table8?: unknown } | null)?.table8);
  return kind !== "policy" && t8.success
    ? {
        ...(t8.data.helpfulness?.average ? { helpfulness: t8.data.helpfulness.average } : {}),
        ...(t8.data.safety?.average ? { safety: t8.data.safety.average } : {}),
      }
    : null;
}

/** Each evaluated policy's latest evaluation (by round number), keyed by the policy's id. */
export function evaluationsByModel(
  rounds: { number: number; evaluation: unknown }[],
): Map<string, TRoundEvaluation & { round: number }> {
  const evaluations = new Map<string, TRoundEvaluation & { round: number }>();
  for (const r of rounds) {
    if (r.evaluation === null) continue;
    const parsed = ZRoundEvaluation.safeParse(r.evaluation);
    if (!parsed.success) continue;
    const prev = evaluations.get(parsed.data.modelId);
    if (!prev || prev.round < r.number)
      evaluations.set(parsed.data.modelId, { ...parsed.data, round: r.number });
  }
  return evaluations;
}

/** The lineage forest (one tree per version without a parent, the first policy first). */
export async function modelLineage(
  dataDir: string,
): Promise<{ roots: TLineageNode[]; count: number }> {
  const [models, rounds] = await Promise.all([
    prisma.modelVersion.findMany({
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      include: { round: { select: { number: true } } },
    }),
    prisma.round.findMany({ select: { number: true, evaluation: true } }),
  ]);
  const evaluations = evaluationsByModel(rounds);
  const nodes = new Map<string, TLineageNode>();
  for (const m of models) {
    const checkpoint = await resolveCheckpoint(m.artifactPath, dataDir);
    const artifacts = modelArtifacts(m);
    const merged = artifacts.mergedDir
      ? await resolveCheckpoint(artifacts.mergedDir, dataDir)
      : null;
    const table8 = table8Averages(m.kind, m.metrics);
    nodes.set(m.id, {
      id: m.id,
      name: m.name,
      kind: m.kind,
      parentId: m.parentId,
      parentName: null,
      round: m.round?.number ?? null,
      createdAt: m.createdAt,
      artifactPath: m.artifactPath,
      notDownloadable: checkpoint.ok
        ? null
        : checkpoint.reason === "outside_data_dir"
          ? "outside the data directory"
          : "folder missing",
      trainingMethod: artifacts.trainingMethod,
      merged:
        artifacts.mergedDir && merged
          ? {
              path: artifacts.mergedDir,
              notDownloadable: merged.ok
                ? null
                : merged.reason === "outside_data_dir"
                  ? "outside the data directory"
                  : "folder missing",
            }
          : null,
      table8,
      evaluation: m.kind === "policy" ? (evaluations.get(m.id) ?? null) : null,
      numbers: numbersOf(m.metrics),
      metrics: m.metrics ?? null,
      children: [],
    });
  }
  const roots: TLineageNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId ? nodes.get(node.parentId) : undefined;
    // A parent that is missing, or a cycle back to this node, makes it a root.
    if (parent && !isAncestor(node, parent, nodes)) {
      node.parentName = parent.name;
      parent.children.push(node);
    } else roots.push(node);
  }
  const order = (a: TLineageNode, b: TLineageNode) =>
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.createdAt.getTime() - b.createdAt.getTime();
  for (const node of nodes.values()) node.children.sort(order);
  roots.sort(order);
  return { roots, count: nodes.size };
}

/** Whether `node` is `candidate` or one of its ancestors (linking would close a cycle). */
function isAncestor(
  node: TLineageNode,
  candidate: TLineageNode,
  nodes: Map<string, TLineageNode>,
): boolean {
  const seen = new Set<string>();
  let cur: TLineageNode | undefined = candidate;
  while (cur && !seen.has(cur.id)) {
    if (cur.id === node.id) return true;
    seen.add(cur.id);
    cur = cur.parentId ? nodes.get(cur.parentId) : undefined;
  }
  return false;
}
