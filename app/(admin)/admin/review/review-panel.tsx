"use client";
// The reviewer's view: per-annotator quality statistics, then the annotations a page at a time
// (cursor-based), each with its whole dialogue (ReviewCard); approve, reject with a reason, make a
// trusted one a gold item, or select several and approve them at once. Keyboard first: the keys
// are listed on the page (REVIEW_KEYS).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { DataTable } from "../data-table";
import { ReviewCard } from "./review-card";
import {
  AxisFilter,
  DecisionButtons,
  pct,
  seconds,
  StatusFilter,
  type TReviewStatusFilter,
} from "./review-controls";
import { FLAGS, type TAxis, type TFlag } from "@/lib/shared/protocol";

const PAGE_SIZES = [5, 20, 50] as const;

const REVIEW_KEYS: [string, string][] = [
  ["j / k", "next / previous annotation"],
  ["a", "approve it"],
  ["r", "write the reason to reject it (Enter rejects)"],
  ["x", "select it"],
  ["Shift+A", "approve the selected"],
  ["] / [", "next / previous page"],
];

/** True when a key press belongs to a text field or a select, not to the review keys. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.tagName === "TEXTAREA" ||
    target.tagName === "SELECT" ||
    (target.tagName === "INPUT" && (target as HTMLInputElement).type === "text") ||
    target.isContentEditable
  );
}

export function ReviewPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [axis, setAxis] = useState<TAxis | "">("");
  const [flag, setFlag] = useState<TFlag | "">("");
  const [status, setStatus] = useState<TReviewStatusFilter>("");
  const [annotatorId, setAnnotatorId] = useState("");
  // The cursors of the pages seen so far: the last one is the page shown.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [focus, setFocus] = useState(0);
  const [pageSize, setPageSize] = useState<number>(20);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const filter = {
    axis: axis || undefined,
    flag: flag || undefined,
    status: status || undefined,
    annotatorId: annotatorId || undefined,
    limit: pageSize,
    cursor: cursors.at(-1),
  };
  const list = useQuery(trpc.review.list.queryOptions(filter));
  const stats = useQuery(trpc.review.stats.queryOptions({}));
  const items = list.data?.items ?? [];
  const nextCursor = list.data?.nextCursor ?? null;
  const refresh = async () => {
    // A list whose first fetch started while the decision was in flight (a filter or page changed
    // meanwhile) would be kept by a plain invalidate, which joins that fetch: cancel it first.
    await queryClient.cancelQueries({ queryKey: trpc.review.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.review.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.review.stats.queryKey() });
  };
  const decide = useMutation(trpc.review.decide.mutationOptions({ onSuccess: refresh }));
  const approveMany = useMutation(trpc.review.approveMany.mutationOptions({ onSuccess: refresh }));
  const makeGold = useMutation(
    trpc.review.makeGold.mutationOptions({
      onSuccess: refresh,
      onError: (e) => setMessage({ text: e.message, error: true }),
    }),
  );

  /** A filter changed: back to the first page, nothing selected. */
  function refilter<T>(set: (v: T) => void) {
    return (v: T) => {
      set(v);
      setCursors([undefined]);
      setSelected(new Set());
      setFocus(0);
      setMessage(null);
    };
  }
  function turnPage(next: boolean) {
    if (next && !nextCursor) return;
    if (!next && cursors.length < 2) return;
    setCursors((c) => (next ? [...c, nextCursor ?? undefined] : c.slice(0, -1)));
    setSelected(new Set());
    setFocus(0);
  }

  async function onDecide(id: string, decision: "approved" | "rejected") {
    const reason = reasons[id]?.trim() ?? "";
    if (decision === "rejected" && !reason) {
      setErrors((e) => ({ ...e, [id]: "Say why you reject it: write a reason, then Reject." }));
      document.getElementById(`reason-${id}`)?.focus();
      return;
    }
    setErrors((e) => ({ ...e, [id]: "" }));
    try {
      await decide.mutateAsync({
        annotationId: id,
        decision,
        reason: decision === "rejected" ? reason : undefined,
      });
    } catch (e) {
      setErrors((x) => ({ ...x, [id]: e instanceof Error ? e.message : String(e) }));
    }
  }

  async function onApproveSelected() {
    const ids = items.filter((a) => selected.has(a.id)).map((a) => a.id);
    if (ids.length === 0) return;
    try {
      const r = await approveMany.mutateAsync({ annotationIds: ids });
      setSelected(new Set());
      setMessage({
        text: `Approved ${r.approved} annotation${r.approved === 1 ? "" : "s"}.`,
        error: false,
      });
    } catch (e) {
      setMessage({ text: e instanceof Error ? e.message : String(e), error: true });
    }
  }

  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.key === "Escape" && isTyping(e.target)) {
        (e.target as HTMLElement).blur();
        return;
      }
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const current = items[Math.min(focus, items.length - 1)];
      if (e.key === "j") setFocus((f) => Math.min(f + 1, items.length - 1));
      else if (e.key === "k") setFocus((f) => Math.max(f - 1, 0));
      else if (e.key === "a" && current) void onDecide(current.id, "approved");
      else if (e.key === "r" && current) document.getElementById(`reason-${current.id}`)?.focus();
      else if (e.key === "x" && current) toggle(current.id, !selected.has(current.id));
      else if (e.key === "A") void onApproveSelected();
      else if (e.key === "]") turnPage(true);
      else if (e.key === "[") turnPage(false);
      else return;
      e.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const focusedId = items[focus]?.id;
  useEffect(() => {
    if (focusedId)
      document.getElementById(`review-${focusedId}`)?.scrollIntoView({ block: "nearest" });
  }, [focusedId]);

  const allSelected = items.length > 0 && items.every((a) => selected.has(a.id));

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
                <button
                  className="hover:underline"
                  onClick={() => refilter(setAnnotatorId)(s.annotatorId)}
                >
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
          <AxisFilter value={axis} onChange={refilter(setAxis)} />
          <label>
            Flag{" "}
            <select
              value={flag}
              onChange={(e) => refilter(setFlag)(e.target.value as TFlag | "")}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              <option value="">any</option>
              {FLAGS.map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
          <StatusFilter value={status} onChange={refilter(setStatus)} />
          <label>
            Per page{" "}
            <select
              value={pageSize}
              onChange={(e) => refilter(setPageSize)(Number(e.target.value))}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          {annotatorId && (
            <button
              onClick={() => refilter(setAnnotatorId)("")}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              Clear annotator filter
            </button>
          )}
        </div>
        <p className="mt-2 text-xs text-slate-600" data-testid="review-keys">
          Keys:{" "}
          {REVIEW_KEYS.map(([k, what], i) => (
            <span key={k}>
              {i > 0 && " · "}
              <kbd className="rounded border border-slate-300 px-1 font-mono">{k}</kbd> {what}
            </span>
          ))}
        </p>
        <div className="mt-3 flex flex-wrap items-center gap-3 text-sm">
          <label className="flex items-center gap-1.5">
            <input
              type="checkbox"
              checked={allSelected}
              disabled={items.length === 0}
              onChange={(e) =>
                setSelected(e.target.checked ? new Set(items.map((a) => a.id)) : new Set())
              }
            />
            Select all on this page
          </label>
          <button
            onClick={() => void onApproveSelected()}
            disabled={selected.size === 0 || approveMany.isPending}
            className="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100 disabled:opacity-50"
          >
            Approve selected ({selected.size})
          </button>
          <span className="ml-auto text-slate-600" data-testid="review-page">
            Page {cursors.length}
          </span>
        </div>
        {message && (
          <p
            role="status"
            data-testid="review-message"
            className={`mt-2 rounded-md px-3 py-2 text-sm ${message.error ? "bg-red-50 text-red-800" : "bg-emerald-50 text-emerald-900"}`}
          >
            {message.text}
          </p>
        )}
        {list.error && (
          <p className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            Could not load the annotations: {list.error.message}
          </p>
        )}
        <ul className="mt-3 space-y-3" data-testid="annotation-list">
          {list.data && items.length === 0 && (
            <li className="text-sm text-slate-600">No annotations match these filters.</li>
          )}
          {items.map((a, i) => (
            <ReviewCard
              key={a.id}
              item={a}
              focused={i === focus}
              selected={selected.has(a.id)}
              onSelect={(on) => toggle(a.id, on)}
              onFocus={() => setFocus(i)}
            >
              {errors[a.id] && (
                <p
                  role="status"
                  data-testid="review-error"
                  className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800"
                >
                  {errors[a.id]}
                </p>
              )}
              <DecisionButtons
                inputId={`reason-${a.id}`}
                reason={reasons[a.id] ?? ""}
                onReason={(v) => setReasons((r) => ({ ...r, [a.id]: v }))}
                onApprove={() => void onDecide(a.id, "approved")}
                onReject={() => void onDecide(a.id, "rejected")}
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
            </ReviewCard>
          ))}
        </ul>
        <nav aria-label="Pages" className="mt-3 flex gap-3 text-sm">
          <button
            onClick={() => turnPage(false)}
            disabled={cursors.length < 2}
            className="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100 disabled:opacity-50"
          >
            ← Newer
          </button>
          <button
            onClick={() => turnPage(true)}
            disabled={!nextCursor}
            className="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100 disabled:opacity-50"
          >
            Older →
          </button>
        </nav>
      </div>
    </section>
  );
}
