import "server-only";
// Which policy samples each side. "latest" is the newest *published* policy, "previous" the one
// before it (the paper's default: every round is also a model comparison); a round's policies
// count once the round is published (lib/server/rlhf/models.ts has the rules). The first time,
// the engine's loaded model is registered as the first policy version.
import { prisma } from "@/lib/db";
import { DomainError } from "@/lib/server/errors";
import { engineModelName, publishedPolicies } from "@/lib/server/rlhf/models";
import type { TVariant } from "@/lib/shared/round-config";
import { loadedPolicy } from "./engine-stream";

export type TResolvedModel = { id: string; engineModel: string };

/** The newest two published policies, newest first (at least one: the engine's model). */
export async function latestPolicies() {
  const list = (await publishedPolicies()).slice(0, 2);
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
    if (v.model === "latest") return { id: latest!.id, engineModel: engineModelName(latest!) };
    if (v.model === "previous") {
      const m = previous ?? latest!;
      return { id: m.id, engineModel: engineModelName(m) };
    }
    const m = await prisma.modelVersion.findUnique({
      where: { id: v.model },
      include: { round: { select: { number: true, status: true } } },
    });
    if (!m || m.kind !== "policy")
      throw new DomainError("BAD_REQUEST", `Model version ${v.model} is not a policy`);
    // A policy of a round still being worked on never samples pairs.
    if (m.round && m.round.status !== "published")
      throw new DomainError(
        "CONFLICT",
        `${m.name} belongs to round ${m.round.number}, which is not published yet: publish it or pick another policy`,
      );
    return { id: m.id, engineModel: engineModelName(m) };
  };
  return [await resolve(variants[0]), await resolve(variants[1])];
}
