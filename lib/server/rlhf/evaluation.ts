import "server-only";
// The evaluation job's outcome: the engine's result (snake_case) as a ZRoundEvaluation on the
// round (policy-level numbers on the per-prompt means of k samples, the first sample's numbers as
// singleDraw), and optionally the pairs queued as a blind side-by-side for annotators (the first
// sample of each policy).
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { prisma } from "@/lib/db";
import type { ModelVersion } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/server/errors";
import { sameResponses } from "@/lib/shared/pairs";
import { ZMessages } from "@/lib/shared/protocol";
import type { TEngineResultOf } from "@/lib/shared/jobs";
import { ZRoundEvaluation, type TRoundEvaluation } from "@/lib/shared/rlhf";
import { initialStatus } from "@/lib/server/annotation/lifecycle";
import { HELDOUT_TAG } from "./prompts";

/** The engine's evaluate result (lib/shared/jobs.ts, docs/engine-protocol.md). */
export type TEngineEvaluateResult = Omit<TEngineResultOf<"evaluate">, "kind">;
type TEngineWinTieLoss = TEngineEvaluateResult["reward_model"];
type TEngineRates = NonNullable<TEngineEvaluateResult["rates"]>["model"];

const winTieLoss = (w: TEngineWinTieLoss) => ({
  n: w.n,
  win: w.win,
  tie: w.tie,
  loss: w.loss,
  winRate: w.win_rate,
  ci95: w.ci95,
  ...(w.mean_diff != null ? { meanDiff: w.mean_diff } : {}),
  ...(w.mean_diff_ci95 != null ? { meanDiffCi95: w.mean_diff_ci95 } : {}),
  ...(w.sign_test_p != null ? { signTestP: w.sign_test_p } : {}),
});
const rates = (r: TEngineRates) => ({
  unsafeCompliance: r.unsafe_compliance,
  overRefusal: r.over_refusal,
  ...(r.helpful_exact != null ? { helpfulExact: r.helpful_exact } : {}),
  ...(r.helpfulness != null ? { helpfulness: r.helpfulness } : {}),
});

export function toRoundEvaluation(
  result: TEngineEvaluateResult,
  meta: {
    jobId: string;
    modelId: string;
    baselineId: string;
    promptSet: "demo_heldout" | "round";
    now: Date;
  },
): TRoundEvaluation {
  return ZRoundEvaluation.parse({
    jobId: meta.jobId,
    modelId: meta.modelId,
    baselineId: meta.baselineId,
    promptSet: meta.promptSet,
    rewardModel: winTieLoss(result.reward_model),
    oracle: result.oracle ? winTieLoss(result.oracle) : null,
    rates: result.rates
      ? { model: rates(result.rates.model), baseline: rates(result.rates.baseline) }
      : null,
    ...(result.samples_per_prompt != null ? { samplesPerPrompt: result.samples_per_prompt } : {}),
    ...(result.single_draw
      ? {
          singleDraw: {
            rewardModel: winTieLoss(result.single_draw.reward_model),
            oracle: result.single_draw.oracle ? winTieLoss(result.single_draw.oracle) : null,
            rates: result.single_draw.rates
              ? {
                  model: rates(result.single_draw.rates.model),
                  baseline: rates(result.single_draw.rates.baseline),
                }
              : null,
          },
        }
      : {}),
    pairsFile: result.pairs_file,
    evaluatedAt: meta.now.toISOString(),
  });
}

export async function storeRoundEvaluation(roundId: string, evaluation: TRoundEvaluation) {
  await prisma.round.update({ where: { id: roundId }, data: { evaluation } });
}

const ZPair = z.object({
  prompt_id: z.string(),
  messages: ZMessages,
  model_response: z.string(),
  baseline_response: z.string(),
});

/**
 * Queues the evaluation's pairs in the round as blind side-by-side comparisons on the
 * helpfulness axis: ready (both responses known), model A = the new policy, B = the baseline,
 * the display order drawn per pair. Idempotent per job. Prompts the engine made up (the demo
 * world's held-out set) get Prompt rows tagged HELDOUT_TAG, which never enter a training pool.
 */
export async function queueHumanEval(args: {
  jobId: string;
  roundId: string;
  pairsFile: string;
  model: ModelVersion;
  baseline: ModelVersion;
  sampling: { temperature: number; maxTokens: number };
  random?: () => number;
}): Promise<number> {
  const random = args.random ?? Math.random;
  const already = await prisma.comparison.count({
    where: { roundId: args.roundId, samplingA: { path: ["humanEval"], equals: args.jobId } },
  });
  if (already > 0) return already;
  let text: string;
  try {
    text = await readFile(args.pairsFile, "utf8");
  } catch {
    throw new DomainError("CONFLICT", `The evaluation's pairs file ${args.pairsFile} is missing`);
  }
  const pairs = text
    .split("\n")
    .filter((l) => l.trim())
    .map((l, i) => {
      const parsed = ZPair.safeParse(JSON.parse(l));
      if (!parsed.success)
        throw new DomainError("CONFLICT", `pairs file line ${i + 1}: ${parsed.error.message}`);
      return parsed.data;
    })
    // Two identical responses give annotators nothing to judge (the evaluation counts a tie).
    .filter((pair) => !sameResponses(pair.model_response, pair.baseline_response));
  const sampling = (m: ModelVersion) => ({
    model: m.id,
    temperature: args.sampling.temperature,
    topP: 1,
    maxTokens: args.sampling.maxTokens,
    humanEval: args.jobId,
  });
  await prisma.$transaction(
    async (tx) => {
      for (const pair of pairs) {
        const first = pair.messages.find((m) => m.role === "user")?.content ?? "";
        let prompt = await tx.prompt.findUnique({ where: { id: pair.prompt_id } });
        if (!prompt) {
          prompt =
            (await tx.prompt.findFirst({ where: { text: first, tags: { has: HELDOUT_TAG } } })) ??
            (await tx.prompt.create({
              data: { text: first, source: "demo", tags: [HELDOUT_TAG] },
            }));
        }
        await tx.comparison.create({
          data: {
            roundId: args.roundId,
            promptId: prompt.id,
            axis: "helpfulness",
            context: pair.messages,
            responseA: pair.model_response.replaceAll("\u0000", "").trim(),
            responseB: pair.baseline_response.replaceAll("\u0000", "").trim(),
            modelAId: args.model.id,
            modelBId: args.baseline.id,
            samplingA: sampling(args.model),
            samplingB: sampling(args.baseline),
            swapped: random() < 0.5,
            status: initialStatus(true),
          },
        });
      }
    },
    { timeout: 120_000 },
  );
  return pairs.length;
}
