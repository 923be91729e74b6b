"use client";
// Rounds: create one, edit its configuration (validated, with the field named on error), move it
// through its lifecycle — each move refused with the reason until its precondition holds.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { ZRoundConfig } from "@/lib/shared/round-config";
import { DataTable } from "../data-table";

const NEXT: Record<string, string> = {
  draft: "Start collecting",
  collecting: "Train reward models",
  training_rewards: "Move to RLHF",
  rlhf: "Evaluate",
  evaluating: "Publish",
};

export function RoundsPanel({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rounds = useQuery(trpc.rounds.list.queryOptions());
  const refresh = () =>
    void queryClient.invalidateQueries({ queryKey: trpc.rounds.list.queryKey() });
  const [message, setMessage] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ id: string; text: string } | null>(null);
  const onError = (e: { message: string }) => setMessage(e.message);
  const create = useMutation(trpc.rounds.create.mutationOptions({ onSuccess: refresh, onError }));
  const advance = useMutation(trpc.rounds.advance.mutationOptions({ onSuccess: refresh, onError }));
  const cancel = useMutation(trpc.rounds.cancel.mutationOptions({ onSuccess: refresh, onError }));
  const update = useMutation(
    trpc.rounds.updateConfig.mutationOptions({ onSuccess: refresh, onError }),
  );

  function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "").trim();
    if (!name) return setMessage("Name the round");
    setMessage(null);
    create.mutate({ name });
  }

  function onSaveConfig() {
    if (!editing) return;
    let value: unknown;
    try {
      value = JSON.parse(editing.text);
    } catch (e) {
      return setMessage(
        `The configuration is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const parsed = ZRoundConfig.safeParse(value);
    if (!parsed.success) {
      return setMessage(
        parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; "),
      );
    }
    setMessage(null);
    update.mutate(
      { roundId: editing.id, config: parsed.data },
      { onSuccess: () => setEditing(null) },
    );
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
              {r.number}. {r.name}
            </td>
            <td className="px-4 py-2" data-testid={`round-status-${r.number}`}>
              {r.status.replace("_", " ")}
            </td>
            <td className="px-4 py-2">{r.comparisons}</td>
            <td className="px-4 py-2">{r.annotations}</td>
            <td className="space-x-2 px-4 py-2">
              {canManage && NEXT[r.status] && (
                <button
                  onClick={() => advance.mutate({ roundId: r.id })}
                  className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
                >
                  {NEXT[r.status]}
                </button>
              )}
              {canManage && (r.status === "draft" || r.status === "collecting") && (
                <button
                  onClick={() => setEditing({ id: r.id, text: JSON.stringify(r.config, null, 2) })}
                  className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
                >
                  Configure
                </button>
              )}
              {canManage && r.status !== "published" && r.status !== "cancelled" && (
                <button
                  onClick={() => cancel.mutate({ roundId: r.id })}
                  className="rounded-md border border-red-300 px-2 py-1 text-red-800 hover:bg-red-50"
                >
                  Cancel
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      {editing && (
        <div className="rounded-lg border border-slate-200 bg-white p-4">
          <label htmlFor="round-config" className="block text-sm font-medium">
            Configuration: the two sampling variants (model &quot;latest&quot;, &quot;previous&quot;
            or a model version id, and temperature), the axis mix (shares summing to 1), guidelines
            per axis, targets, overlap and gold rates, maximum turns, lease minutes
          </label>
          <textarea
            id="round-config"
            value={editing.text}
            onChange={(e) => setEditing({ ...editing, text: e.target.value })}
            rows={18}
            className="mt-2 w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs"
          />
          <div className="mt-2 flex gap-2">
            <button
              onClick={onSaveConfig}
              className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700"
            >
              Save configuration
            </button>
            <button
              onClick={() => setEditing(null)}
              className="rounded-md border border-slate-300 px-4 py-2 hover:bg-slate-100"
            >
              Close
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
