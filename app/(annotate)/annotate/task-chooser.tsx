"use client";
// With no item held: the annotator's next task, a comparison (StartPanel) or a demonstration.
// The round's demonstrationShare draws which one is offered first (kept as a draft, so a reload
// does not redraw it); the annotator can switch.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useDraft } from "@/lib/client/drafts";
import { useTRPC } from "@/lib/client/trpc";
import type { TAxis } from "@/lib/shared/protocol";
import type { TItemView } from "@/lib/server/annotation/view";
import { DemonstrationPanel } from "./demonstration-panel";
import { StartPanel } from "./start-panel";

type TTask = "comparison" | "demonstration";
/** How the annotator took a new item: the queue, or otherwise (a written prompt, the pool). */
export type TItemSource = "queued" | "write";
type TOnItem = (item: TItemView | null, source: TItemSource) => void;

export function TaskChooser({
  guidelines,
  focusPrompt,
  onItem,
}: {
  guidelines: Record<TAxis, string>;
  /** Put the cursor in the prompt box (no item was waiting after the last label). */
  focusPrompt: boolean;
  onItem: TOnItem;
}) {
  const trpc = useTRPC();
  const demo = useQuery(trpc.demonstrations.workspace.queryOptions());
  if (demo.isLoading) return <p className="text-slate-600">Loading your task…</p>;
  const round = demo.data?.round ?? null;
  return (
    <Chooser
      share={round?.demonstrationShare ?? 0}
      guidelines={guidelines}
      focusPrompt={focusPrompt}
      onItem={onItem}
      demo={round}
      mine={demo.data?.mine ?? null}
    />
  );
}

function Chooser({
  share,
  guidelines,
  focusPrompt,
  onItem,
  demo,
  mine,
}: {
  share: number;
  guidelines: Record<TAxis, string>;
  focusPrompt: boolean;
  onItem: TOnItem;
  demo: {
    maxTurns: number;
    promptSources: { queued: boolean; annotatorWritten: boolean };
    guidelines: string;
  } | null;
  mine: { pending: number; approved: number; rejected: number } | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [task, setTask] = useDraft<TTask>("task-type", () =>
    Math.random() < share ? "demonstration" : "comparison",
  );
  const tabs: [TTask, string][] = [
    ["comparison", "Compare two responses"],
    ["demonstration", "Write a demonstration"],
  ];
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <div role="tablist" aria-label="Task" className="flex gap-1 rounded-lg bg-slate-100 p-1">
          {tabs.map(([t, label]) => (
            <button
              key={t}
              role="tab"
              type="button"
              aria-selected={task === t}
              disabled={t === "demonstration" && !demo}
              onClick={() => setTask(t)}
              className={`rounded-md px-3 py-1.5 text-sm ${task === t ? "bg-white font-medium shadow-sm" : "text-slate-600 hover:text-slate-900"}`}
            >
              {label}
            </button>
          ))}
        </div>
        {mine && (
          <p className="text-sm text-slate-600" data-testid="my-demonstrations">
            Your demonstrations: {mine.approved} approved · {mine.pending} waiting for review ·{" "}
            {mine.rejected} rejected
          </p>
        )}
      </div>
      {task === "demonstration" && demo ? (
        <DemonstrationPanel
          guidelines={demo.guidelines}
          maxTurns={demo.maxTurns}
          promptSources={demo.promptSources}
          onSubmitted={() =>
            void queryClient.invalidateQueries({
              queryKey: trpc.demonstrations.workspace.queryKey(),
            })
          }
        />
      ) : (
        <StartPanel guidelines={guidelines} focusPrompt={focusPrompt} onItem={onItem} />
      )}
    </div>
  );
}
