"use client";
// Jobs: start reward-model training, watch every job's progress (bar, phase, ETA, log tail, a
// result view per kind), filter by kind and round, cancel or retry, and read the reward models'
// Table 8. Rounds' RLHF steps are launched from the round's page.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { ZTrainRewardConfig } from "@/lib/shared/jobs";
import { ACTIVE_STATES, JobCard, KIND_LABELS } from "./job-card";
import { Table8 } from "./table8";

export function JobsPanel({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const jobs = useQuery(
    trpc.jobs.list.queryOptions(
      { limit: 200 },
      {
        refetchInterval: (q) =>
          q.state.data?.some((j) => ACTIVE_STATES.has(j.state)) ? 1000 : 5000,
      },
    ),
  );
  const models = useQuery(trpc.models.list.queryOptions({}, { refetchInterval: 5000 }));
  const rounds = useQuery(trpc.rounds.list.queryOptions());
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.jobs.list.queryKey() });
  const [error, setError] = useState<string | null>(null);
  const [selectedRounds, setSelectedRounds] = useState<string[]>([]);
  const [axes, setAxes] = useState<("helpfulness" | "safety")[]>(["helpfulness", "safety"]);
  const start = useMutation(trpc.jobs.trainRewardModels.mutationOptions({ onSuccess: refresh }));
  const [kindFilter, setKindFilter] = useState("");
  const [roundFilter, setRoundFilter] = useState("");
  const shown = (jobs.data ?? []).filter(
    (j) =>
      (!kindFilter || j.kind === kindFilter) &&
      (!roundFilter || (roundFilter === "none" ? !j.roundId : j.roundId === roundFilter)),
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
        <div className="flex flex-wrap items-end gap-4">
          <h2 className="text-lg font-medium">Jobs</h2>
          <label className="text-sm">
            Kind
            <select
              value={kindFilter}
              onChange={(e) => setKindFilter(e.target.value)}
              className="ml-2 rounded-md border border-slate-300 px-2 py-1"
            >
              <option value="">all</option>
              {Object.entries(KIND_LABELS).map(([k, label]) => (
                <option key={k} value={k}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label className="text-sm">
            Round
            <select
              value={roundFilter}
              onChange={(e) => setRoundFilter(e.target.value)}
              className="ml-2 rounded-md border border-slate-300 px-2 py-1"
            >
              <option value="">all</option>
              <option value="none">none</option>
              {rounds.data?.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.number}. {r.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ul className="mt-2 space-y-3" data-testid="job-list">
          {jobs.data && shown.length === 0 && (
            <li className="text-sm text-slate-600">
              {jobs.data.length === 0
                ? "No jobs yet. Start a reward-model training above, or launch a step from a round's page."
                : "No job matches the filter."}
            </li>
          )}
          {shown.map((j) => (
            <JobCard key={j.id} job={j} canManage={canManage} onChanged={refresh} />
          ))}
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
