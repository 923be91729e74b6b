"use client";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { DataTable } from "../data-table";
import { ImportPanel } from "./import-panel";

const PAGE_SIZE = 50;
const SOURCES = ["seed", "demo", "annotator", "import"] as const;
type TSource = (typeof SOURCES)[number];

export function PromptsPanel({ canImport }: { canImport: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [source, setSource] = useState<"" | TSource>("");
  const [tag, setTag] = useState("");
  const [riskCategory, setRiskCategory] = useState("");
  const [safety, setSafety] = useState<"" | "safety" | "helpfulness">("");
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  const facets = useQuery(trpc.prompts.facets.queryOptions());
  const prompts = useQuery({
    ...trpc.prompts.list.queryOptions({
      source: source || undefined,
      tag: tag || undefined,
      riskCategory: riskCategory || undefined,
      isSafety: safety === "" ? undefined : safety === "safety",
      search: search.trim() || undefined,
      page,
      limit: PAGE_SIZE,
    }),
    placeholderData: keepPreviousData,
  });
  const total = prompts.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const filtered = Boolean(source || tag || riskCategory || safety || search.trim());
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.prompts.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.prompts.facets.queryKey() });
  };
  const pick =
    <T,>(fn: (v: T) => void) =>
    (v: T) => {
      fn(v);
      setPage(1);
    };

  return (
    <section aria-labelledby="prompts-title" className="space-y-6">
      <div>
        <h1 id="prompts-title" className="text-2xl font-semibold">
          Prompts
        </h1>
        <p className="mt-1 text-sm text-slate-600">
          The pool rounds draw first user turns from, in curriculum order (lower first; prompts
          without an order come last). Safety prompts feed the safety axis and the combined reward.
        </p>
      </div>

      {canImport && <ImportPanel onImported={refresh} />}

      <form
        aria-label="Filter prompts"
        onSubmit={(e) => e.preventDefault()}
        className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-5"
      >
        <label className="text-sm">
          Source
          <select
            value={source}
            onChange={(e) => pick(setSource)(e.target.value as "" | TSource)}
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          >
            <option value="">any</option>
            {SOURCES.map((s) => (
              <option key={s} value={s}>
                {s} ({facets.data?.sources.find((x) => x.source === s)?.n ?? 0})
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          Tag
          <select
            value={tag}
            onChange={(e) => pick(setTag)(e.target.value)}
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          >
            <option value="">any</option>
            {facets.data?.tags.map((t) => (
              <option key={t.tag} value={t.tag}>
                {t.tag} ({t.n})
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          Risk category
          <select
            value={riskCategory}
            onChange={(e) => pick(setRiskCategory)(e.target.value)}
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          >
            <option value="">any</option>
            {facets.data?.riskCategories.map((r) => (
              <option key={r.riskCategory} value={r.riskCategory}>
                {r.riskCategory} ({r.n})
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          Safety
          <select
            value={safety}
            onChange={(e) => pick(setSafety)(e.target.value as "" | "safety" | "helpfulness")}
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          >
            <option value="">any</option>
            <option value="safety">safety prompts</option>
            <option value="helpfulness">not safety</option>
          </select>
        </label>
        <label className="text-sm">
          Text contains
          <input
            value={search}
            onChange={(e) => pick(setSearch)(e.target.value)}
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          />
        </label>
      </form>

      <DataTable
        testId="prompts-table"
        headers={["Order", "Prompt", "Task", "Risk", "Safety", "Tags", "Source"]}
        message={
          prompts.isLoading
            ? "Loading…"
            : prompts.error
              ? prompts.error.message
              : total === 0
                ? filtered
                  ? "No prompt matches these filters."
                  : canImport
                    ? "No prompts yet. Import a CSV or JSONL file above."
                    : "No prompts yet. An admin can import them here."
                : null
        }
      >
        {prompts.data?.items.map((p) => (
          <tr key={p.id} className="border-t border-slate-100 align-top">
            <td className="px-4 py-2 tabular-nums">{p.curriculumOrder ?? "—"}</td>
            <td className="max-w-md px-4 py-2 whitespace-pre-wrap">{p.text}</td>
            <td className="px-4 py-2">{p.taskCategory ?? "—"}</td>
            <td className="px-4 py-2">{p.riskCategory ?? "—"}</td>
            <td className="px-4 py-2">
              {p.isSafety ? "safety" : "—"}
              {p.adversarial && <span className="block text-xs text-amber-700">adversarial</span>}
            </td>
            <td className="px-4 py-2">
              <div className="flex flex-wrap gap-1">
                {p.tags.map((t) => (
                  <span key={t} className="rounded bg-slate-100 px-1.5 py-0.5 text-xs">
                    {t}
                  </span>
                ))}
              </div>
            </td>
            <td className="px-4 py-2 text-xs">
              {p.source}
              {p.author && <span className="block text-slate-500">{p.author.email}</span>}
            </td>
          </tr>
        ))}
      </DataTable>
      <nav aria-label="Prompt pages" className="flex items-center gap-3 text-sm">
        <button
          onClick={() => setPage((p) => Math.max(1, p - 1))}
          disabled={page <= 1}
          className="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100 disabled:opacity-50"
        >
          Previous
        </button>
        <span data-testid="prompts-page">
          Page {Math.min(page, pages)} of {pages} · {total} prompts
        </span>
        <button
          onClick={() => setPage((p) => p + 1)}
          disabled={page >= pages}
          className="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100 disabled:opacity-50"
        >
          Next
        </button>
      </nav>
    </section>
  );
}
