"use client";
// Rounds: create one, open its page (configuration, progress, training steps, evaluation), move it
// through its lifecycle — each move refused with the reason until its precondition holds — and
// see the evaluations across rounds (win rate like the paper's Figure 11, safety rates).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/client/trpc";
import Link from "next/link";
import { ConfirmButton, IRREVERSIBLE_MOVES } from "../confirm-button";
import { DataTable } from "../data-table";
import { RoundHistoryCharts } from "./history-charts";
import { NEXT_ACTION as NEXT, canCancel, statusText } from "./lifecycle";

export function RoundsPanel({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rounds = useQuery(trpc.rounds.list.queryOptions());
  const refresh = () =>
    void queryClient.invalidateQueries({ queryKey: trpc.rounds.list.queryKey() });
  const [message, setMessage] = useState<string | null>(null);
  const onError = (e: { message: string }) => setMessage(e.message);
  // Each action starts with a clean slate: an old refusal never stands next to a new result.
  const onMutate = () => setMessage(null);
  const handlers = { onSuccess: refresh, onError, onMutate };
  const create = useMutation(trpc.rounds.create.mutationOptions(handlers));
  const advance = useMutation(trpc.rounds.advance.mutationOptions(handlers));
  const cancel = useMutation(trpc.rounds.cancel.mutationOptions(handlers));

  function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "").trim();
    if (!name) return setMessage("Name the round");
    setMessage(null);
    create.mutate({ name });
  }

  return (
    <section aria-labelledby="rounds-title" className="space-y-6">
      <h1 id="rounds-title" className="text-2xl font-semibold">
        Rounds
      </h1>
      {canManage && (
        <form
          onSubmit={onCreate}
          aria-label="Create a round"
          className="flex items-end gap-3 rounded-lg border border-slate-200 bg-white p-4"
        >
          <label className="text-sm">
            Name
            <input
              name="name"
              maxLength={100}
              className="mt-1 block rounded-md border border-slate-300 px-2 py-1.5"
            />
          </label>
          <button
            type="submit"
            className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700"
          >
            Create round
          </button>
        </form>
      )}
      {message && (
        <p
          role="status"
          data-testid="rounds-message"
          className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          {message}
        </p>
      )}
      <DataTable
        testId="rounds-table"
        headers={["Round", "Status", "Comparisons", "Annotations", "Actions"]}
        message={rounds.data?.length === 0 ? "No rounds yet: create one." : null}
      >
        {rounds.data?.map((r) => (
          <tr key={r.id} className="border-t border-slate-100">
            <td className="px-4 py-2">
              <Link href={`/admin/rounds/${r.id}`} className="text-indigo-700 hover:underline">
                {r.number}. {r.name}
              </Link>
            </td>
            <td className="px-4 py-2" data-testid={`round-status-${r.number}`}>
              {statusText(r.status)}
            </td>
            <td className="px-4 py-2">{r.comparisons}</td>
            <td className="px-4 py-2">{r.annotations}</td>
            <td className="space-x-2 px-4 py-2">
              {canManage &&
                NEXT[r.status] &&
                (IRREVERSIBLE_MOVES[r.status] ? (
                  <ConfirmButton
                    title={`Round ${r.number}: ${IRREVERSIBLE_MOVES[r.status]!.title}`}
                    body={IRREVERSIBLE_MOVES[r.status]!.body}
                    confirmLabel={IRREVERSIBLE_MOVES[r.status]!.confirm}
                    onConfirm={() => advance.mutate({ roundId: r.id })}
                    className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
                  >
                    {NEXT[r.status]}
                  </ConfirmButton>
                ) : (
                  <button
                    onClick={() => advance.mutate({ roundId: r.id })}
                    className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
                  >
                    {NEXT[r.status]}
                  </button>
                ))}
              <Link
                href={`/admin/rounds/${r.id}`}
                className="inline-block rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
              >
                {canManage && (r.status === "draft" || r.status === "collecting")
                  ? "Configure"
                  : "Open"}
              </Link>
              {canManage && canCancel(r.status) && (
                <ConfirmButton
                  title={`Cancel round ${r.number}?`}
                  body="Its collection stops and it can never move on again. This cannot be undone."
                  confirmLabel="Cancel round"
                  danger
                  onConfirm={() => cancel.mutate({ roundId: r.id })}
                  className="rounded-md border border-red-300 px-2 py-1 text-red-800 hover:bg-red-50"
                >
                  Cancel
                </ConfirmButton>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      <RoundHistoryCharts />
    </section>
  );
}
