"use client";
// One job: kind, round, state, phase, ETA, a live progress bar, cancel or retry, the log tail, and
// a result view per kind (loss curve; rejection sampling's rewards and pool; PPO's per-iteration
// reward, KL, entropy and clip fraction; an evaluation's win rate with a link to its round).
import { useMutation } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { jobKindLabel, storedResult } from "@/lib/shared/jobs";
import type { AppRouter } from "@/lib/trpc/root";
import { CompareBars, SeriesChart } from "../components/charts";
import { formatSeconds, num as fmt, pct } from "@/lib/shared/format";

export type TJobRow = inferRouterOutputs<AppRouter>["jobs"]["list"][number];

export const ACTIVE_STATES = new Set(["queued", "running"]);

const STATE_STYLE: Record<string, string> = {
  queued: "bg-slate-100 text-slate-800",
  running: "bg-indigo-100 text-indigo-900",
  succeeded: "bg-green-100 text-green-900",
  failed: "bg-red-100 text-red-900",
  cancelled: "bg-amber-100 text-amber-900",
};

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

function ResultView({ job }: { job: TJobRow }) {
  const metrics = asRecord(job.metrics);
  const loss = lossPoints(metrics);
  const lossChart = (title: string) => (
    <SeriesChart
      title={title}
      testId="loss-curve"
      data={loss}
      x="step"
      xLabel="step"
      series={[{ key: "loss", label: "loss" }]}
      height={160}
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

export function JobCard({
  job,
  canManage,
  onChanged,
  showRound = true,
}: {
  job: TJobRow;
  canManage: boolean;
  onChanged: () => void;
  showRound?: boolean;
}) {
  const trpc = useTRPC();
  const [error, setError] = useState<string | null>(null);
  const onError = (e: { message: string }) => setError(e.message);
  const cancel = useMutation(trpc.jobs.cancel.mutationOptions({ onSuccess: onChanged, onError }));
  const retry = useMutation(trpc.jobs.retry.mutationOptions({ onSuccess: onChanged, onError }));
  const percent = Math.round(job.progress * 100);
  const log = job.log ?? [];
  return (
    <li
      className="rounded-lg border border-slate-200 bg-white p-4 text-sm"
      data-testid="job-row"
      data-kind={job.kind}
    >
      <div className="flex flex-wrap items-center gap-3">
        <span className="font-medium" data-testid="job-kind">
          {jobKindLabel(job.kind)}
        </span>
        {showRound && job.round && job.roundId && (
          <Link href={`/admin/rounds/${job.roundId}`} className="text-indigo-700 hover:underline">
            round {job.round.number}
          </Link>
        )}
        <span
          data-testid="job-state"
          className={`rounded px-2 py-0.5 ${STATE_STYLE[job.state] ?? ""}`}
        >
          {job.state}
        </span>
        {job.phase && (
          <span className="text-slate-600" data-testid="job-phase">
            {job.phase}
          </span>
        )}
        {job.etaSeconds !== null && job.state === "running" && (
          <span className="text-slate-600" data-testid="job-eta">
            ETA {formatSeconds(job.etaSeconds)}
          </span>
        )}
        <span className="text-slate-500">
          attempt {job.attempts}/{job.maxAttempts}
        </span>
        <span className="text-slate-500">{new Date(job.createdAt).toLocaleString()}</span>
        {canManage && ACTIVE_STATES.has(job.state) && (
          <button
            onClick={() => cancel.mutate({ jobId: job.id })}
            disabled={job.cancelRequested}
            className="ml-auto rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100 disabled:opacity-60"
          >
            {job.cancelRequested ? "Cancelling…" : "Cancel"}
          </button>
        )}
        {canManage && (job.state === "failed" || job.state === "cancelled") && (
          <button
            onClick={() => retry.mutate({ jobId: job.id })}
            className="ml-auto rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100"
          >
            Retry
          </button>
        )}
      </div>
      <div className="mt-2 flex items-center gap-2">
        <div
          className="h-2 w-full overflow-hidden rounded bg-slate-100"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          aria-label="Progress"
        >
          <div
            className={`h-full transition-all ${job.state === "failed" ? "bg-red-500" : "bg-indigo-600"}`}
            style={{ width: `${percent}%` }}
          />
        </div>
        <span className="w-10 text-right text-xs text-slate-600">{percent} %</span>
      </div>
      {job.error && <p className="mt-2 text-red-800">{job.error}</p>}
      {error && (
        <p className="mt-2 text-red-800" role="status">
          {error}
        </p>
      )}
      <ResultView job={job} />
      {log.length > 0 && (
        <details className="mt-3" open={job.state === "running" || job.state === "failed"}>
          <summary className="cursor-pointer text-slate-600">Log ({log.length} lines)</summary>
          <pre
            className="mt-1 max-h-48 overflow-auto rounded bg-slate-900 p-2 text-xs leading-5 text-slate-100"
            data-testid="job-log"
          >
            {log.slice(-40).join("\n")}
          </pre>
        </details>
      )}
    </li>
  );
}
