"use client";
// What the two review lists (annotations, demonstrations) share: the filter selects (status,
// axis) and the decision row (Approve, a reason, Reject), plus the number formats of their
// per-annotator tables.
import type { ReactNode } from "react";
import { AXES, type TAxis, type TMessage } from "@/lib/shared/protocol";
import { pct as share } from "@/lib/shared/format";

export type TReviewStatusFilter = "" | "pending" | "approved" | "rejected";

/** Shares of people's labels: whole percents. */
export const pct = (x: number | null) => share(x, 0);
export const seconds = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`);

const selectClass = "rounded-md border border-slate-300 px-2 py-1";

export function StatusFilter(props: {
  value: TReviewStatusFilter;
  onChange: (v: TReviewStatusFilter) => void;
}) {
  return (
    <label>
      Status{" "}
      <select
        value={props.value}
        onChange={(e) => props.onChange(e.target.value as TReviewStatusFilter)}
        className={selectClass}
      >
        <option value="">all</option>
        <option value="pending">pending</option>
        <option value="approved">approved</option>
        <option value="rejected">rejected</option>
      </select>
    </label>
  );
}

export function AxisFilter(props: { value: TAxis | ""; onChange: (v: TAxis | "") => void }) {
  return (
    <label>
      Axis{" "}
      <select
        value={props.value}
        onChange={(e) => props.onChange(e.target.value as TAxis | "")}
        className={selectClass}
      >
        <option value="">all</option>
        {AXES.map((a) => (
          <option key={a}>{a}</option>
        ))}
      </select>
    </label>
  );
}

/**
 * Approve, then `afterApprove`, the labelled reason input (id `inputId`), Reject, then
 * `afterReject`.
 */
export function DecisionButtons(props: {
  inputId: string;
  reason: string;
  onReason: (reason: string) => void;
  onApprove: () => void;
  onReject: () => void;
  afterApprove?: ReactNode;
  afterReject?: ReactNode;
}) {
  return (
    <div className="mt-3 flex flex-wrap items-center gap-2">
      <button
        onClick={props.onApprove}
        className="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100"
      >
        Approve
      </button>
      {props.afterApprove}
      <label className="sr-only" htmlFor={props.inputId}>
        Reason for rejecting
      </label>
      <input
        id={props.inputId}
        placeholder="reason to reject"
        value={props.reason}
        onChange={(e) => props.onReason(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            props.onReject();
          }
        }}
        className="rounded-md border border-slate-300 px-2 py-1"
      />
      <button
        onClick={props.onReject}
        className="rounded-md border border-red-300 px-3 py-1 text-red-800 hover:bg-red-50"
      >
        Reject
      </button>
      {props.afterReject}
    </div>
  );
}

/** A dialogue as reviewers read it: each turn labelled User or Assistant, the text as written. */
export function Dialogue({
  messages,
  testId,
  assistantClass = "bg-slate-100",
}: {
  messages: TMessage[];
  testId?: string;
  assistantClass?: string;
}) {
  return (
    <ol className="space-y-1" data-testid={testId}>
      {messages.map((m, i) => (
        <li
          key={i}
          className={`rounded px-2 py-1 whitespace-pre-wrap ${m.role === "user" ? "bg-white ring-1 ring-slate-200" : assistantClass}`}
        >
          <span className="mr-2 font-medium text-slate-500">
            {m.role === "user" ? "User" : "Assistant"}
          </span>
          {m.content}
        </li>
      ))}
    </ol>
  );
}
