import "server-only";
// The policy a training job starts from: the given version, else the current policy — the newest
// published one (registering the engine's loaded model as the first version when there is none).
import { prisma } from "@/lib/db";
import { DomainError } from "@/lib/server/errors";
import { latestPolicies } from "@/lib/server/annotation/policies";

/** The newest published policy: what annotators sample as "latest", what RLHF improves on. */
export async function currentPolicy() {
  const [latest] = await latestPolicies();
  return latest!;
}

export async function resolveBasePolicy(modelId?: string) {
  if (modelId) {
    const m = await prisma.modelVersion.findUnique({ where: { id: modelId } });
    if (!m || m.kind !== "policy")
      throw new DomainError("BAD_REQUEST", `Model version ${modelId} is not a policy`);
    return m;
  }
  return currentPolicy();
}
