"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { auditObject, auditVerb, detailLines } from "@/lib/shared/audit-text";
import { DataTable } from "../data-table";

const PAGE_SIZE = 50;

/** A `yyyy-mm-dd` from a date input as local midnight; `plusDays` 1 gives the next midnight. */
function localDay(value: string, plusDays = 0): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const [y, m, d] = value.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d + plusDays);
}

export function AuditTable() {
  const trpc = useTRPC();
  const [action, setAction] = useState("");
  const [actor, setActor] = useState("");
  const [targetType, setTargetType] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [page, setPage] = useState(1);
  const facets = useQuery(trpc.audit.facets.queryOptions());
  const fromDate = localDay(from);
  const toDate = localDay(to, 1);
  const rangeError = fromDate && toDate && fromDate >= toDate;
  const entries = useQuery({
    ...trpc.audit.list.queryOptions({
      action: action || undefined,
      actor: actor.trim() || undefined,
      targetType: targetType || undefined,
      from: fromDate,
      to: toDate,
      page,
      limit: PAGE_SIZE,
    }),
    enabled: !rangeError,
    placeholderData: keepPreviousData,
  });
  const total = entries.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const filtered = Boolean(action || actor.trim() || targetType || from || to);
  const set =
    <T,>(fn: (v: T) => void) =>
    (v: T) => {
      fn(v);
      setPage(1);
    };

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title" className="text-2xl font-semibold">
        Audit log
      </h1>
      <p className="mt-1 text-sm text-slate-600">
        Every admin change: who made it, what they did to what, when, and the values they gave (a
        change of earlier values shows before → after; passwords and secrets are never stored).
      </p>
      <form
        aria-label="Filter the audit log"
        onSubmit={(e) => e.preventDefault()}
        className="mt-4 grid gap-3 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-6"
      >
        <label className="text-sm">
          Action
          <select
            value={action}
            onChange={(e) => set(setAction)(e.target.value)}
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          >
            <option value="">any</option>
            {facets.data?.actions.map((a) => (
              <option key={a.action} value={a.action}>
                {auditVerb(a.action)} {auditObject(a.action, "")} ({a.n})
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          Actor email
          <input
            value={actor}
            onChange={(e) => set(setActor)(e.target.value)}
            placeholder="e.g. admin@"
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          />
        </label>
        <label className="text-sm">
          Target type
          <select
            value={targetType}
            onChange={(e) => set(setTargetType)(e.target.value)}
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          >
            <option value="">any</option>
            {facets.data?.targetTypes.map((t) => (
              <option key={t.targetType} value={t.targetType}>
                {t.targetType} ({t.n})
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          From
          <input
            type="date"
            value={from}
            onChange={(e) => set(setFrom)(e.target.value)}
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          />
        </label>
        <label className="text-sm">
          To (inclusive)
          <input
            type="date"
            value={to}
            onChange={(e) => set(setTo)(e.target.value)}
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          />
        </label>
        <div className="flex items-end">
          <button
            type="button"
            disabled={!filtered}
            onClick={() => {
              setAction("");
              setActor("");
              setTargetType("");
              setFrom("");
              setTo("");
              setPage(1);
            }}
            className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 disabled:opacity-50"
          >
            Clear filters
          </button>
        </div>
        {rangeError && (
          <p role="alert" className="text-sm text-red-700 md:col-span-6">
            From must be on or before To.
          </p>
        )}
      </form>
      <DataTable
        testId="audit-table"
        headers={["When", "Who", "Did what", "Details"]}
        message={
          entries.isLoading
            ? "Loading…"
            : entries.error
              ? entries.error.message
              : total === 0
                ? filtered
                  ? "No entries match these filters. Widen the date range or clear the filters."
                  : "No admin actions yet. Creating users, rounds, jobs or API keys is recorded here."
                : null
        }
        className="mt-4"
      >
        {entries.data?.entries.map((e) => {
          const lines = detailLines(
            e.details,
            e.previousDetails ?? undefined,
            e.targetId ? ["id", "roundId", "userId", "jobId", "promptId"] : [],
          );
          return (
            <tr key={e.id} className="border-t border-slate-100 align-top" data-testid="audit-row">
              <td className="px-4 py-2 whitespace-nowrap">
                <time dateTime={new Date(e.createdAt).toISOString()}>
                  {new Date(e.createdAt).toLocaleString()}
                </time>
              </td>
              <td className="px-4 py-2 break-all">{e.actor?.email ?? "system"}</td>
              <td className="px-4 py-2" title={e.action}>
                <span data-testid="audit-action">{auditVerb(e.action)}</span>{" "}
                {auditObject(e.action, e.targetType)}
                {e.targetId && (
                  <span className="block font-mono text-xs break-all text-slate-500">
                    {e.targetId}
                  </span>
                )}
              </td>
              <td className="px-4 py-2 text-xs" data-testid="audit-details">
                {lines.length === 0 ? (
                  <span className="text-slate-500">no input</span>
                ) : (
                  <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5">
                    {lines.map((l) => (
                      <Fragment key={l.field}>
                        <dt className="text-slate-600">{l.field}</dt>
                        <dd className={`break-words ${l.changed ? "font-medium" : ""}`}>
                          {l.changed ? (
                            <>
                              <del className="text-red-800">{l.before}</del> →{" "}
                              <ins className="text-green-800 no-underline">{l.after}</ins>
                            </>
                          ) : (
                            l.after
                          )}
                        </dd>
                      </Fragment>
                    ))}
                  </dl>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
      <nav aria-label="Audit pages" className="mt-3 flex items-center gap-3 text-sm">
        <button
          onClick={() => setPage((p) => Math.max(1, p - 1))}
          disabled={page <= 1}
          className="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100 disabled:opacity-50"
        >
          Newer
        </button>
        <span data-testid="audit-page">
          Page {Math.min(page, pages)} of {pages} · {total} entries
        </span>
        <button
          onClick={() => setPage((p) => p + 1)}
          disabled={page >= pages}
          className="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100 disabled:opacity-50"
        >
          Older
        </button>
      </nav>
    </section>
  );
}
