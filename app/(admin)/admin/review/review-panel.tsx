"use client";
// The reviewer's view: recent annotations with filters, approve / reject with a reason, make a
// trusted one a gold item, and per-annotator quality statistics.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { DataTable } from "../data-table";
import {
  AxisFilter,
  DecisionButtons,
  pct,
  seconds,
  StatusFilter,
  type TReviewStatusFilter,
} from "./review-controls";
import {
  DEGREE_LABELS,
  FLAGS,
  SAFETY_LABEL_TEXT,
  type TAxis,
  type TFlag,
} from "@/lib/shared/protocol";

export function ReviewPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [axis, setAxis] = useState<TAxis | "">("");
  const [flag, setFlag] = useState<TFlag | "">("");
  const [status, setStatus] = useState<TReviewStatusFilter>("");
  const [annotatorId, setAnnotatorId] = useState("");
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const filter = {
    axis: axis || undefined,
    flag: flag || undefined,
    status: status || undefined,
    annotatorId: annotatorId || undefined,
    limit: 50,
  };
  const list = useQuery(trpc.review.list.queryOptions(filter));
  const stats = useQuery(trpc.review.stats.queryOptions({}));
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.review.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.review.stats.queryKey() });
  };
  const decide = useMutation(
    trpc.review.decide.mutationOptions({ onSuccess: refresh, onError: (e) => setError(e.message) }),
  );
  const makeGold = useMutation(
    trpc.review.makeGold.mutationOptions({
      onSuccess: refresh,
      onError: (e) => setError(e.message),
    }),
  );

  return (
    <section aria-labelledby="review-title" className="space-y-8">
      <h1 id="review-title" className="text-2xl font-semibold">
        Review
      </h1>

      <div>
        <h2 className="text-lg font-medium">Annotators</h2>
        <DataTable
          testId="annotator-stats"
          headers={[
            "Annotator",
            "Annotations",
            "Rejected",
            "Median time",
            "Gold accuracy",
            "Agreement",
            "Chose left",
          ]}
          message={
            stats.data?.length === 0
              ? "No annotations yet. Statistics appear as annotators label comparisons."
              : null
          }
          className="mt-2"
        >
          {stats.data?.map((s) => (
            <tr key={s.annotatorId} className="border-t border-slate-100">
              <td className="px-3 py-2">
                <button className="hover:underline" onClick={() => setAnnotatorId(s.annotatorId)}>
                  {s.email}
                </button>
              </td>
              <td className="px-3 py-2">{s.count}</td>
              <td className="px-3 py-2" data-testid={`rejected-${s.email}`}>
                {s.rejected}
              </td>
              <td className="px-3 py-2">{seconds(s.medianTimeMs)}</td>
              <td className="px-3 py-2">
                {pct(s.goldAccuracy)} <span className="text-slate-500">({s.goldItems})</span>
              </td>
              <td className="px-3 py-2">
                {pct(s.agreement)} <span className="text-slate-500">({s.overlapPairs})</span>
              </td>
              <td className="px-3 py-2">{pct(s.leftShare)}</td>
            </tr>
          ))}
        </DataTable>
      </div>

      <div>
        <h2 className="text-lg font-medium">Annotations</h2>
        <div className="mt-2 flex flex-wrap gap-3 text-sm">
          <AxisFilter value={axis} onChange={setAxis} />
          <label>
            Flag{" "}
            <select
              value={flag}
              onChange={(e) => setFlag(e.target.value as TFlag | "")}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              <option value="">any</option>
              {FLAGS.map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
          <StatusFilter value={status} onChange={setStatus} />
          {annotatorId && (
            <button
              onClick={() => setAnnotatorId("")}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              Clear annotator filter
            </button>
          )}
        </div>
        {error && (
          <p className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">{error}</p>
        )}
        <ul className="mt-3 space-y-3" data-testid="annotation-list">
          {list.data?.length === 0 && (
            <li className="text-sm text-slate-600">No annotations match these filters.</li>
          )}
          {list.data?.map((a) => (
            <li
              key={a.id}
              className="rounded-lg border border-slate-200 bg-white p-4 text-sm"
              data-testid="annotation-row"
            >
              <div className="flex flex-wrap items-center gap-2 text-slate-600">
                <span className="font-medium text-slate-900">{a.annotator}</span>· round {a.round} ·{" "}
                {a.axis} · {DEGREE_LABELS[a.degree]}
                {a.safetyLabel && <> · {SAFETY_LABEL_TEXT[a.safetyLabel]}</>}
                {a.chosenUnsafeOtherSafe && (
                  <span className="rounded bg-amber-100 px-1.5 text-amber-900">
                    chosen unsafe, other safe
                  </span>
                )}
                {a.flags.map((f) => (
                  <span key={f} className="rounded bg-slate-100 px-1.5">
                    {f}
                  </span>
                ))}
                {a.gold && (
                  <span className="rounded bg-yellow-100 px-1.5">
                    gold {a.gold.correct ? "✓" : "✗"}
                  </span>
                )}
                <span className="ml-auto" data-testid="review-status">
                  {a.status}
                </span>
              </div>
              <p className="mt-2 whitespace-pre-wrap">
                <span className="text-slate-500">Prompt: </span>
                {a.context.at(-1)?.content}
              </p>
              <div className="mt-2 grid gap-2 md:grid-cols-2">
                <p className="rounded bg-emerald-50 p-2 whitespace-pre-wrap">
                  <span className="text-slate-500">Chosen: </span>
                  {a.chosen}
                </p>
                <p className="rounded bg-slate-50 p-2 whitespace-pre-wrap">
                  <span className="text-slate-500">Other: </span>
                  {a.rejected}
                </p>
              </div>
              {a.note && <p className="mt-2 text-slate-600">Note: {a.note}</p>}
              {a.review?.reason && <p className="mt-2 text-slate-600">Reason: {a.review.reason}</p>}
              <DecisionButtons
                inputId={`reason-${a.id}`}
                reason={reasons[a.id] ?? ""}
                onReason={(v) => setReasons((r) => ({ ...r, [a.id]: v }))}
                onApprove={() => decide.mutate({ annotationId: a.id, decision: "approved" })}
                onReject={() =>
                  decide.mutate({
                    annotationId: a.id,
                    decision: "rejected",
                    reason: reasons[a.id] || undefined,
                  })
                }
                afterReject={
                  !a.gold && (
                    <button
                      onClick={() => makeGold.mutate({ annotationId: a.id })}
                      className="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100"
                    >
                      Make gold
                    </button>
                  )
                }
              />
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
