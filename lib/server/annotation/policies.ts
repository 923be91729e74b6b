import "server-only";
// Which policy samples each side. "latest" is the newest policy version, "previous" the one
// before it (the paper's default: every round is also a model comparison). The first time, the
// engine's loaded model is registered as the first policy version.
import { prisma } from "@/lib/db";
import { DomainError } from "@/lib/server/errors";
import type { TVariant } from "@/lib/shared/round-config";
import { loadedPolicy } from "./engine-stream";

export type TResolvedModel = { id: string; engineModel: string };

/** The newest two policy versions, newest first (at least one: the engine's model). */
export async function latestPolicies() {
  const list = await prisma.modelVersion.findMany({
    where: { kind: "policy" },
    orderBy: { createdAt: "desc" },
    take: 2,
  });
  if (list.length > 0) return list;
  const engine = await loadedPolicy();
  const base = await prisma.modelVersion.upsert({
    where: { name: engine.id },
    update: {},
    create: {
      name: engine.id,
      kind: "policy",
      artifactPath: engine.path,
      metrics: {},
    },
  });
  return [base];
}

export async function resolvePolicyModels(
  variants: [TVariant, TVariant],
): Promise<[TResolvedModel, TResolvedModel]> {
  const [latest, previous] = await latestPolicies();
  const resolve = async (v: TVariant): Promise<TResolvedModel> => {
    if (v.model === "latest") return { id: latest!.id, engineModel: latest!.name };
    if (v.model === "previous") {
      const m = previous ?? latest!;
      return { id: m.id, engineModel: m.name };
    }
    const m = await prisma.modelVersion.findUnique({ where: { id: v.model } });
    if (!m || m.kind !== "policy")
      throw new DomainError("BAD_REQUEST", `Model version ${v.model} is not a policy`);
    return { id: m.id, engineModel: m.name };
  };
  return [await resolve(variants[0]), await resolve(variants[1])];
}
