"use client";
// One annotation in the review queue, with everything the annotator saw: the whole dialogue (the
// earlier turns collapsed, the last user turn open), both responses as they were shown (the
// chosen one marked), the label (degree, safety), flags and note; then the decision row.
import type { ReactNode } from "react";
import type { TReviewItem } from "@/lib/server/review/review";
import { DEGREE_LABELS, SAFETY_LABEL_TEXT } from "@/lib/shared/protocol";
import { Dialogue } from "./review-controls";

export function ReviewCard({
  item: a,
  focused,
  selected,
  onSelect,
  onFocus,
  children,
}: {
  item: TReviewItem;
  focused: boolean;
  selected: boolean;
  onSelect: (selected: boolean) => void;
  onFocus: () => void;
  /** The decision row. */
  children: ReactNode;
}) {
  const earlier = a.context.slice(0, -1);
  const last = a.context.at(-1);
  const sides = [
    { side: "left" as const, title: "Response 1", text: a.left },
    { side: "right" as const, title: "Response 2", text: a.right },
  ];
  return (
    <li
      id={`review-${a.id}`}
      className={`rounded-lg border bg-white p-4 text-sm ${focused ? "border-indigo-500 ring-2 ring-indigo-200" : "border-slate-200"}`}
      data-testid="annotation-row"
      data-focused={focused || undefined}
      onClick={onFocus}
    >
      <div className="flex flex-wrap items-center gap-2 text-slate-600">
        <input
          type="checkbox"
          checked={selected}
          onChange={(e) => onSelect(e.target.checked)}
          aria-label={`Select the annotation by ${a.annotator}`}
        />
        <span className="font-medium text-slate-900">{a.annotator}</span>· round {a.round} ·{" "}
        {a.axis} · turn {a.turnIndex + 1}
        <span className="ml-auto" data-testid="review-status">
          {a.status}
        </span>
      </div>

      <div className="mt-2 space-y-1" data-testid="review-dialogue">
        {earlier.length > 0 && (
          <details className="rounded-md border border-slate-200 px-3 py-1.5">
            <summary className="cursor-pointer text-slate-600" data-testid="earlier-turns">
              Earlier turns ({earlier.length} message{earlier.length === 1 ? "" : "s"})
            </summary>
            <div className="mt-2">
              <Dialogue messages={earlier} />
            </div>
          </details>
        )}
        {last && (
          <p className="whitespace-pre-wrap" data-testid="review-last-turn">
            <span className="mr-2 font-medium text-slate-500">User</span>
            {last.content}
          </p>
        )}
      </div>

      <div className="mt-2 grid gap-2 md:grid-cols-2">
        {sides.map((s) => {
          const chosen = s.side === a.chosenSide;
          return (
            <div
              key={s.side}
              data-testid={`review-${s.side}`}
              className={`rounded p-2 whitespace-pre-wrap ${chosen ? "bg-emerald-50 ring-1 ring-emerald-300" : "bg-slate-50"}`}
            >
              <span className="mb-1 block text-xs font-medium text-slate-500">
                {s.title}
                {chosen ? " · chosen" : ""}
              </span>
              {s.text}
            </div>
          );
        })}
      </div>

      <p className="mt-2 flex flex-wrap items-center gap-2" data-testid="review-label">
        <span>
          <span className="text-slate-500">Label: </span>
          {a.chosenSide === "left" ? "Response 1" : "Response 2"} is{" "}
          {DEGREE_LABELS[a.degree].toLowerCase()}
          {a.safetyLabel && <> · {SAFETY_LABEL_TEXT[a.safetyLabel].toLowerCase()}</>}
        </span>
        {a.chosenUnsafeOtherSafe && (
          <span className="rounded bg-amber-100 px-1.5 text-amber-900">
            chosen unsafe, other safe
          </span>
        )}
        {a.flags.map((f) => (
          <span key={f} className="rounded bg-slate-100 px-1.5">
            {f.replace("_", " ")}
          </span>
        ))}
        {a.gold && (
          <span className="rounded bg-yellow-100 px-1.5">gold {a.gold.correct ? "✓" : "✗"}</span>
        )}
      </p>
      {a.note && <p className="mt-1 text-slate-600">Note: {a.note}</p>}
      {a.review?.reason && <p className="mt-1 text-slate-600">Reason: {a.review.reason}</p>}
      {children}
    </li>
  );
}
