"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/client/trpc";

export function Workspace() {
  const trpc = useTRPC();
  const { data, isLoading, error } = useQuery(trpc.workspace.get.queryOptions());

  return (
    <section aria-labelledby="workspace-title" data-testid="workspace">
      <h1 id="workspace-title" className="text-2xl font-semibold">
        Annotation workspace
      </h1>
      {isLoading && <p className="mt-4 text-slate-600">Loading your task…</p>}
      {error && <p className="mt-4 text-red-700">Could not load the workspace: {error.message}</p>}
      {data && (
        <div className="mt-6 grid gap-4 md:grid-cols-3">
          <div className="rounded-lg border border-slate-200 bg-white p-4 md:col-span-2">
            {data.round ? (
              <>
                <h2 className="font-medium">
                  Round {data.round.number}: {data.round.name}
                </h2>
                <p className="mt-2 text-sm text-slate-600">
                  Comparisons for this round will appear here.
                </p>
              </>
            ) : (
              <>
                <h2 className="font-medium">No round is collecting right now</h2>
                <p className="mt-2 text-sm text-slate-600">
                  When an admin starts collecting a round, you will compare two responses here, pick
                  the better one, and say by how much.
                </p>
              </>
            )}
          </div>
          <dl className="rounded-lg border border-slate-200 bg-white p-4 text-sm">
            <dt className="text-slate-600">Prompts in the pool</dt>
            <dd className="text-2xl font-semibold" data-testid="prompt-count">
              {data.queuedPrompts}
            </dd>
            <dt className="mt-3 text-slate-600">Your annotations</dt>
            <dd className="text-2xl font-semibold">{data.myAnnotations}</dd>
          </dl>
        </div>
      )}
    </section>
  );
}
