"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { DataTable } from "../data-table";

export function AuditTable() {
  const trpc = useTRPC();
  const [action, setAction] = useState("");
  const entries = useQuery(
    trpc.audit.list.queryOptions({ action: action || undefined, limit: 100 }),
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title" className="text-2xl font-semibold">
        Audit log
      </h1>
      <label className="mt-4 block text-sm">
        Filter by action
        <input
          value={action}
          onChange={(e) => setAction(e.target.value)}
          placeholder="e.g. users.create"
          className="ml-2 rounded-md border border-slate-300 px-2 py-1"
        />
      </label>
      <DataTable
        testId="audit-table"
        headers={["When", "Who", "Action", "Details"]}
        message={entries.data?.length === 0 ? "No admin actions match yet." : null}
        className="mt-4"
      >
        {entries.data?.map((e) => (
          <tr key={e.id} className="border-t border-slate-100 align-top">
            <td className="px-4 py-2 whitespace-nowrap">{e.createdAt.toLocaleString()}</td>
            <td className="px-4 py-2">{e.actor?.email ?? "system"}</td>
            <td className="px-4 py-2 font-mono">{e.action}</td>
            <td className="px-4 py-2 font-mono text-xs break-all">{JSON.stringify(e.details)}</td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}
