// Reward-model datasets: the paper's mixing, rejected and chosen-unsafe pairs left out, and a
// held-out split by prompt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { DEGREES } from "@/lib/shared/protocol";
import { defaultRoundConfig } from "@/lib/shared/round-config";
import { createLabel } from "@/lib/testing/labels";

let db: TTestDatabase;
let build: typeof import("./build-datasets");

async function seed() {
  const user = await db.prisma.user.create({
    data: { id: "u-ds", name: "ds", email: "ds@ds.test", role: "annotator" },
  });
  const round = await db.prisma.round.create({
    data: { number: 1, name: "r", status: "collecting", config: defaultRoundConfig() },
  });
  let k = 0;
  // 40 helpfulness pairs and 20 safety pairs over 30 prompts (two comparisons per prompt).
  for (let p = 0; p < 30; p++) {
    const axis = p < 20 ? "helpfulness" : "safety";
    const prompt = await db.prisma.prompt.create({
      data: { text: `prompt ${p}`, source: "seed", tags: [], isSafety: axis === "safety" },
    });
    for (let j = 0; j < 2; j++) {
      const { annotationId } = await createLabel(db.prisma, {
        roundId: round.id,
        promptId: prompt.id,
        annotatorId: user.id,
        axis,
        key: `ds-${k}`,
        context: [{ role: "user", content: `prompt ${p}` }],
        responseA: `good ${p}.${j}`,
        responseB: `bad ${p}.${j}`,
        swapped: j === 1,
        degree: DEGREES[k++ % 4]!,
        safetyLabel: axis === "safety" ? "both_safe" : null,
        chosenUnsafeOtherSafe: axis === "safety" && p === 29 && j === 1,
      });
      if (p === 0 && j === 0)
        await db.prisma.review.create({
          data: {
            annotationId,
            reviewerId: user.id,
            decision: "rejected",
            reason: "wrong",
          },
        });
    }
  }
  return round;
}

beforeAll(async () => {
  db = await withTestDatabase();
  build = await import("./build-datasets");
  await seed();
});
afterAll(async () => {
  await db?.close();
});

describe(`training data on ${TEST_BACKEND}`, () => {
  it("leaves out rejected annotations and chosen-unsafe/other-safe safety pairs", async () => {
    const { pairs, rejected, chosenUnsafe } = await build.loadPairs([]);
    expect(rejected).toBe(1);
    expect(chosenUnsafe).toBe(1);
    expect(pairs).toHaveLength(58);
    expect(pairs.every((p) => p.chosen.startsWith("good") && p.rejected.startsWith("bad"))).toBe(
      true,
    );
  });

  it("splits by prompt, so no prompt is on both sides", async () => {
    const ds = await build.buildDatasets({
      roundIds: [],
      testFraction: 0.3,
      helpfulnessSafetyShare: 1,
      safetyHelpfulnessShare: 0.1,
      seed: 3,
    });
    const trainPrompts = new Set(
      [...ds.train.helpfulness, ...ds.train.safety].map((p) => p.prompt_id),
    );
    const testPrompts = new Set(
      [...ds.test.helpfulness, ...ds.test.safety].map((p) => p.prompt_id),
    );
    expect([...testPrompts].filter((p) => trainPrompts.has(p))).toEqual([]);
    expect(testPrompts.size).toBeGreaterThan(0);
    expect(ds.test.helpfulness.every((p) => p.axis === "helpfulness")).toBe(true);
    expect(ds.test.safety.every((p) => p.axis === "safety")).toBe(true);
  });

  it("mixes as the paper does: equal share of safety into helpfulness, 10 % helpfulness into safety", async () => {
    const ds = await build.buildDatasets({
      roundIds: [],
      testFraction: 0.2,
      helpfulnessSafetyShare: 1,
      safetyHelpfulnessShare: 0.1,
      seed: 1,
    });
    const h = ds.train.helpfulness;
    const helpOnly = h.filter((p) => p.axis === "helpfulness").length;
    const safetyInHelp = h.filter((p) => p.axis === "safety").length;
    const safetyAvailable = ds.train.safety.filter((p) => p.axis === "safety").length;
    expect(safetyInHelp).toBe(Math.min(helpOnly, safetyAvailable));
    const s = ds.train.safety;
    const helpInSafety = s.filter((p) => p.axis === "helpfulness").length;
    expect(helpInSafety).toBe(Math.round(safetyAvailable * (0.1 / 0.9)));
    // Deterministic for a seed.
    const again = await build.buildDatasets({
      roundIds: [],
      testFraction: 0.2,
      helpfulnessSafetyShare: 1,
      safetyHelpfulnessShare: 0.1,
      seed: 1,
    });
    expect(again).toEqual(ds);
    expect(build.toJsonl(ds.train.safety).trim().split("\n")).toHaveLength(s.length);
  });
});

describe(`identical pairs in training data on ${TEST_BACKEND}`, () => {
  it("leaves out pairs whose two responses are the same, flagged or not", async () => {
    const user = await db.prisma.user.findUniqueOrThrow({ where: { id: "u-ds" } });
    const round = await db.prisma.round.create({
      data: { number: 2, name: "r2", status: "collecting", config: defaultRoundConfig() },
    });
    const prompt = await db.prisma.prompt.create({
      data: { text: "same", source: "seed", tags: [] },
    });
    const label = (key: string, responseA: string, responseB: string) =>
      createLabel(db.prisma, {
        roundId: round.id,
        promptId: prompt.id,
        annotatorId: user.id,
        axis: "helpfulness",
        key,
        context: [{ role: "user", content: "same" }],
        responseA,
        responseB,
        swapped: false,
        degree: "better",
        safetyLabel: null,
        chosenUnsafeOtherSafe: false,
      });
    await label("same-1", "Four.", " Four.\n");
    await label("same-2", "Four.", "Five.");
    const { pairs, identical } = await build.loadPairs([round.id]);
    expect(identical).toBe(1);
    expect(pairs.map((p) => [p.chosen, p.rejected])).toEqual([["Four.", "Five."]]);
  });
});
