"use client";
// One job: kind, round, state, phase, ETA, a live progress bar, cancel or retry, the log tail, and
// the result view of its kind (./job-result.tsx).
import { useMutation } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { jobKindLabel } from "@/lib/shared/jobs";
import type { AppRouter } from "@/lib/trpc/root";
import { formatSeconds } from "@/lib/shared/format";
import { ResultView } from "./job-result";

export type TJobRow = inferRouterOutputs<AppRouter>["jobs"]["list"][number];

export const ACTIVE_STATES = new Set(["queued", "running"]);

const STATE_STYLE: Record<string, string> = {
  queued: "bg-slate-100 text-slate-800",
  running: "bg-indigo-100 text-indigo-900",
  succeeded: "bg-green-100 text-green-900",
  failed: "bg-red-100 text-red-900",
  cancelled: "bg-amber-100 text-amber-900",
};

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
  // A refusal is about the state the job was in: once the job moves on, it is old news.
  const [refusal, setRefusal] = useState<{ state: string; message: string } | null>(null);
  const error = refusal && refusal.state === job.state ? refusal.message : null;
  const onError = (e: { message: string }) => setRefusal({ state: job.state, message: e.message });
  const onSuccess = () => {
    setRefusal(null);
    onChanged();
  };
  const cancel = useMutation(trpc.jobs.cancel.mutationOptions({ onSuccess, onError }));
  const retry = useMutation(trpc.jobs.retry.mutationOptions({ onSuccess, onError }));
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
