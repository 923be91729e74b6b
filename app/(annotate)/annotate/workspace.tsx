"use client";
// The annotator's workspace: the round's task, then one comparison at a time. After a label is
// saved the next item comes by itself (annotation.advance: a waiting item, else the next queued
// prompt for an annotator who works from the queue, else the prompt box, ready to type), under a
// one-line recap of what was saved; undo (u) stays one key away for a minute, and gives the new
// item back. In an own dialogue that can go on, the next turn's box comes instead.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useDraft } from "@/lib/client/drafts";
import { useTRPC } from "@/lib/client/trpc";
import { UNDO_GRACE_MS } from "@/lib/shared/annotation";
import type { TItemView } from "@/lib/server/annotation/view";
import { ComparisonView, type TSubmitted } from "./comparison-view";
import { ContinuePanel } from "./continue-panel";
import { HelpOverlay } from "./help-overlay";
import { isTyping } from "./shortcuts";
import { TaskChooser, type TItemSource } from "./task-chooser";

export function Workspace() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useQuery(trpc.workspace.get.queryOptions());
  const current = useQuery(
    trpc.annotation.current.queryOptions(undefined, { refetchOnWindowFocus: false }),
  );
  const [submitted, setSubmitted] = useState<TSubmitted | null>(null);
  const [continuing, setContinuing] = useState(false);
  const [focusPrompt, setFocusPrompt] = useState(false);
  const [help, setHelp] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  // How the annotator took their last new item: the queue, or a prompt they wrote (or the pool).
  const [source, setSource] = useDraft<TItemSource>("item-source", () => "write");
  const undo = useMutation(trpc.annotation.undo.mutationOptions());
  const advance = useMutation(trpc.annotation.advance.mutationOptions());
  const finish = useMutation(trpc.annotation.finish.mutationOptions());
  const now = useNow(submitted !== null);
  const undoLeft = submitted
    ? Math.min(
        UNDO_GRACE_MS / 1000,
        Math.max(0, Math.ceil((submitted.at + UNDO_GRACE_MS - now) / 1000)),
      )
    : 0;

  const setItem = (item: TItemView | null) =>
    queryClient.setQueryData(trpc.annotation.current.queryKey(), item);
  const countMine = (delta: number) => {
    queryClient.setQueryData(trpc.workspace.get.queryKey(), (w) =>
      w ? { ...w, myAnnotations: Math.max(0, w.myAnnotations + delta) } : w,
    );
    void queryClient.invalidateQueries({ queryKey: trpc.workspace.get.queryKey() });
  };
  const item = current.data ?? null;

  async function next() {
    setContinuing(false);
    try {
      const loaded = await advance.mutateAsync({ queued: source === "queued" });
      setItem(loaded);
      setFocusPrompt(loaded === null);
    } catch (e) {
      setItem(null);
      setMessage(e instanceof Error ? e.message : String(e));
    }
  }

  async function onUndo() {
    // While the next item is being fetched the server may already hold it for us: wait for it.
    if (!submitted || undoLeft === 0 || undo.isPending || advance.isPending) return;
    const held = item && item.assignmentId !== submitted.assignmentId ? item : null;
    try {
      await undo.mutateAsync({
        annotationId: submitted.annotationId,
        release: held?.assignmentId,
      });
      setSubmitted(null);
      setContinuing(false);
      setMessage("Your last label was taken back: label it again.");
      countMine(-1);
      await queryClient.invalidateQueries({ queryKey: trpc.annotation.current.queryKey() });
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  }

  async function onEndDialogue() {
    if (submitted?.dialogueId)
      await finish.mutateAsync({ dialogueId: submitted.dialogueId }).catch(() => undefined);
    await next();
  }

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      // Alt+U undoes from anywhere, a text field included; u alone outside text fields.
      if (e.altKey && e.code === "KeyU" && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        void onUndo();
        return;
      }
      if (e.key === "Escape" && isTyping(e.target)) {
        (e.target as HTMLElement).blur();
        return;
      }
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "?") setHelp((h) => !h);
      else if (e.key === "Escape") setHelp(false);
      else if (e.key === "u" && submitted && undoLeft > 0) void onUndo();
      else if (e.key === "n" && continuing) void onEndDialogue();
      else if (e.key === "c" && continuing) document.getElementById("next-turn")?.focus();
      else return;
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

  return (
    <section aria-labelledby="workspace-title" data-testid="workspace" className="space-y-5">
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

      {submitted && (
        <SavedRecap
          submitted={submitted}
          undoLeft={undoLeft}
          undoing={undo.isPending}
          onUndo={() => void onUndo()}
        />
      )}

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
      ) : continuing && submitted ? (
        <ContinuePanel
          submitted={submitted}
          ending={finish.isPending || advance.isPending}
          onEnd={() => void onEndDialogue()}
          onContinued={(nextItem) => {
            setContinuing(false);
            setItem(nextItem);
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
            if (s.created) countMine(1);
            if (s.canContinue) setContinuing(true);
            else void next();
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
      ) : advance.isPending ? (
        <p className="text-slate-600" data-testid="loading-next">
          Loading the next item…
        </p>
      ) : (
        <TaskChooser
          guidelines={round.guidelines}
          focusPrompt={focusPrompt}
          onItem={(i, from) => {
            setMessage(null);
            setFocusPrompt(false);
            setSource(from);
            setItem(i);
          }}
        />
      )}
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </section>
  );
}

/** The time now, ticking each second while `on` (the undo countdown). */
function useNow(on: boolean) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return now;
}

/** One line: what was just saved, and undo while it is possible. */
function SavedRecap({
  submitted,
  undoLeft,
  undoing,
  onUndo,
}: {
  submitted: TSubmitted;
  undoLeft: number;
  undoing: boolean;
  onUndo: () => void;
}) {
  return (
    <div className="space-y-2">
      <div
        role="status"
        data-testid="submitted-notice"
        className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900"
      >
        <span>
          <strong className="font-medium">Label saved:</strong>{" "}
          <span data-testid="saved-recap">{submitted.summary}</span>
        </span>
        {undoLeft > 0 && (
          <button
            onClick={onUndo}
            disabled={undoing}
            className="ml-auto rounded-md border border-emerald-300 bg-white px-3 py-0.5 hover:bg-emerald-100 disabled:opacity-60"
          >
            Undo ({undoLeft} s) <kbd className="ml-1 font-mono text-xs text-slate-500">u</kbd>
          </button>
        )}
      </div>
      {submitted.warning && (
        <p
          data-testid="saved-warning"
          className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          Recorded as “chosen unsafe, other safe”: kept for the record, left out of the safety
          reward model.
        </p>
      )}
    </div>
  );
}
