"use client";
// The review gate of demonstrations: filter by status, axis and annotator; approve, reject with a
// reason, or edit (the edit approves it and is what training and the export use; the annotator's
// text stays as written). Per-annotator acceptance rate above the list.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import type { TAxis, TMessage } from "@/lib/shared/protocol";
import { DataTable } from "../data-table";
import {
  AxisFilter,
  DecisionButtons,
  pct,
  seconds,
  Dialogue,
  StatusFilter,
  type TReviewStatusFilter,
} from "./review-controls";

export function DemonstrationReview() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [axis, setAxis] = useState<TAxis | "">("");
  const [status, setStatus] = useState<TReviewStatusFilter>("pending");
  const [annotatorId, setAnnotatorId] = useState("");
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [editing, setEditing] = useState<Record<string, TMessage[]>>({});
  const [error, setError] = useState<string | null>(null);
  const filter = {
    axis: axis || undefined,
    status: status || undefined,
    annotatorId: annotatorId || undefined,
    limit: 50,
  };
  const list = useQuery(trpc.demonstrations.list.queryOptions(filter));
  const stats = useQuery(trpc.demonstrations.stats.queryOptions({}));
  const refresh = async () => {
    setError(null);
    // A list fetched while the decision was in flight (the filter changed meanwhile) would be
    // kept by a plain invalidate, which joins a first fetch instead of restarting it: cancel it.
    await queryClient.cancelQueries({ queryKey: trpc.demonstrations.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.demonstrations.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.demonstrations.stats.queryKey() });
  };
  const onError = (e: { message: string }) => setError(e.message);
  const decide = useMutation(
    trpc.demonstrations.decide.mutationOptions({ onSuccess: refresh, onError }),
  );
  const edit = useMutation(
    trpc.demonstrations.edit.mutationOptions({
      onSuccess: (r) => {
        setEditing(({ [r.id]: _, ...rest }) => rest);
        void refresh();
      },
      onError,
    }),
  );

  return (
    <section aria-labelledby="demo-review-title" className="space-y-8">
      <h1 id="demo-review-title" className="text-2xl font-semibold">
        Review demonstrations
      </h1>
      <p className="text-sm text-slate-600">
        Only approved demonstrations are used for supervised fine-tuning and exported. An edit
        approves the demonstration with your text; the annotator&apos;s original is kept.
      </p>

      <div>
        <h2 className="text-lg font-medium">Annotators</h2>
        <DataTable
          testId="demonstration-stats"
          headers={[
            "Annotator",
            "Demonstrations",
            "Approved",
            "Rejected",
            "Pending",
            "Edited",
            "Acceptance rate",
            "Median time",
          ]}
          message={stats.data?.length === 0 ? "No demonstrations yet." : null}
          className="mt-2"
        >
          {stats.data?.map((s) => (
            <tr key={s.annotatorId} className="border-t border-slate-100">
              <td className="px-4 py-2">
                <button className="hover:underline" onClick={() => setAnnotatorId(s.annotatorId)}>
                  {s.email}
                </button>
              </td>
              <td className="px-4 py-2">{s.total}</td>
              <td className="px-4 py-2">{s.approved}</td>
              <td className="px-4 py-2">{s.rejected}</td>
              <td className="px-4 py-2">{s.pending}</td>
              <td className="px-4 py-2">{s.edited}</td>
              <td className="px-4 py-2" data-testid={`acceptance-${s.email}`}>
                {pct(s.acceptanceRate)}
              </td>
              <td className="px-4 py-2">{seconds(s.medianTimeMs)}</td>
            </tr>
          ))}
        </DataTable>
      </div>

      <div>
        <h2 className="text-lg font-medium">Demonstrations</h2>
        <div className="mt-2 flex flex-wrap gap-3 text-sm">
          <StatusFilter value={status} onChange={setStatus} />
          <AxisFilter value={axis} onChange={setAxis} />
          <label>
            Annotator{" "}
            <select
              value={annotatorId}
              onChange={(e) => setAnnotatorId(e.target.value)}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              <option value="">all</option>
              {stats.data?.map((s) => (
                <option key={s.annotatorId} value={s.annotatorId}>
                  {s.email}
                </option>
              ))}
            </select>
          </label>
        </div>
        {error && (
          <p role="status" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            {error}
          </p>
        )}
        <ul className="mt-3 space-y-3" data-testid="demonstration-list">
          {list.data?.length === 0 && (
            <li className="text-sm text-slate-600">No demonstrations match these filters.</li>
          )}
          {list.data?.map((d) => {
            const draft = editing[d.id];
            return (
              <li
                key={d.id}
                className="rounded-lg border border-slate-200 bg-white p-4 text-sm"
                data-testid="demonstration-row"
              >
                <div className="flex flex-wrap items-center gap-2 text-slate-600">
                  <span className="font-medium text-slate-900">{d.annotator}</span>· round {d.round}{" "}
                  · {d.axis} · {(d.timeSpentMs / 1000).toFixed(0)} s
                  {d.sourceSample !== null && (
                    <span className="rounded bg-slate-100 px-1.5">from a model sample</span>
                  )}
                  {d.editedMessages && (
                    <span className="rounded bg-amber-100 px-1.5 text-amber-900">edited</span>
                  )}
                  <span className="ml-auto" data-testid="demonstration-status">
                    {d.status}
                  </span>
                </div>
                <div className="mt-2 grid gap-3 md:grid-cols-2">
                  <div>
                    <p className="mb-1 text-xs font-medium text-slate-500 uppercase">
                      {d.editedMessages ? "As the annotator wrote it" : "Dialogue"}
                    </p>
                    <Dialogue messages={d.messages} assistantClass="bg-emerald-50" />
                  </div>
                  {d.editedMessages ? (
                    <div>
                      <p className="mb-1 text-xs font-medium text-slate-500 uppercase">
                        Reviewer&apos;s edit (used for training)
                      </p>
                      <Dialogue
                        messages={d.editedMessages}
                        testId="edited-dialogue"
                        assistantClass="bg-emerald-50"
                      />
                    </div>
                  ) : (
                    d.sourceSample !== null && (
                      <div>
                        <p className="mb-1 text-xs font-medium text-slate-500 uppercase">
                          Model sample before the annotator&apos;s edit
                          {d.sourceModel ? ` (${d.sourceModel})` : ""}
                        </p>
                        <p className="rounded bg-slate-50 p-2 whitespace-pre-wrap">
                          {d.sourceSample || "(empty sample)"}
                        </p>
                      </div>
                    )
                  )}
                </div>
                {d.reason && (
                  <p className="mt-2 text-slate-600">
                    {d.status === "rejected" ? "Reason" : "Note"}: {d.reason}
                    {d.reviewer ? ` (${d.reviewer})` : ""}
                  </p>
                )}
                {draft && (
                  <div className="mt-3 space-y-2 rounded-md bg-amber-50 p-3">
                    {draft.map((m, i) => (
                      <label key={i} className="block">
                        <span className="text-xs font-medium text-slate-600">
                          {m.role === "user" ? "User" : "Assistant"} turn {Math.floor(i / 2) + 1}
                        </span>
                        <textarea
                          value={m.content}
                          rows={m.role === "assistant" ? 4 : 2}
                          onChange={(e) =>
                            setEditing((all) => ({
                              ...all,
                              [d.id]: draft.map((x, j) =>
                                j === i ? { ...x, content: e.target.value } : x,
                              ),
                            }))
                          }
                          className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1"
                        />
                      </label>
                    ))}
                    <div className="flex gap-2">
                      <button
                        onClick={() =>
                          edit.mutate({
                            demonstrationId: d.id,
                            messages: draft,
                            reason: reasons[d.id] || undefined,
                          })
                        }
                        className="rounded-md bg-indigo-600 px-3 py-1 text-white hover:bg-indigo-700"
                      >
                        Save edit and approve
                      </button>
                      <button
                        onClick={() => setEditing(({ [d.id]: _, ...rest }) => rest)}
                        className="rounded-md border border-slate-300 px-3 py-1 hover:bg-white"
                      >
                        Cancel edit
                      </button>
                    </div>
                  </div>
                )}
                <DecisionButtons
                  inputId={`demo-reason-${d.id}`}
                  reason={reasons[d.id] ?? ""}
                  onReason={(v) => setReasons((r) => ({ ...r, [d.id]: v }))}
                  onApprove={() => decide.mutate({ demonstrationId: d.id, decision: "approved" })}
                  onReject={() =>
                    reasons[d.id]?.trim()
                      ? decide.mutate({
                          demonstrationId: d.id,
                          decision: "rejected",
                          reason: reasons[d.id],
                        })
                      : setError("Say why you reject it: write a reason next to Reject.")
                  }
                  afterApprove={
                    !draft && (
                      <button
                        onClick={() =>
                          setEditing((all) => ({
                            ...all,
                            [d.id]: (d.editedMessages ?? d.messages).map((m) => ({ ...m })),
                          }))
                        }
                        className="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100"
                      >
                        Edit
                      </button>
                    )
                  }
                />
              </li>
            );
          })}
        </ul>
      </div>
    </section>
  );
}
