"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { hasLowGoldAccuracy, isPositionBiased } from "@/lib/shared/annotator-flags";
import { useTRPC } from "@/lib/client/trpc";
import { AccountActionsCell, Notice } from "../account-actions";
import { DataTable } from "../data-table";
import { pct as share } from "@/lib/shared/format";

const pct = (x: number | null) => share(x, 0);
const secs = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`);

export function AnnotatorsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [roundId, setRoundId] = useState("");
  const rounds = useQuery(trpc.rounds.list.queryOptions());
  const rows = useQuery(trpc.users.annotators.queryOptions({ roundId: roundId || undefined }));
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: trpc.users.annotators.queryKey() });
  const [issued, setIssued] = useState<{ email: string; password: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const setDisabled = useMutation(trpc.users.setDisabled.mutationOptions({ onSuccess: refresh }));
  const reset = useMutation(trpc.users.resetPasswordGenerated.mutationOptions());
  const error = setDisabled.error ?? reset.error;

  function onDisable(id: string, email: string, disabled: boolean) {
    if (disabled && !window.confirm(`Disable ${email}? They are signed out at once.`)) return;
    setDisabled.mutate(
      { userId: id, disabled },
      { onSuccess: () => setNotice(`${email} is ${disabled ? "disabled" : "enabled again"}.`) },
    );
  }

  function onReset(id: string, email: string) {
    if (!window.confirm(`Reset the password of ${email}? Their sessions end.`)) return;
    setIssued(null);
    reset.mutate(
      { userId: id },
      {
        onSuccess: (out) => {
          setNotice(null);
          setIssued({ email, password: out.password });
        },
      },
    );
  }

  return (
    <section aria-labelledby="annotators-title" className="space-y-6">
      <div>
        <h1 id="annotators-title" className="text-2xl font-semibold">
          Annotators
        </h1>
        <p className="mt-1 text-sm text-slate-600">
          Labels, median time per label, accuracy on gold items, agreement with other annotators on
          overlap items, position bias (share of picks on the left-displayed response; 50% is
          unbiased, and a mark shows when the share is further from 50% than chance explains), and
          the share of labels a reviewer rejected.
        </p>
      </div>
      <label className="block text-sm">
        Round
        <select
          value={roundId}
          onChange={(e) => setRoundId(e.target.value)}
          className="ml-2 rounded-md border border-slate-300 px-2 py-1"
        >
          <option value="">all rounds</option>
          {rounds.data?.map((r) => (
            <option key={r.id} value={r.id}>
              Round {r.number}: {r.name}
            </option>
          ))}
        </select>
      </label>

      {issued && (
        <div
          data-testid="issued-password"
          className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm"
        >
          <p>
            New password for <strong>{issued.email}</strong>, shown once. Give it to them; they
            should change it after signing in.
          </p>
          <code data-testid="new-password" className="block font-mono text-base select-all">
            {issued.password}
          </code>
          <button
            onClick={() => setIssued(null)}
            className="rounded-md border border-slate-300 bg-white px-3 py-1 hover:bg-slate-100"
          >
            I have copied it
          </button>
        </div>
      )}
      {notice && <Notice testId="annotators-notice">{notice}</Notice>}
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {error.message}
        </p>
      )}

      <DataTable
        testId="annotators-table"
        headers={[
          "Annotator",
          "Status",
          "Labels",
          "Median time",
          "Gold accuracy",
          "Agreement",
          "Left picks",
          "Rejected",
          "Actions",
        ]}
        message={
          rows.isLoading
            ? "Loading…"
            : rows.data?.length === 0
              ? "No annotators yet. Create accounts with the annotator role on the Users page."
              : null
        }
      >
        {rows.data?.map((a) => {
          const biased = isPositionBiased(a);
          const lowGold = hasLowGoldAccuracy(a);
          return (
            <tr
              key={a.id}
              data-testid={`annotator-${a.email}`}
              className="border-t border-slate-100 align-top"
            >
              <td className="px-3 py-2">
                {a.name}
                <span className="block text-xs text-slate-500">
                  {a.email}
                  {a.role !== "annotator" && ` · ${a.role}`}
                </span>
              </td>
              <td className="px-3 py-2" data-testid="status">
                {a.disabled ? (
                  <span className="rounded bg-red-100 px-1.5 py-0.5 text-xs text-red-800">
                    disabled
                  </span>
                ) : (
                  "active"
                )}
              </td>
              <td className="px-3 py-2 tabular-nums">{a.count}</td>
              <td className="px-3 py-2 tabular-nums">{secs(a.medianTimeMs)}</td>
              <td
                className={`px-3 py-2 tabular-nums ${lowGold ? "font-medium text-red-700" : ""}`}
                title={`${a.goldItems} gold item(s)`}
              >
                {pct(a.goldAccuracy)}
                {a.goldItems > 0 && <span className="text-xs text-slate-500"> /{a.goldItems}</span>}
              </td>
              <td className="px-3 py-2 tabular-nums" title={`${a.overlapPairs} overlap pair(s)`}>
                {pct(a.agreement)}
                {a.overlapPairs > 0 && (
                  <span className="text-xs text-slate-500"> /{a.overlapPairs}</span>
                )}
              </td>
              <td
                className={`px-3 py-2 tabular-nums ${biased ? "font-medium text-amber-700" : ""}`}
                title={biased ? "More one-sided than chance explains (|z| > 1.96)" : undefined}
              >
                {pct(a.leftShare)}
                {biased && " ⚠"}
              </td>
              <td className="px-3 py-2 tabular-nums">
                {pct(a.rejectedShare)}
                {a.rejected > 0 && <span className="text-xs text-slate-500"> ({a.rejected})</span>}
              </td>
              <AccountActionsCell
                className="space-x-2 px-3 py-2 whitespace-nowrap"
                disabled={a.disabled}
                canDisable={a.role !== "admin"}
                onToggleDisabled={() => onDisable(a.id, a.email, !a.disabled)}
                onResetPassword={() => onReset(a.id, a.email)}
              />
            </tr>
          );
        })}
      </DataTable>
    </section>
  );
}
