"use client";
// One round: its status and lifecycle buttons (a refused move says why), collection progress per
// axis against the targets, the degree and safety-label distributions, agreement on overlap pairs,
// annotations over time, the configuration form, the launchers of each training step, the round's
// jobs live, its reward models' Table 8, and its evaluation.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { DEGREE_LABELS } from "@/lib/shared/protocol";
import {
  AgreementChart,
  DegreeChart,
  ProgressChart,
  SafetyLabelChart,
  TimelineChart,
} from "../../components/round-charts";
import { ACTIVE_STATES, JobCard } from "../../jobs/job-card";
import { Table8 } from "../../jobs/table8";
import { NEXT_ACTION, STATUS_STYLE, canCancel, statusText } from "../lifecycle";
import { ConfirmButton, IRREVERSIBLE_MOVES } from "../../confirm-button";
import { ConfigForm } from "./config-form";
import { EvaluationView } from "./evaluation";
import { LaunchPanel } from "./launch-forms";
import { pct } from "@/lib/shared/format";

export function RoundPage({ roundId, canManage }: { roundId: string; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const round = useQuery(trpc.rounds.get.queryOptions({ roundId }, { refetchInterval: 5000 }));
  const collecting = round.data?.status === "collecting";
  const stats = useQuery(
    trpc.rounds.stats.queryOptions({ roundId }, { refetchInterval: collecting ? 2000 : 10_000 }),
  );
  const jobs = useQuery(
    trpc.rounds.jobs.queryOptions(
      { roundId },
      {
        refetchInterval: (q) =>
          q.state.data?.some((j) => ACTIVE_STATES.has(j.state)) ? 1000 : 5000,
      },
    ),
  );
  const policies = useQuery(
    trpc.models.list.queryOptions({ kind: "policy" }, { refetchInterval: 10_000 }),
  );
  const rounds = useQuery(trpc.rounds.list.queryOptions());
  // A notice belongs to the status it was about: once the round moves on (here or elsewhere), an
  // old refusal or confirmation no longer shows.
  const [notice, setNotice] = useState<{ text: string; status: string } | null>(null);
  const status = round.data?.status;
  const setMessage = (text: string, at: string | undefined = status) =>
    setNotice(at ? { text, status: at } : null);

  const refresh = () => {
    for (const key of [
      trpc.rounds.get.queryKey({ roundId }),
      trpc.rounds.stats.queryKey({ roundId }),
      trpc.rounds.jobs.queryKey({ roundId }),
      trpc.rounds.list.queryKey(),
    ]) {
      void queryClient.invalidateQueries({ queryKey: key });
    }
  };
  const onError = (e: { message: string }) => setMessage(e.message);
  const advance = useMutation(
    trpc.rounds.advance.mutationOptions({
      onSuccess: (r) => {
        setMessage(`Moved to ${statusText(r.status)}.`, r.status);
        refresh();
      },
      onError,
    }),
  );
  const cancel = useMutation(
    trpc.rounds.cancel.mutationOptions({
      onSuccess: () => {
        setMessage("Round cancelled.", "cancelled");
        refresh();
      },
      onError,
    }),
  );

  if (round.error) {
    return (
      <p className="text-sm text-red-800">
        {round.error.message}. <Link href="/admin/rounds">Back to the rounds</Link>
      </p>
    );
  }
  if (!round.data) return <p className="text-sm text-slate-600">Loading…</p>;
  const r = round.data;
  const policyList = (policies.data ?? []).map((p) => ({ id: p.id, name: p.name }));
  const modelName = (id: string) =>
    r.models.find((m) => m.id === id)?.name ?? policyList.find((p) => p.id === id)?.name ?? id;
  const rewardModels = r.models.filter((m) => m.kind !== "policy");
  const newPolicies = r.models.filter((m) => m.kind === "policy");
  const roundIds = (rounds.data ?? []).filter((x) => x.number <= r.number).map((x) => x.id);
  const s = stats.data;
  const counted = s ? s.progress.reduce((a, p) => a + p.counted, 0) : 0;

  return (
    <section aria-labelledby="round-title" className="space-y-6" data-testid="round-page">
      <div>
        <Link href="/admin/rounds" className="text-sm text-indigo-700 hover:underline">
          ← Rounds
        </Link>
        <div className="mt-1 flex flex-wrap items-center gap-3">
          <h1 id="round-title" className="text-2xl font-semibold">
            Round {r.number}: {r.name}
          </h1>
          <span
            data-testid="round-status"
            className={`rounded px-2 py-0.5 text-sm ${STATUS_STYLE[r.status] ?? ""}`}
          >
            {statusText(r.status)}
          </span>
          {canManage && (
            <div className="ml-auto flex gap-2">
              {NEXT_ACTION[r.status] &&
                (IRREVERSIBLE_MOVES[r.status] ? (
                  <ConfirmButton
                    title={IRREVERSIBLE_MOVES[r.status]!.title}
                    body={IRREVERSIBLE_MOVES[r.status]!.body}
                    confirmLabel={IRREVERSIBLE_MOVES[r.status]!.confirm}
                    onConfirm={() => advance.mutate({ roundId })}
                    disabled={advance.isPending}
                    className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
                  >
                    {NEXT_ACTION[r.status]}
                  </ConfirmButton>
                ) : (
                  <button
                    onClick={() => advance.mutate({ roundId })}
                    disabled={advance.isPending}
                    className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
                  >
                    {NEXT_ACTION[r.status]}
                  </button>
                ))}
              {canCancel(r.status) && (
                <ConfirmButton
                  title={`Cancel round ${r.number}?`}
                  body="Its collection stops and it can never move on again. This cannot be undone."
                  confirmLabel="Cancel round"
                  danger
                  onConfirm={() => cancel.mutate({ roundId })}
                  className="rounded-md border border-red-300 px-4 py-2 text-sm text-red-800 hover:bg-red-50"
                >
                  Cancel round
                </ConfirmButton>
              )}
            </div>
          )}
        </div>
        <p className="mt-1 text-sm text-slate-600">
          Created {new Date(r.createdAt).toLocaleString()}
          {r.createdBy ? ` by ${r.createdBy.email}` : ""}
          {r.publishedAt ? ` · published ${new Date(r.publishedAt).toLocaleString()}` : ""}
        </p>
        {notice && notice.status === r.status && (
          <p
            role="status"
            data-testid="round-message"
            className="mt-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
          >
            {notice.text}
          </p>
        )}
        {r.configError && (
          <p className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            The stored configuration does not validate ({r.configError}); the form shows the
            defaults. Save to replace it.
          </p>
        )}
      </div>

      <section aria-labelledby="collection-title" className="space-y-3">
        <h2 id="collection-title" className="text-lg font-medium">
          Collection
        </h2>
        {s && counted === 0 && (
          <p
            className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-600"
            data-testid="collection-empty"
          >
            {r.status === "draft"
              ? "Nothing collected yet. Check the configuration below, then Start collecting: annotators then get this round's pairs in the Workspace."
              : r.status === "collecting"
                ? "Collecting, no annotations yet. Annotators label pairs in the Workspace; this page updates as they arrive."
                : "This round collected no annotations."}
          </p>
        )}
        {s && (
          <dl className="grid grid-cols-2 gap-3 md:grid-cols-4" data-testid="collection-summary">
            {s.progress.map((p) => (
              <div key={p.axis} className="rounded-lg border border-slate-200 bg-white p-3">
                <dt className="text-xs capitalize text-slate-600">{p.axis}</dt>
                <dd className="text-xl font-semibold" data-testid={`progress-${p.axis}`}>
                  {p.counted} / {p.target}
                </dd>
                <dd className="text-xs text-slate-500">
                  {p.rejected} rejected · needs {p.minimum} to train
                </dd>
              </div>
            ))}
            <div className="rounded-lg border border-slate-200 bg-white p-3">
              <dt className="text-xs text-slate-600">Agreement (overlap pairs)</dt>
              {s.agreement.map((a) => (
                <dd key={a.axis} className="text-sm" data-testid={`agreement-${a.axis}`}>
                  <span className="capitalize">{a.axis}</span>:{" "}
                  {a.rate === null ? "no pairs yet" : `${pct(a.rate)} of ${a.pairs}`}
                </dd>
              ))}
            </div>
            <div className="rounded-lg border border-slate-200 bg-white p-3">
              <dt className="text-xs text-slate-600">Annotators · comparisons</dt>
              <dd className="text-xl font-semibold">
                {s.annotators} · {s.comparisons.reduce((a, c) => a + c.n, 0)}
              </dd>
              <dd className="text-xs text-slate-500">
                {s.comparisons.map((c) => `${c.n} ${c.status}`).join(", ") || "none yet"}
              </dd>
            </div>
            <div className="rounded-lg border border-slate-200 bg-white p-3">
              <dt className="text-xs text-slate-600">Identical pairs</dt>
              <dd className="text-sm" data-testid="duplicates-resamples">
                Side B resampled: {s.duplicates.resamples}
              </dd>
              <dd className="text-sm" data-testid="duplicates-dropped">
                Dropped: {s.duplicates.dropped}
                {s.duplicates.sampled > 0 &&
                  ` (${pct(s.duplicates.dropped / s.duplicates.sampled)} of sampled)`}
              </dd>
              {s.duplicates.identicalStored > 0 && (
                <dd className="text-xs text-slate-500">
                  {s.duplicates.identicalStored} stored with identical responses (left out of
                  training and the TRL / HH-RLHF exports)
                </dd>
              )}
            </div>
          </dl>
        )}
        {s && (
          <div className="grid gap-4 lg:grid-cols-2">
            <ProgressChart progress={s.progress} />
            <TimelineChart points={s.timeline.points} bucket={s.timeline.bucket} />
            <DegreeChart degrees={s.degrees} labels={DEGREE_LABELS} />
            <SafetyLabelChart labels={s.safetyLabels} />
            <AgreementChart agreement={s.agreement} />
          </div>
        )}
      </section>

      <ConfigForm
        key={r.id}
        roundId={r.id}
        config={r.config}
        editable={r.editable}
        canManage={canManage}
        status={r.status}
        policies={policyList}
        onSaved={refresh}
      />

      {canManage && r.status !== "cancelled" && (
        <LaunchPanel
          roundId={r.id}
          status={r.status}
          roundIds={roundIds}
          policies={policyList}
          onStarted={refresh}
        />
      )}

      <section aria-labelledby="round-jobs-title">
        <h2 id="round-jobs-title" className="text-lg font-medium">
          Jobs
        </h2>
        <ul className="mt-2 space-y-3" data-testid="job-list">
          {jobs.data?.length === 0 && (
            <li className="text-sm text-slate-600">
              No jobs for this round yet. Launch reward-model training above once enough annotations
              are in.
            </li>
          )}
          {jobs.data?.map((j) => (
            <JobCard
              key={j.id}
              job={j}
              canManage={canManage}
              onChanged={refresh}
              showRound={false}
            />
          ))}
        </ul>
      </section>

      <section aria-labelledby="round-models-title" className="space-y-2">
        <h2 id="round-models-title" className="text-lg font-medium">
          Reward models
        </h2>
        {rewardModels.length === 0 ? (
          <p className="text-sm text-slate-600">
            This round has no reward models yet. Start a reward-model training above.
          </p>
        ) : (
          <Table8 rows={rewardModels.map((m) => ({ model: m.name, metrics: m.metrics }))} />
        )}
        {newPolicies.length > 0 && (
          <p className="text-sm text-slate-600" data-testid="round-policies">
            Policies from this round:{" "}
            {newPolicies
              .map((p) => `${p.name}${p.parent ? ` (from ${p.parent.name})` : ""}`)
              .join(", ")}
          </p>
        )}
      </section>

      <section aria-labelledby="evaluation-title" id="evaluation" className="space-y-2">
        <h2 id="evaluation-title" className="text-lg font-medium">
          Evaluation
        </h2>
        <EvaluationView evaluation={r.evaluation} modelName={modelName} />
      </section>
    </section>
  );
}
