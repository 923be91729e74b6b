"use client";
// A job's result view per kind, from its stored result (storedResult, lib/shared/jobs.ts) and the
// engine's progress metrics on the job: the loss curve; rejection sampling's rewards and pool;
// PPO's per-iteration reward, KL, entropy and clip fraction; an evaluation's win rates.
import Link from "next/link";
import { num as fmt, pct } from "@/lib/shared/format";
import { storedResult } from "@/lib/shared/jobs";
import { CompareBars, SeriesChart } from "../components/charts";
import type { TJobRow } from "./job-card";

type TRecord = Record<string, unknown>;
const asRecord = (x: unknown): TRecord =>
  x && typeof x === "object" && !Array.isArray(x) ? (x as TRecord) : {};
/** `o[key]` when it is a finite number. Job.metrics is the engine's progress (snake_case, the
 * engine protocol); results are read through storedResult (lib/shared/jobs.ts). */
function num(o: TRecord, key: string): number | undefined {
  const v = o[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function lossPoints(metrics: TRecord): { step: number; loss: number }[] {
  const curve = metrics.loss_curve;
  if (!Array.isArray(curve)) return [];
  return curve.flatMap((p) =>
    Array.isArray(p) && typeof p[0] === "number" && typeof p[1] === "number"
      ? [{ step: p[0], loss: p[1] }]
      : [],
  );
}

export function ResultView({ job }: { job: TJobRow }) {
  const metrics = asRecord(job.metrics);
  const loss = lossPoints(metrics);
  // A finished job's curve will not grow: say what there is instead of "appears after a few steps".
  const finishedEmpty =
    job.state === "running" || job.state === "queued"
      ? undefined
      : loss.length === 0
        ? "No loss was recorded for this job."
        : `One step logged (loss ${fmt(loss[0]!.loss)}): too few for a curve.`;
  const lossChart = (title: string) => (
    <SeriesChart
      title={title}
      testId="loss-curve"
      data={loss}
      x="step"
      xLabel="step"
      series={[{ key: "loss", label: "loss" }]}
      height={160}
      empty={finishedEmpty}
    />
  );

  switch (job.kind) {
    case "train_reward":
    case "sft": {
      if (loss.length === 0 && job.state !== "running") return null;
      return (
        <div className="mt-3 max-w-xl">
          {lossChart(job.kind === "sft" ? "Fine-tuning loss" : "Reward-model training loss")}
        </div>
      );
    }
    case "rejection_sampling": {
      const result = storedResult("rejection_sampling", job.result) ?? {};
      const mean = result.meanReward ?? num(metrics, "mean_reward");
      const best = result.meanBestReward ?? num(metrics, "mean_best_reward");
      const facts: [string, number | null | undefined][] = [
        ["prompts", result.prompts],
        ["samples", result.samples],
        ["pool size", result.poolSize],
        ["train steps", result.trainSteps],
        ["final loss", result.finalLoss],
      ];
      return (
        <div className="mt-3 space-y-3" data-testid="rs-result">
          <dl className="flex flex-wrap gap-x-5 gap-y-1 text-slate-700">
            {facts
              .filter((f): f is [string, number] => typeof f[1] === "number")
              .map(([k, v]) => (
                <div key={k}>
                  <dt className="inline text-slate-500">{k} </dt>
                  <dd className="inline font-medium">{fmt(v)}</dd>
                </div>
              ))}
          </dl>
          <div className="grid gap-3 md:grid-cols-2">
            {mean !== undefined && best !== undefined && (
              <CompareBars
                title="Reward of the samples"
                description="Mean over all K samples against the mean of the best per prompt: the gain rejection sampling keeps."
                testId="rs-rewards"
                bars={[
                  { name: "mean reward", value: mean },
                  { name: "mean best-of-K reward", value: best },
                ]}
              />
            )}
            {(loss.length > 0 || job.state === "running") &&
              lossChart("Fine-tuning loss on the pool")}
          </div>
        </div>
      );
    }
    case "ppo": {
      const its = Array.isArray(metrics.iterations) ? metrics.iterations.map(asRecord) : [];
      const data = its.map((it) => ({
        iteration: num(it, "iteration") ?? 0,
        reward: num(it, "reward") ?? null,
        kl: num(it, "kl") ?? null,
        entropy: num(it, "entropy") ?? null,
        clip_fraction: num(it, "clip_fraction") ?? null,
      }));
      const result = storedResult("ppo", job.result) ?? {};
      const stopped = result.stoppedEarly;
      const reason = result.stopReason;
      return (
        <div className="mt-3 space-y-2" data-testid="ppo-result">
          {stopped === true && (
            <p className="text-amber-900">
              Stopped early{typeof reason === "string" ? `: ${reason}` : ""}
            </p>
          )}
          <div className="grid gap-3 md:grid-cols-2">
            {(
              [
                ["reward", "Reward (whitened R_c)"],
                ["kl", "KL to the reference"],
                ["entropy", "Entropy"],
                ["clip_fraction", "Clip fraction"],
              ] as const
            ).map(([key, title]) => (
              <SeriesChart
                key={key}
                title={title}
                testId={`ppo-${key}`}
                data={data}
                x="iteration"
                xLabel="iteration"
                series={[{ key, label: key }]}
                height={150}
                empty="The curves appear after two PPO iterations."
              />
            ))}
          </div>
        </div>
      );
    }
    case "evaluate": {
      const evaluation = storedResult("evaluate", job.result)?.evaluation;
      const wr = evaluation?.rewardModel.winRate;
      const owr = evaluation?.oracle?.winRate;
      return (
        <p className="mt-2 text-slate-700" data-testid="evaluate-result">
          {wr !== undefined && <>Win rate by the reward models {pct(wr)}. </>}
          {owr !== undefined && <>By the oracle {pct(owr)}. </>}
          {job.roundId && (
            <Link
              href={`/admin/rounds/${job.roundId}#evaluation`}
              className="text-indigo-700 underline"
            >
              See the round&apos;s evaluation
            </Link>
          )}
        </p>
      );
    }
    default:
      return null;
  }
}
