import "server-only";
// The policy a training job starts from: the given version, else the newest policy (registering
// the engine's loaded model as the first version when there is none yet).
import { prisma } from "@/lib/db";
import { DomainError } from "@/lib/server/errors";
import { latestPolicies } from "@/lib/server/annotation/policies";

export async function resolveBasePolicy(modelId?: string) {
  if (modelId) {
    const m = await prisma.modelVersion.findUnique({ where: { id: modelId } });
    if (!m || m.kind !== "policy")
      throw new DomainError("BAD_REQUEST", `Model version ${modelId} is not a policy`);
    return m;
  }
  const [latest] = await latestPolicies();
  return latest!;
}
