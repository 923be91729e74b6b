"use client";
// A demonstration task: write the prompt (or take a queued one) and the ideal assistant response
// for the helpfulness or safety axis, following that axis' guidelines; more turns can be added.
// "Start from a model sample" asks the round's newest policy for the last reply, which the
// annotator then edits: the server keeps both the sample and the edit. Everything typed is a draft
// in localStorage (it survives reloads); one idempotency key per draft makes retries harmless.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeSubmitError, newDraftKey, useDraft } from "@/lib/client/drafts";
import { useTRPC } from "@/lib/client/trpc";
import { demonstrationProblem, trimMessages, type TSampleRef } from "@/lib/shared/demonstrations";
import {
  AXES,
  RISK_CATEGORIES,
  TASK_CATEGORIES,
  type TAxis,
  type TMessage,
} from "@/lib/shared/protocol";

/** What an ideal response looks like on each axis (the paper's examples). */
const IDEAL: Record<TAxis, string> = {
  helpfulness:
    "A helpful, well-structured answer: correct, complete, concise, in the format asked for.",
  safety:
    "A safe response: decline the harmful part clearly and briefly, and still help where it can (a safe alternative, where to get help).",
};

type TDemoDraft = {
  axis: TAxis;
  prompt:
    | { kind: "write"; taskCategory: string; riskCategory: string; adversarial: boolean }
    | { kind: "queued"; promptId: string; skip: number };
  messages: TMessage[];
  /** The model sample the last reply started from, and the dialogue it answered. */
  sample: (TSampleRef & { context: string }) | null;
  idempotencyKey: string;
  startedAt: number;
};

function emptyDraft(): TDemoDraft {
  return {
    axis: "helpfulness",
    prompt: { kind: "write", taskCategory: "", riskCategory: "", adversarial: false },
    messages: [
      { role: "user", content: "" },
      { role: "assistant", content: "" },
    ],
    sample: null,
    idempotencyKey: newKey(),
    startedAt: Date.now(),
  };
}

const describeError = (e: unknown) => describeSubmitError(e, "demonstration");
const newKey = newDraftKey;

const contextKey = (messages: TMessage[]) => JSON.stringify(trimMessages(messages.slice(0, -1)));

export function DemonstrationPanel({
  guidelines,
  maxTurns,
  promptSources,
  onSubmitted,
}: {
  guidelines: Record<TAxis, string>;
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
  const last = draft.messages.length - 1;
  const sampleStale = draft.sample !== null && draft.sample.context !== contextKey(draft.messages);

  const setTurn = (i: number, content: string) =>
    setDraft((d) => ({
      ...d,
      messages: d.messages.map((m, j) => (j === i ? { ...m, content } : m)),
    }));

  async function onTakeQueued(skip = 0) {
    setError(null);
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

      <fieldset className="flex flex-wrap items-center gap-4 text-sm">
        <legend className="sr-only">Axis</legend>
        {AXES.map((a) => (
          <label key={a} className="flex items-center gap-1.5">
            <input
              type="radio"
              name="demo-axis"
              value={a}
              checked={draft.axis === a}
              onChange={() => setDraft((d) => ({ ...d, axis: a }))}
            />
            <span className="capitalize">{a}</span>
          </label>
        ))}
      </fieldset>
      <div
        className={`rounded-md px-3 py-2 text-sm ${draft.axis === "safety" ? "bg-rose-50 text-rose-900" : "bg-sky-50 text-sky-900"}`}
        data-testid="demo-guidelines"
      >
        <p>
          <strong>Guidelines ({draft.axis}):</strong> {guidelines[draft.axis]}
        </p>
        <p className="mt-1">
          <strong>An ideal response:</strong> {IDEAL[draft.axis]}
        </p>
      </div>

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

      <ol className="space-y-3" aria-label="Demonstration dialogue">
        {draft.messages.map((m, i) => {
          const id = `demo-turn-${i}`;
          const isLast = i === last;
          return (
            <li key={i}>
              <label htmlFor={id} className="block text-sm font-medium">
                {m.role === "user"
                  ? i === 0
                    ? "Prompt (user)"
                    : `User turn ${i / 2 + 1}`
                  : isLast
                    ? "Ideal response (assistant)"
                    : `Assistant turn ${(i + 1) / 2}`}
              </label>
              <textarea
                id={id}
                value={m.content}
                readOnly={i === 0 && p.kind === "queued"}
                onChange={(e) => setTurn(i, e.target.value)}
                rows={m.role === "assistant" ? 5 : 3}
                className={`mt-1 w-full rounded-md border border-slate-300 px-3 py-2 ${m.role === "assistant" ? "bg-slate-50" : ""} ${i === 0 && p.kind === "queued" ? "text-slate-600" : ""}`}
              />
              {isLast && (
                <div className="mt-1 flex flex-wrap items-center gap-2 text-sm">
                  <button
                    type="button"
                    onClick={() => void onSample()}
                    disabled={busy}
                    className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100 disabled:opacity-60"
                  >
                    {sample.isPending ? "Sampling…" : "Start from a model sample"}
                  </button>
                  {draft.sample && (
                    <button
                      type="button"
                      onClick={() => setDraft((d) => ({ ...d, sample: null }))}
                      className="text-slate-600 hover:underline"
                    >
                      Discard the sample
                    </button>
                  )}
                </div>
              )}
              {isLast && draft.sample && (
                <details className="mt-2 text-sm" data-testid="demo-sample">
                  <summary className="cursor-pointer text-slate-600">
                    The model sample you started from{" "}
                    {sampleStale && "(the dialogue changed since)"}
                  </summary>
                  <p className="mt-1 rounded bg-slate-100 p-2 whitespace-pre-wrap">
                    {draft.sample.text || "(empty sample)"}
                  </p>
                </details>
              )}
            </li>
          );
        })}
      </ol>

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
        <div className="grid gap-3 text-sm sm:grid-cols-3">
          <label>
            Task category
            <select
              value={p.taskCategory}
              onChange={(e) =>
                setDraft((d) => ({ ...d, prompt: { ...p, taskCategory: e.target.value } }))
              }
              className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
            >
              <option value="">none</option>
              {TASK_CATEGORIES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            Risk category
            <select
              value={p.riskCategory}
              onChange={(e) =>
                setDraft((d) => ({ ...d, prompt: { ...p, riskCategory: e.target.value } }))
              }
              className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
            >
              <option value="">none (not a safety prompt)</option>
              {RISK_CATEGORIES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <label className="flex items-end gap-2 pb-2">
            <input
              type="checkbox"
              checked={p.adversarial}
              onChange={(e) =>
                setDraft((d) => ({ ...d, prompt: { ...p, adversarial: e.target.checked } }))
              }
            />
            Adversarial
          </label>
        </div>
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
