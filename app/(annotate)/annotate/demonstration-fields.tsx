"use client";
// The demonstration draft (kept in localStorage by ./demonstration-panel.tsx) and the parts of its
// form: the axis with its guidelines, the dialogue's turns, and a written prompt's categories.
import { newDraftKey } from "@/lib/client/drafts";
import { trimMessages, type TSampleRef } from "@/lib/shared/demonstrations";
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

export type TDemoDraft = {
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

export type TWrittenPrompt = Extract<TDemoDraft["prompt"], { kind: "write" }>;

export function emptyDraft(): TDemoDraft {
  return {
    axis: "helpfulness",
    prompt: { kind: "write", taskCategory: "", riskCategory: "", adversarial: false },
    messages: [
      { role: "user", content: "" },
      { role: "assistant", content: "" },
    ],
    sample: null,
    idempotencyKey: newDraftKey(),
    startedAt: Date.now(),
  };
}

/** The dialogue a sample answered, to tell when it changed since. */
export const contextKey = (messages: TMessage[]) =>
  JSON.stringify(trimMessages(messages.slice(0, -1)));

export function AxisGuidelines({
  axis,
  guidelines,
  onAxis,
}: {
  axis: TAxis;
  guidelines: string;
  onAxis: (axis: TAxis) => void;
}) {
  return (
    <>
      <fieldset className="flex flex-wrap items-center gap-4 text-sm">
        <legend className="sr-only">Axis</legend>
        {AXES.map((a) => (
          <label key={a} className="flex items-center gap-1.5">
            <input
              type="radio"
              name="demo-axis"
              value={a}
              checked={axis === a}
              onChange={() => onAxis(a)}
            />
            <span className="capitalize">{a}</span>
          </label>
        ))}
      </fieldset>
      <div
        className={`rounded-md px-3 py-2 text-sm ${axis === "safety" ? "bg-rose-50 text-rose-900" : "bg-sky-50 text-sky-900"}`}
        data-testid="demo-guidelines"
      >
        <p>
          <strong>Demonstration guidelines:</strong> {guidelines}
        </p>
        <p className="mt-1">
          <strong>An ideal {axis} response:</strong> {IDEAL[axis]}
        </p>
      </div>
    </>
  );
}

export function PromptCategories({
  prompt: p,
  onChange,
}: {
  prompt: TWrittenPrompt;
  onChange: (prompt: TWrittenPrompt) => void;
}) {
  return (
    <div className="grid gap-3 text-sm sm:grid-cols-3">
      <label>
        Task category
        <select
          value={p.taskCategory}
          onChange={(e) => onChange({ ...p, taskCategory: e.target.value })}
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
          onChange={(e) => onChange({ ...p, riskCategory: e.target.value })}
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
          onChange={(e) => onChange({ ...p, adversarial: e.target.checked })}
        />
        Adversarial
      </label>
    </div>
  );
}

/** The dialogue's turns; the last is the ideal response, which may start from a model sample. */
export function DemoTurns({
  messages,
  promptFixed,
  onTurn,
  sample,
  sampleStale,
  sampling,
  busy,
  onSample,
  onDiscardSample,
}: {
  messages: TMessage[];
  /** A queued prompt is kept as it is. */
  promptFixed: boolean;
  onTurn: (i: number, content: string) => void;
  sample: TDemoDraft["sample"];
  sampleStale: boolean;
  sampling: boolean;
  busy: boolean;
  onSample: () => void;
  onDiscardSample: () => void;
}) {
  const last = messages.length - 1;
  return (
    <ol className="space-y-3" aria-label="Demonstration dialogue">
      {messages.map((m, i) => {
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
              readOnly={i === 0 && promptFixed}
              onChange={(e) => onTurn(i, e.target.value)}
              rows={m.role === "assistant" ? 5 : 3}
              className={`mt-1 w-full rounded-md border border-slate-300 px-3 py-2 ${m.role === "assistant" ? "bg-slate-50" : ""} ${i === 0 && promptFixed ? "text-slate-600" : ""}`}
            />
            {isLast && (
              <div className="mt-1 flex flex-wrap items-center gap-2 text-sm">
                <button
                  type="button"
                  onClick={onSample}
                  disabled={busy}
                  className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100 disabled:opacity-60"
                >
                  {sampling ? "Sampling…" : "Start from a model sample"}
                </button>
                {sample && (
                  <button
                    type="button"
                    onClick={onDiscardSample}
                    className="text-slate-600 hover:underline"
                  >
                    Discard the sample
                  </button>
                )}
              </div>
            )}
            {isLast && sample && (
              <details className="mt-2 text-sm" data-testid="demo-sample">
                <summary className="cursor-pointer text-slate-600">
                  The model sample you started from {sampleStale && "(the dialogue changed since)"}
                </summary>
                <p className="mt-1 rounded bg-slate-100 p-2 whitespace-pre-wrap">
                  {sample.text || "(empty sample)"}
                </p>
              </details>
            )}
          </li>
        );
      })}
    </ol>
  );
}
