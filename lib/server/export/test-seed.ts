// Test data for the export suites, written with Prisma directly: users, rounds, two model
// versions, and labelled comparisons with their assignments, annotations and reviews.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { sameResponses } from "@/lib/shared/pairs";
import { defaultRoundConfig } from "@/lib/shared/round-config";

export type TLabelSpec = {
  round: number;
  axis?: "helpfulness" | "safety";
  swapped?: boolean;
  models?: [string, string];
  /** One entry per annotator: [user id, choice, degree]. More than one makes an overlap item. */
  votes: [
    string,
    "A" | "B",
    "significantly_better" | "better" | "slightly_better" | "negligibly_better",
  ][];
  at: Date;
  review?: ("approved" | "rejected")[];
  chosenUnsafeOtherSafe?: boolean;
  /** A gold item: later voters came through gold assignments, annotationsWanted stays 1. */
  gold?: boolean;
  /** The two response texts (default "answer A<n>" and "answer B<n>"). */
  responses?: [string, string];
};

export type TExportWorld = {
  users: { ann1: string; ann2: string; ann3: string; admin: string };
  rounds: Record<number, string>;
  models: { v1: { id: string; name: string }; v2: { id: string; name: string } };
  promptId: string;
};

let counter = 0;

export async function seedWorld(db: PrismaClient): Promise<TExportWorld> {
  const mkUser = async (id: string, role: string) => {
    await db.user.create({ data: { id, name: id, email: `${id}@export.test`, role } });
    return id;
  };
  const users = {
    ann1: await mkUser("user-ann1", "annotator"),
    ann2: await mkUser("user-ann2", "annotator"),
    ann3: await mkUser("user-ann3", "annotator"),
    admin: await mkUser("user-admin", "admin"),
  };
  const rounds: Record<number, string> = {};
  for (const number of [1, 2]) {
    const r = await db.round.create({
      data: { number, name: `r${number}`, status: "collecting", config: defaultRoundConfig() },
    });
    rounds[number] = r.id;
  }
  const v1 = await db.modelVersion.create({
    data: {
      name: "policy-v1",
      kind: "policy",
      artifactPath: "models/policy-v1",
      roundId: rounds[1],
    },
  });
  const v2 = await db.modelVersion.create({
    data: {
      name: "policy-v2",
      kind: "policy",
      parentId: v1.id,
      artifactPath: "/etc",
      roundId: rounds[2],
      metrics: { winRate: 0.61 },
    },
  });
  const prompt = await db.prompt.create({ data: { text: "What is 2 + 3?", source: "seed" } });
  return {
    users,
    rounds,
    models: { v1: { id: v1.id, name: v1.name }, v2: { id: v2.id, name: v2.name } },
    promptId: prompt.id,
  };
}

/** One comparison labelled by each voter in turn (one second apart); returns the annotation ids. */
export async function addLabel(
  db: PrismaClient,
  w: TExportWorld,
  spec: TLabelSpec,
): Promise<string[]> {
  const n = ++counter;
  const [ma, mb] = spec.models ?? [w.models.v1.id, w.models.v2.id];
  const [responseA, responseB] = spec.responses ?? [`answer A${n}`, `answer B${n}`];
  const c = await db.comparison.create({
    data: {
      roundId: w.rounds[spec.round]!,
      promptId: w.promptId,
      axis: spec.axis ?? "helpfulness",
      context: [{ role: "user", content: `Question ${n}?` }],
      responseA,
      responseB,
      identical: sameResponses(responseA, responseB),
      modelAId: ma,
      modelBId: mb,
      samplingA: { model: "latest", temperature: 0.7, topP: 0.95, maxTokens: 96, seed: n },
      samplingB: { model: "previous", temperature: 1, topP: 0.95, maxTokens: 96, seed: n + 1 },
      swapped: spec.swapped ?? false,
      status: "complete",
      annotationsWanted: spec.gold ? 1 : spec.votes.length,
      createdAt: spec.at,
    },
  });
  const ids: string[] = [];
  for (const [i, [user, choice, degree]] of spec.votes.entries()) {
    const at = new Date(spec.at.getTime() + i * 1000);
    const asg = await db.assignment.create({
      data: {
        comparisonId: c.id,
        annotatorId: user,
        status: "submitted",
        source: i === 0 ? "own" : spec.gold ? "gold" : "overlap",
        leaseExpiresAt: at,
        finishedAt: at,
        assignedAt: at,
      },
    });
    const safety = (spec.axis ?? "helpfulness") === "safety";
    const a = await db.annotation.create({
      data: {
        assignmentId: asg.id,
        comparisonId: c.id,
        annotatorId: user,
        choice,
        degree,
        safetyLabel: safety && !spec.chosenUnsafeOtherSafe ? "both_safe" : null,
        chosenUnsafeOtherSafe: spec.chosenUnsafeOtherSafe ?? false,
        flags: [],
        timeSpentMs: 12_000 + i,
        idempotencyKey: `k-${n}-${i}`,
        createdAt: at,
      },
    });
    ids.push(a.id);
  }
  if (spec.gold)
    await db.goldItem.create({
      data: { comparisonId: c.id, expectedChoice: "A", createdById: w.users.admin },
    });
  for (const [i, decision] of (spec.review ?? []).entries()) {
    await db.review.create({
      data: {
        annotationId: ids[0]!,
        reviewerId: w.users.admin,
        decision,
        createdAt: new Date(spec.at.getTime() + 60_000 + i * 1000),
      },
    });
  }
  return ids;
}
