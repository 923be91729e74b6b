// Identical pairs against the real engine: when both sides sample the same response, side B is
// sampled again ("replace" streamed to the page) up to the round's resamples, and a pair that
// stays identical is dropped from the pool with its reason, its assignment let go. Greedy
// sampling (temperature 0 on both sides) makes the responses identical every time.
import { describe, expect, it, vi } from "vitest";
import type { TPairEvent } from "@/lib/shared/pair-stream";
import { defaultRoundConfig, type TRoundConfig } from "@/lib/shared/round-config";
import { TEST_BACKEND } from "@/lib/testing/database";
import { engineSuite } from "@/lib/testing/engine";

const suite = engineSuite("identical", async () => {});

async function heldComparison(config: TRoundConfig, tag: string) {
  const db = suite.db.prisma;
  const user = await db.user.create({
    data: { id: `u-${tag}`, name: tag, email: `${tag}@identical.test`, role: "annotator" },
  });
  const round =
    (await db.round.findFirst({ where: { number: 1 } })) ??
    (await db.round.create({ data: { number: 1, name: "r1", status: "collecting", config: {} } }));
  await db.round.update({ where: { id: round.id }, data: { config: config } });
  const prompt = await db.prompt.create({
    data: { text: "What is 2 + 2?", source: "seed", tags: [] },
  });
  const comparison = await db.comparison.create({
    data: {
      roundId: round.id,
      promptId: prompt.id,
      axis: "helpfulness",
      context: [{ role: "user", content: "What is 2 + 2?" }],
      samplingA: config.variants[0],
      samplingB: config.variants[1],
      swapped: true,
    },
  });
  const assignment = await db.assignment.create({
    data: {
      comparisonId: comparison.id,
      annotatorId: user.id,
      source: "own",
      leaseExpiresAt: new Date(Date.now() + 60_000),
    },
  });
  return { userId: user.id, comparisonId: comparison.id, assignmentId: assignment.id };
}

function greedyConfig(maxResamples: number): TRoundConfig {
  const c = defaultRoundConfig();
  c.variants = [
    { model: "latest", temperature: 0, topP: 1, maxTokens: 12 },
    { model: "latest", temperature: 0, topP: 1, maxTokens: 12 },
  ];
  // No temperature step: greedy stays greedy, so the responses stay identical.
  c.duplicates = { maxResamples, temperatureStep: 0, nearDuplicates: false };
  return c;
}

describe(`identical pairs on ${TEST_BACKEND}`, () => {
  it("resamples side B, then drops a pair that stays identical and lets its holder go", async () => {
    const { streamComparison } = await import("./generate");
    const { userId, comparisonId, assignmentId } = await heldComparison(greedyConfig(2), "drop");
    const events: TPairEvent[] = [];
    await streamComparison(userId, comparisonId, (e) => events.push(e));

    const types = events.map((e) => e.type).filter((t) => t !== "delta");
    expect(types).toEqual(["reset", "replace", "replace", "dropped"]);
    // Side B is shown on the left (swapped): the replace clears the left column.
    expect(events.find((e) => e.type === "replace")).toEqual({ type: "replace", side: "left" });

    const c = await suite.db.prisma.comparison.findUniqueOrThrow({ where: { id: comparisonId } });
    expect([c.status, c.resamples, c.error]).toEqual([
      "dropped",
      2,
      "identical responses after 2 resamples",
    ]);
    const a = await suite.db.prisma.assignment.findUniqueOrThrow({ where: { id: assignmentId } });
    expect([a.status, a.skipReason]).toEqual(["skipped", "identical_responses"]);

    // Reopening the stream of a dropped pair says so again instead of sampling.
    const again: TPairEvent[] = [];
    await suite.db.prisma.assignment.update({
      where: { id: assignmentId },
      data: { status: "submitted" },
    });
    await streamComparison(userId, comparisonId, (e) => again.push(e));
    expect(again.map((e) => e.type)).toEqual(["dropped"]);
  });

  it("with resamples set to 0, drops at once without resampling", async () => {
    const { streamComparison } = await import("./generate");
    const { userId, comparisonId } = await heldComparison(greedyConfig(0), "zero");
    const events: TPairEvent[] = [];
    await streamComparison(userId, comparisonId, (e) => events.push(e));
    expect(events.map((e) => e.type).filter((t) => t !== "delta")).toEqual(["reset", "dropped"]);
    const c = await suite.db.prisma.comparison.findUniqueOrThrow({ where: { id: comparisonId } });
    expect([c.status, c.resamples]).toEqual(["dropped", 0]);
  });
});

describe("resampleWhileIdentical", () => {
  it("resamples B with a fresh seed until it differs, and reports how often", async () => {
    const { resampleWhileIdentical } = await import("./generate");
    const pair = {
      texts: ["Four.", " Four. "] as [string, string],
      seeds: [1, 2] as [number, number],
      temperatureB: 1.5,
    };
    const answers = ["Four.", "It is four."];
    const seeds: number[] = [];
    const temperatures: number[] = [];
    const onReplace = vi.fn();
    const n = await resampleWhileIdentical(
      pair,
      { maxResamples: 5, temperatureStep: 0.3, nearDuplicates: false },
      onReplace,
      async (seed, temperature) => (
        seeds.push(seed),
        temperatures.push(temperature),
        answers.shift()!
      ),
    );
    // Each resample is hotter, up to 2.
    expect(temperatures).toEqual([1.8, 2]);
    expect(pair.temperatureB).toBe(2);
    expect(n).toBe(2);
    expect(onReplace).toHaveBeenCalledTimes(2);
    expect(pair.texts[1]).toBe("It is four.");
    expect(pair.seeds[1]).toBe(seeds[1]);
    expect(new Set([2, ...seeds]).size).toBe(3);
  });

  it("counts near-duplicates only when the round asks", async () => {
    const { resampleWhileIdentical } = await import("./generate");
    const near = () => ({
      texts: ["Paris.", "paris"] as [string, string],
      seeds: [1, 2] as [number, number],
      temperatureB: 1,
    });
    const off = await resampleWhileIdentical(
      near(),
      { maxResamples: 3, temperatureStep: 0, nearDuplicates: false },
      () => {},
      async () => "x",
    );
    expect(off).toBe(0);
    const on = await resampleWhileIdentical(
      near(),
      { maxResamples: 3, temperatureStep: 0, nearDuplicates: true },
      () => {},
      async () => "Lyon",
    );
    expect(on).toBe(1);
  });
});
