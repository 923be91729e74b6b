// The round lifecycle: each move checks its precondition and refuses with a message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { createLabel } from "@/lib/testing/labels";

let db: TTestDatabase;
let r: typeof import("./transitions");
let keys = 0;

beforeAll(async () => {
  db = await withTestDatabase();
  r = await import("./transitions");
});
afterAll(async () => {
  await db?.close();
});

async function annotate(
  roundId: string,
  axis: "helpfulness" | "safety",
  n: number,
  userId: string,
) {
  const prompt = await db.prisma.prompt.create({
    data: { text: `p-${axis}`, source: "seed", tags: [] },
  });
  for (let i = 0; i < n; i++) {
    await createLabel(db.prisma, {
      roundId,
      promptId: prompt.id,
      annotatorId: userId,
      axis,
      key: `k-${keys++}`,
    });
  }
}

describe(`round lifecycle on ${TEST_BACKEND}`, () => {
  it("walks draft → published, refusing each move until its precondition holds", async () => {
    const user = await db.prisma.user.create({
      data: { id: "u-rl", name: "rl", email: "rl@rl.test", role: "admin" },
    });
    const round = await r.createRound("Round A");
    expect(round.status).toBe("draft");
    expect(round.number).toBe(1);

    const other = await r.createRound("Round B");
    await r.advanceRound(other.id, new Date());
    await expect(r.advanceRound(round.id, new Date())).rejects.toThrow(/Round 2 is collecting/);
    await r.cancelRound(other.id);
    expect((await r.advanceRound(round.id, new Date())).status).toBe("collecting");

    await annotate(round.id, "helpfulness", r.MIN_ANNOTATIONS_PER_AXIS, user.id);
    await annotate(round.id, "safety", 3, user.id);
    await expect(r.advanceRound(round.id, new Date())).rejects.toThrow(/safety has 3/);
    await annotate(round.id, "safety", r.MIN_ANNOTATIONS_PER_AXIS, user.id);
    expect((await r.advanceRound(round.id, new Date())).status).toBe("training_rewards");
    await expect(
      r.updateRoundConfig(
        round.id,
        (await import("@/lib/shared/round-config")).defaultRoundConfig(),
      ),
    ).rejects.toThrow(/frozen/);

    await expect(r.advanceRound(round.id, new Date())).rejects.toThrow(
      /the helpfulness reward model and the safety reward model are missing/,
    );
    for (const kind of ["reward_helpfulness", "reward_safety"] as const) {
      await db.prisma.modelVersion.create({
        data: { name: `${kind}-rl`, kind, roundId: round.id, artifactPath: "/tmp/x" },
      });
    }
    expect((await r.advanceRound(round.id, new Date())).status).toBe("rlhf");
    await expect(r.advanceRound(round.id, new Date())).rejects.toThrow(/No new policy yet/);
    await db.prisma.modelVersion.create({
      data: { name: "policy-rl", kind: "policy", roundId: round.id, artifactPath: "/tmp/p" },
    });
    expect((await r.advanceRound(round.id, new Date())).status).toBe("evaluating");
    await expect(r.advanceRound(round.id, new Date())).rejects.toThrow(/Evaluate the new policy/);
    await db.prisma.round.update({
      where: { id: round.id },
      data: { evaluation: { winRate: 0.6 } },
    });
    const now = new Date("2026-11-27T12:00:00Z");
    expect((await r.advanceRound(round.id, now)).status).toBe("published");
    expect(
      (await db.prisma.round.findUniqueOrThrow({ where: { id: round.id } })).publishedAt,
    ).toEqual(now);
    await expect(r.advanceRound(round.id, new Date())).rejects.toThrow(/no next step/);
    await expect(r.cancelRound(round.id)).rejects.toThrow(/cannot be cancelled/);
  });

  it("refuses an invalid configuration with the field named", async () => {
    const { defaultRoundConfig } = await import("@/lib/shared/round-config");
    const bad = { ...defaultRoundConfig(), axisMix: { helpfulness: 0.7, safety: 0.7 } };
    await expect(r.createRound("Bad", bad)).rejects.toThrow(/axis shares must sum to 1/);
  });

  it("defaults side B to the previous published policy once there is one (the paper's design)", async () => {
    const { defaultRoundConfig, parseRoundConfig } = await import("@/lib/shared/round-config");
    const { publishedPolicies, resolvePolicyModels } = await import("@/lib/server/models/policies");
    const sides = (config: unknown) =>
      parseRoundConfig(config).variants.map((v) => [v.model, v.temperature]);
    // The first test published round 1 with its policy: one published policy, no previous one.
    const [latest] = await publishedPolicies();
    expect(await publishedPolicies()).toHaveLength(1);
    expect(sides((await r.createRound("Single policy")).config)).toEqual([
      ["latest", 0.7],
      ["latest", 1],
    ]);
    // The first policy (no round) is published from the start: now a previous policy exists.
    const first = await db.prisma.modelVersion.create({
      data: {
        name: "first-policy-rl",
        kind: "policy",
        artifactPath: "/tmp/first",
        createdAt: new Date("2026-01-01T00:00:00Z"),
      },
    });
    const paper = await r.createRound("Two variants");
    expect(sides(paper.config)).toEqual([
      ["latest", 0.7],
      ["previous", 1],
    ]);
    const resolved = await resolvePolicyModels(parseRoundConfig(paper.config).variants);
    expect(resolved.map((m) => m.id)).toEqual([latest!.id, first.id]);
    // The admin still picks per round: a given configuration is kept as it is.
    expect(sides((await r.createRound("Picked", defaultRoundConfig())).config)).toEqual([
      ["latest", 0.7],
      ["latest", 1],
    ]);
  });
});
