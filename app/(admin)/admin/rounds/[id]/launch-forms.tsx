"use client";
// Launch a round's steps as tabs: one per kind of the job-kind table (lib/shared/jobs.ts), each
// that kind's one form (./launch-form.tsx); jobs.start says why a kind cannot run yet.
import { useState } from "react";
import { JOB_KINDS, JOB_KIND_TABLE, type TJobKind } from "@/lib/shared/jobs";
import { LaunchForm } from "./launch-form";

/** The tab open first: the step that matches the round's stage. */
function initialKind(status: string): TJobKind {
  return status === "rlhf"
    ? "rejection_sampling"
    : status === "evaluating"
      ? "evaluate"
      : "train_reward";
}

export function LaunchPanel({
  roundId,
  status,
  roundIds,
  policies,
  onStarted,
}: {
  roundId: string;
  status: string;
  roundIds: string[];
  policies: { id: string; name: string }[];
  onStarted: () => void;
}) {
  const [open, setOpen] = useState<TJobKind>(() => initialKind(status));
  return (
    <section
      aria-labelledby="launch-title"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="launch-title" className="text-lg font-medium">
        Train and improve
      </h2>
      <div role="tablist" className="flex flex-wrap gap-2">
        {JOB_KINDS.map((kind) => (
          <button
            key={kind}
            role="tab"
            type="button"
            aria-selected={kind === open}
            onClick={() => setOpen(kind)}
            className={`rounded-md border px-3 py-1.5 text-sm ${kind === open ? "border-indigo-600 bg-indigo-50 text-indigo-900" : "border-slate-300 hover:bg-slate-100"}`}
          >
            {JOB_KIND_TABLE[kind].form.title}
          </button>
        ))}
      </div>
      <LaunchForm
        key={open}
        kind={open}
        roundId={roundId}
        roundIds={roundIds}
        policies={policies}
        onStarted={onStarted}
      />
    </section>
  );
}
