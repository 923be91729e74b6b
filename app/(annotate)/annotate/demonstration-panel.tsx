"use client";
// A demonstration task: write the prompt (or take a queued one) and the ideal assistant response
// for the helpfulness or safety axis, following the round's demonstration guidelines; more turns
// can be added.
// "Start from a model sample" asks the round's newest policy for the last reply, which the
// annotator then edits: the server keeps both the sample and the edit. Everything typed is a draft
// in localStorage (it survives reloads); one idempotency key per draft makes retries harmless.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeSubmitError, useDraft } from "@/lib/client/drafts";
import { useTRPC } from "@/lib/client/trpc";
import { demonstrationProblem, trimMessages } from "@/lib/shared/demonstrations";
import { RISK_CATEGORIES, TASK_CATEGORIES } from "@/lib/shared/protocol";
import {
  AxisGuidelines,
  PromptCategories,
  DemoTurns,
  contextKey,
  emptyDraft,
  type TDemoDraft,
} from "./demonstration-fields";

const describeError = (e: unknown) => describeSubmitError(e, "demonstration");

export function DemonstrationPanel({
  guidelines,
  maxTurns,
  promptSources,
  onSubmitted,
}: {
  /** The round's demonstration guidelines (not the comparison ones). */
  guidelines: string;
  maxTurns: number;
  promptSources: { queued: boolean; annotatorWritten: boolean };
  onSubmitted: () => void;
}) {
  const trpc = useTRPC();
  const [draft, setDraft, resetDraft] = useDraft<TDemoDraft>("demonstration", emptyDraft);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const queued = useMutation(trpc.demonstrations.queuedPrompt.mutationOptions());
  const sample = useMutation(trpc.demonstrations.sample.mutationOptions());
  const submit = useMutation(trpc.demonstrations.submit.mutationOptions());
  const replies = draft.messages.filter((m) => m.role === "assistant").length;
  const sampleStale = draft.sample !== null && draft.sample.context !== contextKey(draft.messages);

  const setTurn = (i: number, content: string) => {
    setNotice(null);
    setDraft((d) => ({
      ...d,
      messages: d.messages.map((m, j) => (j === i ? { ...m, content } : m)),
    }));
  };

  async function onTakeQueued(skip = 0) {
    setError(null);
    setNotice(null);
    try {
      const p = await queued.mutateAsync({ skip });
      setDraft((d) => ({
        ...d,
        axis: p.axis,
        prompt: { kind: "queued", promptId: p.id, skip },
        messages: [{ role: "user", content: p.text }, ...d.messages.slice(1)],
        sample: null,
      }));
    } catch (e) {
      setError(describeError(e));
    }
  }

  function onWriteOwn() {
    setNotice(null);
    setDraft((d) => ({
      ...d,
      prompt: { kind: "write", taskCategory: "", riskCategory: "", adversarial: false },
      messages: [{ role: "user", content: "" }, ...d.messages.slice(1)],
      sample: null,
    }));
  }

  async function onSample() {
    setError(null);
    const context = draft.messages.slice(0, -1);
    if (!context.at(-1)?.content.trim())
      return setError("Write the user turn first: the sample answers it.");
    try {
      const s = await sample.mutateAsync({ messages: context });
      setDraft((d) => ({
        ...d,
        messages: d.messages.map((m, j) =>
          j === d.messages.length - 1 ? { ...m, content: s.text } : m,
        ),
        sample: { ...s, context: contextKey(d.messages) },
      }));
      setNotice("Model sample loaded: edit it into the ideal response. The sample is kept too.");
    } catch (e) {
      setError(describeError(e));
    }
  }

  function onAddTurn() {
    if (replies >= maxTurns) return;
    setDraft((d) => ({
      ...d,
      messages: [...d.messages, { role: "user", content: "" }, { role: "assistant", content: "" }],
      sample: null,
    }));
  }

  function onRemoveTurn() {
    if (draft.messages.length <= 2) return;
    setDraft((d) => ({ ...d, messages: d.messages.slice(0, -2), sample: null }));
  }

  async function onSubmit() {
    setNotice(null);
    const messages = trimMessages(draft.messages);
    const problem = demonstrationProblem(messages);
    if (problem) return setError(problem + ".");
    if (sampleStale)
      return setError(
        "You changed the dialogue before the sampled reply: sample again, or discard the sample.",
      );
    setError(null);
    const p = draft.prompt;
    try {
      await submit.mutateAsync({
        idempotencyKey: draft.idempotencyKey,
        axis: draft.axis,
        prompt:
          p.kind === "queued"
            ? { kind: "queued", promptId: p.promptId }
            : {
                kind: "write",
                taskCategory: (p.taskCategory || undefined) as
                  (typeof TASK_CATEGORIES)[number] | undefined,
                riskCategory: (p.riskCategory || undefined) as
                  (typeof RISK_CATEGORIES)[number] | undefined,
                adversarial: p.adversarial,
              },
        messages,
        sample: draft.sample
          ? {
              text: draft.sample.text,
              modelVersionId: draft.sample.modelVersionId,
              sampling: draft.sample.sampling,
              token: draft.sample.token,
            }
          : undefined,
        timeSpentMs: Math.min(24 * 3600_000, Math.max(0, Date.now() - draft.startedAt)),
      });
      resetDraft();
      setNotice("Demonstration saved. A reviewer will check it before it is used for training.");
      onSubmitted();
    } catch (e) {
      setError(`${describeError(e)} — your demonstration is kept.`);
    }
  }

  const busy = queued.isPending || sample.isPending || submit.isPending;
  const p = draft.prompt;

  return (
    <form
      aria-labelledby="demo-title"
      data-testid="demonstration"
      className="space-y-4 rounded-lg border border-slate-200 bg-white p-4"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit();
      }}
      onKeyDown={(e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          void onSubmit();
        }
      }}
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="demo-title" className="font-medium">
          Write a demonstration
        </h2>
        <p className="text-sm text-slate-600">
          Write the ideal assistant response. Up to {maxTurns} assistant turns.
        </p>
      </div>

      <AxisGuidelines
        axis={draft.axis}
        guidelines={guidelines}
        onAxis={(axis) => setDraft((d) => ({ ...d, axis }))}
      />

      <div className="flex flex-wrap items-center gap-2 text-sm">
        {p.kind === "queued" ? (
          <>
            <span className="text-slate-600">A queued prompt (kept as it is).</span>
            <button
              type="button"
              onClick={() => void onTakeQueued(p.skip + 1)}
              disabled={busy}
              className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
            >
              Another queued prompt
            </button>
            {promptSources.annotatorWritten && (
              <button
                type="button"
                onClick={onWriteOwn}
                className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
              >
                Write my own prompt
              </button>
            )}
          </>
        ) : (
          promptSources.queued && (
            <button
              type="button"
              onClick={() => void onTakeQueued(0)}
              disabled={busy}
              className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
            >
              Take a queued prompt
            </button>
          )
        )}
      </div>

      <DemoTurns
        messages={draft.messages}
        promptFixed={p.kind === "queued"}
        onTurn={setTurn}
        sample={draft.sample}
        sampleStale={sampleStale}
        sampling={sample.isPending}
        busy={busy}
        onSample={() => void onSample()}
        onDiscardSample={() => setDraft((d) => ({ ...d, sample: null }))}
      />

      <div className="flex flex-wrap gap-2 text-sm">
        <button
          type="button"
          onClick={onAddTurn}
          disabled={replies >= maxTurns}
          className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100 disabled:opacity-50"
        >
          Add a turn
        </button>
        {draft.messages.length > 2 && (
          <button
            type="button"
            onClick={onRemoveTurn}
            className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
          >
            Remove the last turn
          </button>
        )}
      </div>

      {p.kind === "write" && (
        <PromptCategories prompt={p} onChange={(prompt) => setDraft((d) => ({ ...d, prompt }))} />
      )}

      {(error || notice) && (
        <p
          role="status"
          data-testid="demo-message"
          className={`rounded-md px-3 py-2 text-sm ${error ? "bg-red-50 text-red-800" : "bg-emerald-50 text-emerald-900"}`}
        >
          {error ?? notice}
        </p>
      )}

      <button
        type="submit"
        disabled={busy}
        className="rounded-md bg-indigo-600 px-5 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
      >
        Submit demonstration <kbd className="ml-1 font-mono text-xs opacity-80">Ctrl+Enter</kbd>
      </button>
    </form>
  );
}
