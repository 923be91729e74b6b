"use client";
// The annotator's workspace: the round's task, then one comparison at a time. After a submit the
// annotator can undo (for a minute), continue the dialogue with a new user turn, or move on.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useDraft } from "@/lib/client/drafts";
import { useTRPC } from "@/lib/client/trpc";
import { UNDO_GRACE_MS } from "@/lib/shared/annotation";
import type { TItemView } from "@/lib/server/annotation/view";
import { ComparisonView, type TSubmitted } from "./comparison-view";
import { HelpOverlay } from "./help-overlay";
import { isTyping } from "./shortcuts";
import { TaskChooser } from "./task-chooser";

export function Workspace() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useQuery(trpc.workspace.get.queryOptions());
  const current = useQuery(
    trpc.annotation.current.queryOptions(undefined, { refetchOnWindowFocus: false }),
  );
  const [submitted, setSubmitted] = useState<TSubmitted | null>(null);
  const [help, setHelp] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const undo = useMutation(trpc.annotation.undo.mutationOptions());

  const setItem = (item: TItemView | null) =>
    queryClient.setQueryData(trpc.annotation.current.queryKey(), item);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.annotation.current.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.workspace.get.queryKey() });
  };

  async function onUndo() {
    if (!submitted) return;
    try {
      await undo.mutateAsync({ annotationId: submitted.annotationId });
      setSubmitted(null);
      setMessage("Your last label was taken back: label it again.");
      refresh();
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  }

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "?") setHelp((h) => !h);
      else if (e.key === "Escape") setHelp(false);
      else if (e.key === "u" && submitted) void onUndo();
      else if (e.key === "n" && submitted) {
        setSubmitted(null);
        refresh();
      } else return;
      e.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  if (workspace.isLoading || current.isLoading)
    return <p className="text-slate-600">Loading your task…</p>;
  if (workspace.error)
    return <p className="text-red-700">Could not load the workspace: {workspace.error.message}</p>;
  const round = workspace.data?.round;
  const item = current.data ?? null;

  return (
    <section aria-labelledby="workspace-title" data-testid="workspace" className="space-y-6">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 id="workspace-title" className="text-2xl font-semibold">
          Annotation workspace
        </h1>
        <p className="text-sm text-slate-600">
          {round ? `Round ${round.number}: ${round.name}` : "No round"} · your annotations:{" "}
          <span data-testid="my-annotations">{workspace.data?.myAnnotations ?? 0}</span> · queued
          prompts: <span data-testid="prompt-count">{workspace.data?.queuedPrompts ?? 0}</span>
        </p>
      </div>

      {message && (
        <p
          role="status"
          data-testid="workspace-message"
          className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          {message}
        </p>
      )}

      {!round ? (
        <div className="rounded-lg border border-slate-200 bg-white p-6">
          <h2 className="font-medium">No round is collecting right now</h2>
          <p className="mt-2 text-sm text-slate-600">
            When an admin starts collecting a round, you will compare two responses here, pick the
            better one, and say by how much.
          </p>
        </div>
      ) : submitted ? (
        <AfterSubmit
          submitted={submitted}
          onUndo={onUndo}
          onNext={() => {
            setSubmitted(null);
            refresh();
          }}
          onContinued={(next) => {
            setSubmitted(null);
            setItem(next);
          }}
        />
      ) : item ? (
        <ComparisonView
          key={item.assignmentId}
          item={item}
          onHelp={() => setHelp(true)}
          onSubmitted={(s) => {
            setMessage(null);
            setSubmitted(s);
            setItem(null);
            void queryClient.invalidateQueries({ queryKey: trpc.workspace.get.queryKey() });
          }}
          onSkipped={() => {
            setMessage("Skipped. The item went back to the queue.");
            setItem(null);
          }}
          onDropped={(text) => {
            setMessage(text);
            setItem(null);
          }}
        />
      ) : (
        <TaskChooser guidelines={round.guidelines} onItem={(i) => (setMessage(null), setItem(i))} />
      )}
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </section>
  );
}

function AfterSubmit({
  submitted,
  onUndo,
  onNext,
  onContinued,
}: {
  submitted: TSubmitted;
  onUndo: () => void;
  onNext: () => void;
  onContinued: (item: TItemView) => void;
}) {
  const trpc = useTRPC();
  const [text, setText, resetText] = useDraft<string>(
    `continue:${submitted.dialogueId ?? "none"}`,
    () => "",
  );
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const cont = useMutation(trpc.annotation.continue.mutationOptions());
  const finish = useMutation(trpc.annotation.finish.mutationOptions());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const undoLeft = Math.max(0, Math.ceil((submitted.at + UNDO_GRACE_MS - now) / 1000));

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

  async function onDone() {
    if (submitted.dialogueId)
      await finish.mutateAsync({ dialogueId: submitted.dialogueId }).catch(() => undefined);
    onNext();
  }

  return (
    <div
      className="space-y-4 rounded-lg border border-slate-200 bg-white p-6"
      data-testid="after-submit"
    >
      <p className="font-medium text-emerald-800" data-testid="submitted-notice">
        Label saved.
      </p>
      {submitted.warning && (
        <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Recorded as “chosen unsafe, other safe”: kept for the record, left out of the safety
          reward model.
        </p>
      )}
      {submitted.canContinue && (
        <div>
          <label htmlFor="next-turn" className="block text-sm font-medium">
            Continue the dialogue: the response you chose becomes the assistant&apos;s turn. Write
            the next user turn.
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
          <button
            onClick={() => void onContinue()}
            disabled={cont.isPending}
            className="mt-2 rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
          >
            Continue
          </button>
        </div>
      )}
      {error && (
        <p
          role="status"
          className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800"
          data-testid="continue-error"
        >
          {error}
        </p>
      )}
      <div className="flex gap-3">
        <button
          onClick={() => void onDone()}
          className="rounded-md border border-slate-300 px-4 py-2 hover:bg-slate-100"
        >
          {submitted.canContinue ? "End dialogue, next item" : "Next item"}{" "}
          <kbd className="ml-1 font-mono text-xs text-slate-500">n</kbd>
        </button>
        {undoLeft > 0 && (
          <button
            onClick={onUndo}
            className="rounded-md border border-slate-300 px-4 py-2 hover:bg-slate-100"
          >
            Undo ({undoLeft} s) <kbd className="ml-1 font-mono text-xs text-slate-500">u</kbd>
          </button>
        )}
      </div>
    </div>
  );
}
