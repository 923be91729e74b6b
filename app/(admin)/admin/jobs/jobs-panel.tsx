"use client";
// Jobs: start reward-model training, watch progress (bar, phase, ETA, loss curve), cancel or
// retry, and read the trained models' Table 8.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { ZTrainRewardConfig } from "@/lib/shared/jobs";
import { ZTrainingMetrics } from "@/lib/shared/reward-metrics";
import { LossCurve } from "./loss-curve";
import { Table8 } from "./table8";

const ACTIVE = new Set(["queued", "running"]);

export function JobsPanel({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const jobs = useQuery(
    trpc.jobs.list.queryOptions(
      { limit: 20 },
      { refetchInterval: (q) => (q.state.data?.some((j) => ACTIVE.has(j.state)) ? 1000 : 5000) },
    ),
  );
  const models = useQuery(trpc.models.list.queryOptions({}, { refetchInterval: 5000 }));
  const rounds = useQuery(trpc.rounds.list.queryOptions());
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.jobs.list.queryKey() });
  const [error, setError] = useState<string | null>(null);
  const [selectedRounds, setSelectedRounds] = useState<string[]>([]);
  const [axes, setAxes] = useState<("helpfulness" | "safety")[]>(["helpfulness", "safety"]);
  const start = useMutation(trpc.jobs.trainRewardModels.mutationOptions({ onSuccess: refresh }));
  const cancel = useMutation(
    trpc.jobs.cancel.mutationOptions({ onSuccess: refresh, onError: (e) => setError(e.message) }),
  );
  const retry = useMutation(
    trpc.jobs.retry.mutationOptions({ onSuccess: refresh, onError: (e) => setError(e.message) }),
  );

  async function onStart(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const parsed = ZTrainRewardConfig.safeParse({
      roundIds: selectedRounds,
      axes,
      margins: f.get("margins"),
      epochs: Number(f.get("epochs")),
      learningRate: Number(f.get("learningRate")),
      batchSize: Number(f.get("batchSize")),
      testFraction: Number(f.get("testFraction")),
    });
    if (!parsed.success) {
      setError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join(". "));
      return;
    }
    setError(null);
    try {
      await start.mutateAsync(parsed.data);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  const rewardModels = (models.data ?? []).filter((m) => m.kind !== "policy");

  return (
    <section aria-labelledby="jobs-title" className="space-y-8">
      <h1 id="jobs-title" className="text-2xl font-semibold">
        Jobs and reward models
      </h1>
      {canManage && (
        <form
          onSubmit={onStart}
          aria-labelledby="train-title"
          className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
          noValidate
        >
          <h2 id="train-title" className="font-medium">
            Train reward models
          </h2>
          <p className="text-sm text-slate-600">
            Trains a helpfulness and a safety reward model on the non-rejected comparisons, with the
            loss −log σ(r_chosen − r_rejected − m(degree)), and evaluates them on held-out prompts.
          </p>
          <fieldset className="text-sm">
            <legend className="font-medium">Rounds (none selected = all)</legend>
            <div className="mt-1 flex flex-wrap gap-3">
              {rounds.data?.map((r) => (
                <label key={r.id} className="flex items-center gap-1.5">
                  <input
                    type="checkbox"
                    checked={selectedRounds.includes(r.id)}
                    onChange={(e) =>
                      setSelectedRounds((s) =>
                        e.target.checked ? [...s, r.id] : s.filter((x) => x !== r.id),
                      )
                    }
                  />
                  Round {r.number} ({r.annotations} annotations)
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset className="text-sm">
            <legend className="font-medium">Reward models</legend>
            <div className="mt-1 flex gap-4">
              {(["helpfulness", "safety"] as const).map((axis) => (
                <label key={axis} className="flex items-center gap-1.5 capitalize">
                  <input
                    type="checkbox"
                    checked={axes.includes(axis)}
                    onChange={(e) =>
                      setAxes((a) =>
                        e.target.checked ? [...a, axis] : a.filter((x) => x !== axis),
                      )
                    }
                  />
                  {axis}
                </label>
              ))}
            </div>
          </fieldset>
          <div className="grid gap-3 text-sm sm:grid-cols-5">
            <label>
              Margin
              <select
                name="margins"
                defaultValue="small"
                className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
              >
                <option value="none">none</option>
                <option value="small">small (1, ⅔, ⅓, 0)</option>
                <option value="large">large (3, 2, 1, 0)</option>
              </select>
            </label>
            <label>
              Epochs
              <input
                name="epochs"
                type="number"
                defaultValue={1}
                min={1}
                max={20}
                className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
              />
            </label>
            <label>
              Learning rate
              <input
                name="learningRate"
                defaultValue="1e-5"
                className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
              />
            </label>
            <label>
              Batch (pairs)
              <input
                name="batchSize"
                type="number"
                defaultValue={8}
                min={1}
                className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
              />
            </label>
            <label>
              Held-out share
              <input
                name="testFraction"
                defaultValue="0.2"
                className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
              />
            </label>
          </div>
          <button
            type="submit"
            disabled={start.isPending}
            className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
          >
            Start training
          </button>
        </form>
      )}
      {error && (
        <p
          role="status"
          data-testid="jobs-error"
          className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800"
        >
          {error}
        </p>
      )}

      <div>
        <h2 className="text-lg font-medium">Jobs</h2>
        <ul className="mt-2 space-y-3" data-testid="job-list">
          {jobs.data?.length === 0 && (
            <li className="text-sm text-slate-600">No jobs yet. Start a training above.</li>
          )}
          {jobs.data?.map((j) => {
            const metrics = ZTrainingMetrics.safeParse(j.metrics);
            return (
              <li
                key={j.id}
                className="rounded-lg border border-slate-200 bg-white p-4 text-sm"
                data-testid="job-row"
              >
                <div className="flex flex-wrap items-center gap-3">
                  <span className="font-medium">{j.kind.replace("_", " ")}</span>
                  <span data-testid="job-state" className="rounded bg-slate-100 px-2 py-0.5">
                    {j.state}
                  </span>
                  <span className="text-slate-600">{j.phase}</span>
                  {j.etaSeconds !== null && j.state === "running" && (
                    <span className="text-slate-600">ETA {j.etaSeconds} s</span>
                  )}
                  <span className="text-slate-500">
                    attempt {j.attempts}/{j.maxAttempts}
                  </span>
                  {canManage && ACTIVE.has(j.state) && (
                    <button
                      onClick={() => cancel.mutate({ jobId: j.id })}
                      className="ml-auto rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100"
                    >
                      Cancel
                    </button>
                  )}
                  {canManage && (j.state === "failed" || j.state === "cancelled") && (
                    <button
                      onClick={() => retry.mutate({ jobId: j.id })}
                      className="ml-auto rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100"
                    >
                      Retry
                    </button>
                  )}
                </div>
                <div
                  className="mt-2 h-2 w-full overflow-hidden rounded bg-slate-100"
                  role="progressbar"
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={Math.round(j.progress * 100)}
                  aria-label="Progress"
                >
                  <div
                    className="h-full bg-indigo-600 transition-all"
                    style={{ width: `${Math.round(j.progress * 100)}%` }}
                  />
                </div>
                {j.error && <p className="mt-2 text-red-800">{j.error}</p>}
                {metrics.success && metrics.data.loss !== undefined && (
                  <p className="mt-2 text-slate-600">
                    {metrics.data.axis} · step {metrics.data.step} · loss{" "}
                    {metrics.data.loss.toFixed(4)}
                  </p>
                )}
                {metrics.success && metrics.data.loss_curve && (
                  <LossCurve points={metrics.data.loss_curve} />
                )}
              </li>
            );
          })}
        </ul>
      </div>

      <div>
        <h2 className="text-lg font-medium">Reward models</h2>
        <div className="mt-2">
          <Table8 rows={rewardModels.map((m) => ({ model: m.name, metrics: m.metrics }))} />
        </div>
      </div>
    </section>
  );
}
