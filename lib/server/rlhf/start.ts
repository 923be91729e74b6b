import "server-only";
// Starting a job of any kind for a round (tRPC jobs.start): the spec is validated, the round must
// be in a state where that kind makes sense, what the job needs must exist, and the engine's memory
// plan must say it fits (lib/server/jobs/plan.ts); each refusal says what to do instead.
import {
  issuesMessage,
  modelKindLabel,
  roundStateLabel,
  roundStatesText,
} from "@/lib/shared/messages";
import { prisma } from "@/lib/db";
import type { RoundStatus } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/server/errors";
import { refuseUnfitJob } from "@/lib/server/jobs/plan";
import { enqueueJob } from "@/lib/server/jobs/transitions";
import {
  JOB_KINDS,
  JOB_KIND_TABLE,
  ZJobSpec,
  type TJobKind,
  type TJobSpec,
  type TJobSpecInput,
} from "@/lib/shared/jobs";
import { newestRoundPolicy, requirePolicy } from "@/lib/server/models/policies";
import { collectionShortfall } from "@/lib/server/rounds/transitions";
import { roundRewardKinds } from "./models";

/** The round states in which a job of each kind may start (the job-kind table). */
export const KIND_ROUND_STATES = Object.fromEntries(
  JOB_KINDS.map((k) => [k, JOB_KIND_TABLE[k].roundStates]),
) as Record<TJobKind, RoundStatus[]>;

const label = (kind: TJobKind) => JOB_KIND_TABLE[kind].label.toLowerCase();

function parseSpec(input: TJobSpecInput): TJobSpec {
  const parsed = ZJobSpec.safeParse(input);
  if (!parsed.success) {
    throw new DomainError("BAD_REQUEST", issuesMessage(parsed.error.issues));
  }
  return parsed.data;
}

/** Why a job cannot start, or null. */
async function prerequisites(
  spec: TJobSpec,
  round: { id: string; number: number; config: unknown },
) {
  const { id: roundId, number: roundNumber } = round;
  const c = spec.config;
  if ("baseModelId" in c && c.baseModelId) await requirePolicy(c.baseModelId, "baseModelId");
  // The round's minimum per axis, as "Finish collecting" checks it: without it the held-out
  // split (Table 8) would be empty or too small to mean anything.
  if (spec.kind === "train_reward") {
    const short = await collectionShortfall(roundId, round.config, spec.config.axes);
    if (short) return short;
  }
  if (spec.kind === "rejection_sampling" || spec.kind === "ppo" || spec.kind === "evaluate") {
    const kinds = await roundRewardKinds(roundId);
    const missing = (["reward_helpfulness", "reward_safety"] as const).filter((k) => !kinds.has(k));
    if (missing.length)
      return `Round ${roundNumber} has no ${missing.map(modelKindLabel).join(" or ")}: train its reward models first`;
  }
  if (spec.kind === "evaluate") {
    const model = spec.config.modelId
      ? await requirePolicy(spec.config.modelId, "modelId")
      : await newestRoundPolicy(roundId);
    if (!model)
      return `Round ${roundNumber} has no new policy to evaluate: run rejection sampling or PPO first`;
    if (spec.config.baselineId) {
      await requirePolicy(spec.config.baselineId, "baselineId");
      if (spec.config.baselineId === model.id)
        return "The model and its baseline are the same policy: pick another baselineId";
    }
  }
  return null;
}

export async function startJob(args: {
  roundId?: string | undefined;
  spec: TJobSpecInput;
  actorId?: string | null;
}) {
  const spec = parseSpec(args.spec);
  if (!args.roundId) {
    if (JOB_KIND_TABLE[spec.kind].needsRound)
      throw new DomainError(
        "BAD_REQUEST",
        `roundId: ${label(spec.kind)} belongs to a round; say which`,
      );
    await refuseUnfitJob(spec);
    return enqueueJob(spec, { actorId: args.actorId ?? null });
  }
  const round = await prisma.round.findUnique({ where: { id: args.roundId } });
  if (!round) throw new DomainError("NOT_FOUND", `roundId: no round ${args.roundId}`);
  const allowed = KIND_ROUND_STATES[spec.kind];
  if (!allowed.includes(round.status)) {
    throw new DomainError(
      "CONFLICT",
      `Round ${round.number} is ${roundStateLabel(round.status)}: ${label(spec.kind)} runs while a round is ${roundStatesText(allowed)}`,
    );
  }
  const why = await prerequisites(spec, round);
  if (why) throw new DomainError("CONFLICT", why);
  const busy = await prisma.job.findFirst({
    where: { roundId: round.id, kind: spec.kind, state: { in: ["queued", "running"] } },
  });
  if (busy)
    throw new DomainError(
      "CONFLICT",
      `A ${spec.kind} job for round ${round.number} is already ${busy.state} (${busy.id}); wait for it or cancel it`,
    );
  // The engine's memory plan: a job that cannot fit is refused here with what to change.
  await refuseUnfitJob(spec, round.id);
  return enqueueJob(spec, { actorId: args.actorId ?? null, roundId: round.id });
}
