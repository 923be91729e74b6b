"use client";
// One held comparison: the dialogue so far, two responses streaming in side by side, and the
// label (choice, degree, safety bin, flags, note). Keyboard first; the label is a draft until the
// server has it, and one idempotency key per draft makes retries and double submits harmless.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeSubmitError, newDraftKey, useDraft } from "@/lib/client/drafts";
import { useTRPC } from "@/lib/client/trpc";
import { usePairStream } from "@/lib/client/use-pair-stream";
import { DEGREE_LABELS, SAFETY_LABEL_TEXT } from "@/lib/shared/protocol";
import type { TItemView } from "@/lib/server/annotation/view";
import { LabelFields, SkipDialog, type TLabelDraft } from "./label-fields";
import { useLabelKeys } from "./use-label-keys";

export type TSubmitted = {
  annotationId: string;
  /** The assignment that was labelled (undo gives it back). */
  assignmentId: string;
  /** False when the server had this label already (a retried submit): not counted twice. */
  created: boolean;
  dialogueId: string | null;
  canContinue: boolean;
  at: number;
  warning: boolean;
  /** What was saved, in one line: "Response 2 · slightly better · helpfulness". */
  summary: string;
};

/** The one-line recap of a label. */
function summarise(label: TLabelDraft, axis: TItemView["axis"]): string {
  return [
    label.side === "left" ? "Response 1" : "Response 2",
    label.degree ? DEGREE_LABELS[label.degree].toLowerCase() : null,
    axis === "safety" && label.safety ? SAFETY_LABEL_TEXT[label.safety].toLowerCase() : null,
    axis,
  ]
    .filter(Boolean)
    .join(" · ");
}

const describeError = (e: unknown) => describeSubmitError(e, "label");
const newKey = newDraftKey;

export function ComparisonView({
  item,
  onSubmitted,
  onSkipped,
  onDropped,
  onHelp,
}: {
  item: TItemView;
  onSubmitted: (s: TSubmitted) => void;
  onSkipped: () => void;
  /** The two responses stayed identical after resampling: the server set the item aside. */
  onDropped: (message: string) => void;
  onHelp: () => void;
}) {
  const trpc = useTRPC();
  const [label, setLabel, resetLabel] = useDraft<TLabelDraft>(`label:${item.assignmentId}`, () => ({
    side: null,
    degree: null,
    safety: null,
    flags: [],
    note: "",
    idempotencyKey: newKey(),
    startedAt: Date.now(),
  }));
  const stream = usePairStream(item.comparisonId, {
    left: item.left,
    right: item.right,
    ready: item.status === "ready",
  });
  const [error, setError] = useState<string | null>(null);
  const [skipOpen, setSkipOpen] = useState(false);
  const submit = useMutation(trpc.annotation.submit.mutationOptions());
  const skip = useMutation(trpc.annotation.skip.mutationOptions());
  const ready = stream.state === "done";
  const isSafety = item.axis === "safety";
  const complete =
    label.side !== null && label.degree !== null && (!isSafety || label.safety !== null);

  async function onSubmit() {
    if (!ready) return setError("Wait until both responses are generated.");
    if (!complete) {
      return setError(
        [
          !label.side && "choose a response",
          !label.degree && "say by how much",
          isSafety && !label.safety && "give the safety label",
        ]
          .filter(Boolean)
          .join(", ")
          .replace(/^./, (c) => c.toUpperCase()) + ".",
      );
    }
    setError(null);
    try {
      const result = await submit.mutateAsync({
        assignmentId: item.assignmentId,
        idempotencyKey: label.idempotencyKey,
        chosenSide: label.side!,
        degree: label.degree!,
        safety: isSafety ? label.safety! : undefined,
        flags: label.flags,
        note: label.note || undefined,
        timeSpentMs: Math.max(0, Date.now() - label.startedAt),
      });
      const summary = summarise(label, item.axis);
      resetLabel();
      onSubmitted({
        annotationId: result.annotationId,
        assignmentId: item.assignmentId,
        created: result.created,
        dialogueId: result.dialogueId,
        canContinue: result.canContinue,
        at: Date.now(),
        warning: result.chosenUnsafeOtherSafe,
        summary,
      });
    } catch (e) {
      setError(describeError(e));
    }
  }

  async function onSkip(reason: "cannot_judge" | "responses_broken" | "prompt_problem" | "other") {
    try {
      await skip.mutateAsync({
        assignmentId: item.assignmentId,
        reason,
        note: label.note || undefined,
      });
      setSkipOpen(false);
      onSkipped();
    } catch (e) {
      setError(describeError(e));
    }
  }

  useLabelKeys({
    setLabel,
    isSafety,
    skipOpen,
    setSkipOpen,
    onSubmit: () => void onSubmit(),
    onHelp,
  });

  const sides = [
    { side: "left" as const, title: "Response 1", text: stream.left },
    { side: "right" as const, title: "Response 2", text: stream.right },
  ];

  return (
    <div className="space-y-5" data-testid="comparison">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <span
          data-testid="axis"
          className={`rounded-full px-3 py-1 font-medium ${isSafety ? "bg-rose-100 text-rose-800" : "bg-sky-100 text-sky-800"}`}
        >
          {item.axis}
        </span>
        <span className="text-slate-600">
          Round {item.roundNumber} · turn {item.turnIndex + 1} of {item.maxTurns}
        </span>
        <button
          onClick={onHelp}
          className="ml-auto text-slate-600 underline-offset-2 hover:underline"
        >
          Shortcuts (?)
        </button>
      </div>
      <details className="rounded-md border border-slate-200 bg-white px-4 py-2 text-sm">
        <summary className="cursor-pointer font-medium">Guidelines for {item.axis}</summary>
        <p className="mt-2 text-slate-700">{item.guidelines}</p>
      </details>

      <ol className="space-y-2" aria-label="Dialogue so far" data-testid="dialogue">
        {item.context.map((m, i) => (
          <li
            key={i}
            className={`rounded-md px-4 py-2 text-sm whitespace-pre-wrap ${m.role === "user" ? "bg-white ring-1 ring-slate-200" : "bg-slate-100"}`}
          >
            <span className="mr-2 font-medium text-slate-500">
              {m.role === "user" ? "User" : "Assistant"}
            </span>
            {m.content}
          </li>
        ))}
      </ol>

      <div className="grid gap-4 md:grid-cols-2">
        {sides.map((s, i) => (
          <button
            key={s.side}
            type="button"
            onClick={() => setLabel((l) => ({ ...l, side: s.side }))}
            aria-pressed={label.side === s.side}
            data-testid={`response-${s.side}`}
            className={`min-h-40 rounded-lg border-2 bg-white p-4 text-left transition ${label.side === s.side ? "border-indigo-600 ring-2 ring-indigo-200" : "border-slate-200 hover:border-slate-400"}`}
          >
            <span className="flex items-center justify-between text-sm font-medium text-slate-600">
              {s.title}
              <kbd className="rounded border border-slate-300 px-1.5 font-mono text-xs">
                {i + 1}
              </kbd>
            </span>
            <span className="mt-2 block text-sm whitespace-pre-wrap" data-testid={`text-${s.side}`}>
              {s.text ||
                (stream.state === "done"
                  ? "(empty response)"
                  : stream.state === "error"
                    ? ""
                    : "…")}
            </span>
          </button>
        ))}
      </div>

      {stream.state === "streaming" && (
        <p className="text-sm text-slate-600" data-testid="generation-status">
          {stream.notice ?? "Generating both responses…"}
        </p>
      )}
      {stream.state === "dropped" && (
        <div
          role="status"
          data-testid="generation-dropped"
          className="flex items-center gap-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          <span>{stream.error}</span>
          <button
            onClick={() => onDropped(stream.error ?? "")}
            className="rounded-md border border-amber-300 bg-white px-3 py-1 hover:bg-amber-100"
          >
            Next item
          </button>
        </div>
      )}
      {stream.state === "error" && (
        <div
          role="alert"
          data-testid="generation-error"
          className="flex items-center gap-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800"
        >
          <span>{stream.error ?? "Generation failed."} Your label is kept.</span>
          <button
            onClick={stream.retry}
            className="rounded-md border border-red-300 bg-white px-3 py-1 hover:bg-red-100"
          >
            Retry
          </button>
        </div>
      )}

      <LabelFields label={label} setLabel={setLabel} isSafety={isSafety} />

      {/* The decision bar stays in view (sticky) however long the responses are. */}
      <div
        data-testid="decision-bar"
        className="sticky bottom-0 z-10 -mx-4 space-y-2 border-t border-slate-200 bg-white/95 px-4 py-3 backdrop-blur sm:mx-0 sm:rounded-lg sm:border"
      >
        {error && (
          <p
            role="status"
            data-testid="label-error"
            className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800"
          >
            {error}
          </p>
        )}
        <div className="flex flex-wrap items-center gap-3">
          <button
            onClick={() => void onSubmit()}
            disabled={submit.isPending || !ready}
            className="rounded-md bg-indigo-600 px-5 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
          >
            Submit <kbd className="ml-1 font-mono text-xs opacity-80">Enter</kbd>
          </button>
          <button
            onClick={() => setSkipOpen(true)}
            className="rounded-md border border-slate-300 px-4 py-2 hover:bg-slate-100"
          >
            Skip <kbd className="ml-1 font-mono text-xs text-slate-500">k</kbd>
          </button>
          <span className="text-sm text-slate-600" data-testid="decision-summary">
            {label.side ? summarise(label, item.axis) : "Choose a response (1 or 2)"}
          </span>
        </div>
      </div>

      {skipOpen && (
        <SkipDialog onSkip={(r) => void onSkip(r)} onCancel={() => setSkipOpen(false)} />
      )}
    </div>
  );
}
