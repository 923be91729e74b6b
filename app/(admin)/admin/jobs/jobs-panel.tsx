"use client";
// Jobs: start the kinds that need no round (reward-model training, SFT: the same forms as a
// round's page), watch every job's progress (bar, phase, ETA, log tail, a
// result view per kind), filter by kind and round, cancel or retry, and read the reward models'
// Table 8. Rounds' RLHF steps are launched from the round's page.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { JOB_KINDS, JOB_KIND_TABLE } from "@/lib/shared/jobs";
import { LaunchForm } from "../rounds/[id]/launch-form";
import { ACTIVE_STATES, JobCard } from "./job-card";
import { Table8 } from "./table8";

/** The kinds that need no round start here; every kind starts from a round's page. */
const LAUNCHED_HERE = JOB_KINDS.filter((k) => !JOB_KIND_TABLE[k].needsRound);

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
  const [kindFilter, setKindFilter] = useState("");
  const [roundFilter, setRoundFilter] = useState("");
  const shown = (jobs.data ?? []).filter(
    (j) =>
      (!kindFilter || j.kind === kindFilter) &&
      (!roundFilter || (roundFilter === "none" ? !j.roundId : j.roundId === roundFilter)),
  );

  const rewardModels = (models.data ?? []).filter((m) => m.kind !== "policy");
  const policies = (models.data ?? [])
    .filter((m) => m.kind === "policy")
    .map((m) => ({ id: m.id, name: m.name }));
  const roundChoices = (rounds.data ?? []).map((r) => ({
    id: r.id,
    label: `Round ${r.number} (${r.annotations} annotations)`,
  }));

  return (
    <section aria-labelledby="jobs-title" className="space-y-8">
      <h1 id="jobs-title" className="text-2xl font-semibold">
        Jobs and reward models
      </h1>
      {canManage && (
        <div className="grid gap-4 xl:grid-cols-2">
          {LAUNCHED_HERE.map((kind) => (
            <section
              key={kind}
              aria-labelledby={`start-${kind}`}
              className="space-y-2 rounded-lg border border-slate-200 bg-white p-4"
            >
              <h2 id={`start-${kind}`} className="font-medium">
                {JOB_KIND_TABLE[kind].form.title}
              </h2>
              <LaunchForm
                kind={kind}
                roundChoices={roundChoices}
                policies={policies}
                onStarted={refresh}
              />
            </section>
          ))}
        </div>
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
              {JOB_KINDS.map((k) => (
                <option key={k} value={k}>
                  {JOB_KIND_TABLE[k].label}
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
