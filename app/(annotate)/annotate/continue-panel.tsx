"use client";
// After a label in the annotator's own dialogue that can go on: the next user turn's box (c puts
// the cursor there; the chosen response is already the assistant's turn), or end the dialogue and
// take the next item (n). The message typed is a draft that survives reloads.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useDraft } from "@/lib/client/drafts";
import { useTRPC } from "@/lib/client/trpc";
import type { TItemView } from "@/lib/server/annotation/view";
import type { TSubmitted } from "./comparison-view";

export function ContinuePanel({
  submitted,
  ending,
  onEnd,
  onContinued,
}: {
  submitted: TSubmitted;
  ending: boolean;
  onEnd: () => void;
  onContinued: (item: TItemView) => void;
}) {
  const trpc = useTRPC();
  const [text, setText, resetText] = useDraft<string>(
    `continue:${submitted.dialogueId ?? "none"}`,
    () => "",
  );
  const [error, setError] = useState<string | null>(null);
  const cont = useMutation(trpc.annotation.continue.mutationOptions());

  async function onContinue() {
    if (!submitted.dialogueId) return;
    try {
      const item = await cont.mutateAsync({ dialogueId: submitted.dialogueId, message: text });
      resetText();
      onContinued(item);
    } catch (e) {
      setError(`${e instanceof Error ? e.message : String(e)} — your message is kept.`);
    }
  }

  return (
    <div
      className="space-y-4 rounded-lg border border-slate-200 bg-white p-4 sm:p-6"
      data-testid="after-submit"
    >
      <div>
        <label htmlFor="next-turn" className="block text-sm font-medium">
          Continue the dialogue: the response you chose becomes the assistant&apos;s turn. Write the
          next user turn.
        </label>
        <textarea
          id="next-turn"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void onContinue();
            }
          }}
          rows={3}
          className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2"
        />
      </div>
      {error && (
        <p
          role="status"
          className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800"
          data-testid="continue-error"
        >
          {error}
        </p>
      )}
      <div className="flex flex-wrap gap-3">
        <button
          onClick={() => void onContinue()}
          disabled={cont.isPending}
          className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
        >
          Continue
        </button>
        <button
          onClick={onEnd}
          disabled={ending}
          className="rounded-md border border-slate-300 px-4 py-2 hover:bg-slate-100 disabled:opacity-60"
        >
          End dialogue, next item <kbd className="ml-1 font-mono text-xs text-slate-500">n</kbd>
        </button>
      </div>
    </div>
  );
}
