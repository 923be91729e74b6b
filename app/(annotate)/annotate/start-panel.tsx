"use client";
// No item held: write a prompt (with tag and risk pickers), take a queued prompt, or take the
// next item from the pool. The prompt being written is a draft that survives reloads.
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useDraft } from "@/lib/client/drafts";
import { useTRPC } from "@/lib/client/trpc";
import { issuesMessage } from "@/lib/shared/messages";
import { ZNewPrompt } from "@/lib/shared/annotation";
import { AXES, RISK_CATEGORIES, TASK_CATEGORIES, type TAxis } from "@/lib/shared/protocol";
import type { TItemView } from "@/lib/server/annotation/view";
import type { TItemSource } from "./task-chooser";

type TPromptDraft = {
  text: string;
  taskCategory: string;
  riskCategory: string;
  adversarial: boolean;
  axis: string;
};
const EMPTY: TPromptDraft = {
  text: "",
  taskCategory: "",
  riskCategory: "",
  adversarial: false,
  axis: "",
};

export function StartPanel({
  guidelines,
  focusPrompt,
  onItem,
}: {
  guidelines: Record<TAxis, string>;
  focusPrompt: boolean;
  onItem: (item: TItemView | null, source: TItemSource) => void;
}) {
  const trpc = useTRPC();
  const [draft, setDraft, resetDraft] = useDraft<TPromptDraft>("new-prompt", () => EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const start = useMutation(trpc.annotation.start.mutationOptions());
  const next = useMutation(trpc.annotation.next.mutationOptions());
  const busy = start.isPending || next.isPending;

  async function onWrite(event: FormEvent) {
    event.preventDefault();
    const parsed = ZNewPrompt.safeParse({
      text: draft.text,
      taskCategory: draft.taskCategory || undefined,
      riskCategory: draft.riskCategory || undefined,
      adversarial: draft.adversarial,
    });
    if (!parsed.success) {
      setError(issuesMessage(parsed.error.issues));
      return;
    }
    setError(null);
    try {
      const item = await start.mutateAsync({
        axis: (draft.axis || undefined) as TAxis | undefined,
        source: { kind: "write", prompt: parsed.data },
      });
      resetDraft();
      onItem(item, "write");
    } catch (e) {
      setError(`${e instanceof Error ? e.message : String(e)} — your prompt is kept.`);
    }
  }

  async function onQueued() {
    setError(null);
    try {
      onItem(await start.mutateAsync({ source: { kind: "queued" } }), "queued");
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  async function onPool() {
    setError(null);
    try {
      const item = await next.mutateAsync();
      if (!item)
        setNotice("Nothing is waiting in the queue: write a prompt or take a queued prompt.");
      onItem(item, "write");
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <div className="grid gap-6 lg:grid-cols-3">
      <form
        onSubmit={onWrite}
        aria-labelledby="write-title"
        className="rounded-lg border border-slate-200 bg-white p-4 lg:col-span-2"
        noValidate
      >
        <h2 id="write-title" className="font-medium">
          Write a prompt
        </h2>
        <label htmlFor="prompt-text" className="mt-3 block text-sm font-medium">
          Prompt
        </label>
        <textarea
          id="prompt-text"
          autoFocus={focusPrompt}
          value={draft.text}
          onChange={(e) => setDraft((d) => ({ ...d, text: e.target.value }))}
          rows={4}
          className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2"
          placeholder="Ask something the model should answer well, or try to make it do something unsafe."
        />
        <div className="mt-3 grid gap-3 sm:grid-cols-4">
          <label className="text-sm">
            Axis
            <select
              value={draft.axis}
              onChange={(e) => setDraft((d) => ({ ...d, axis: e.target.value }))}
              className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
            >
              <option value="">as the round assigns</option>
              {AXES.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <label className="text-sm">
            Task category
            <select
              value={draft.taskCategory}
              onChange={(e) => setDraft((d) => ({ ...d, taskCategory: e.target.value }))}
              className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
            >
              <option value="">none</option>
              {TASK_CATEGORIES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label className="text-sm">
            Risk category
            <select
              value={draft.riskCategory}
              onChange={(e) => setDraft((d) => ({ ...d, riskCategory: e.target.value }))}
              className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
            >
              <option value="">none (not a safety prompt)</option>
              {RISK_CATEGORIES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label className="flex items-end gap-2 pb-2 text-sm">
            <input
              type="checkbox"
              checked={draft.adversarial}
              onChange={(e) => setDraft((d) => ({ ...d, adversarial: e.target.checked }))}
            />
            Adversarial
          </label>
        </div>
        <button
          type="submit"
          disabled={busy}
          className="mt-4 rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
        >
          Sample two responses
        </button>
      </form>
      <div className="space-y-4">
        <div className="rounded-lg border border-slate-200 bg-white p-4">
          <h2 className="font-medium">Or take work that is waiting</h2>
          <div className="mt-3 flex flex-col gap-2">
            <button
              onClick={onQueued}
              disabled={busy}
              className="rounded-md border border-slate-300 px-3 py-2 text-left hover:bg-slate-100 disabled:opacity-60"
            >
              Take a queued prompt
            </button>
            <button
              onClick={onPool}
              disabled={busy}
              className="rounded-md border border-slate-300 px-3 py-2 text-left hover:bg-slate-100 disabled:opacity-60"
            >
              Next item from the queue
            </button>
          </div>
        </div>
        <details className="rounded-lg border border-slate-200 bg-white p-4 text-sm">
          <summary className="cursor-pointer font-medium">Guidelines</summary>
          {AXES.map((a) => (
            <p key={a} className="mt-2 text-slate-700">
              <strong className="capitalize">{a}:</strong> {guidelines[a]}
            </p>
          ))}
        </details>
      </div>
      {(error || notice) && (
        <p
          role="status"
          data-testid="start-message"
          className={`rounded-md px-3 py-2 text-sm lg:col-span-3 ${error ? "bg-red-50 text-red-800" : "bg-amber-50 text-amber-900"}`}
        >
          {error ?? notice}
        </p>
      )}
    </div>
  );
}
