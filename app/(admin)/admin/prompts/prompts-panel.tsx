"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { DataTable } from "../data-table";
import { ImportPanel } from "./import-panel";

const PAGE_SIZE = 50;
const SOURCES = ["seed", "demo", "annotator", "import"] as const;
type TSource = (typeof SOURCES)[number];

type TPromptRow = {
  id: string;
  text: string;
  taskCategory: string | null;
  riskCategory: string | null;
  isSafety: boolean;
  adversarial: boolean;
  tags: string[];
  curriculumOrder: number | null;
};

/** One prompt's curation fields as a form row; the text is not editable. */
function EditRow({ prompt, onDone }: { prompt: TPromptRow; onDone: () => void }) {
  const trpc = useTRPC();
  const update = useMutation(trpc.prompts.update.mutationOptions({ onSuccess: onDone }));
  const [error, setError] = useState<string | null>(null);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "").trim();
    const order = text("curriculumOrder");
    if (order !== "" && !/^\d+$/.test(order)) {
      setError("Curriculum order must be a whole number of 0 or more, or empty");
      return;
    }
    setError(null);
    update.mutate(
      {
        promptId: prompt.id,
        taskCategory: text("taskCategory") || null,
        riskCategory: text("riskCategory") || null,
        isSafety: f.get("isSafety") === "on",
        adversarial: f.get("adversarial") === "on",
        tags:
          text("tags") === ""
            ? []
            : text("tags")
                .split(/[;|]/)
                .map((t) => t.trim()),
        curriculumOrder: order === "" ? null : Number(order),
      },
      { onError: (e) => setError(e.message) },
    );
  }
  const input = "mt-1 w-full rounded-md border border-slate-300 px-2 py-1";
  return (
    <tr className="border-t border-slate-100 bg-indigo-50/40 align-top">
      <td colSpan={8} className="px-4 py-3">
        <form
          onSubmit={onSubmit}
          // An edit makes the last refusal old news.
          onChange={() => setError(null)}
          aria-label={`Edit prompt ${prompt.id}`}
          className="grid gap-3 text-sm md:grid-cols-6"
        >
          <p className="md:col-span-6">{prompt.text}</p>
          <label>
            Order
            <input
              name="curriculumOrder"
              defaultValue={prompt.curriculumOrder ?? ""}
              className={input}
            />
          </label>
          <label>
            Task category
            <input name="taskCategory" defaultValue={prompt.taskCategory ?? ""} className={input} />
          </label>
          <label>
            Risk category
            <input name="riskCategory" defaultValue={prompt.riskCategory ?? ""} className={input} />
          </label>
          <label className="md:col-span-2">
            Tags (separated by ;)
            <input name="tags" defaultValue={prompt.tags.join("; ")} className={input} />
          </label>
          <div className="flex flex-col justify-end gap-1">
            <label>
              <input type="checkbox" name="isSafety" defaultChecked={prompt.isSafety} /> safety
            </label>
            <label>
              <input type="checkbox" name="adversarial" defaultChecked={prompt.adversarial} />{" "}
              adversarial
            </label>
          </div>
          <div className="flex gap-2 md:col-span-6">
            <button
              type="submit"
              disabled={update.isPending}
              className="rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
            >
              Save
            </button>
            <button
              type="button"
              onClick={onDone}
              className="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-100"
            >
              Cancel
            </button>
            {error && (
              <p role="alert" className="self-center text-red-700">
                {error}
              </p>
            )}
          </div>
        </form>
      </td>
    </tr>
  );
}

export function PromptsPanel({ canImport }: { canImport: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [source, setSource] = useState<"" | TSource>("");
  const [tag, setTag] = useState("");
  const [riskCategory, setRiskCategory] = useState("");
  const [safety, setSafety] = useState<"" | "safety" | "helpfulness">("");
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<string | null>(null);
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
        headers={[
          "Order",
          "Prompt",
          "Task",
          "Risk",
          "Safety",
          "Tags",
          "Source",
          ...(canImport ? [""] : []),
        ]}
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
        {prompts.data?.items.map((p) =>
          editing === p.id ? (
            <EditRow
              key={p.id}
              prompt={p}
              onDone={() => {
                setEditing(null);
                refresh();
              }}
            />
          ) : (
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
              {canImport && (
                <td className="px-4 py-2">
                  <button
                    onClick={() => setEditing(p.id)}
                    aria-label={`Edit ${p.text.slice(0, 40)}`}
                    className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100"
                  >
                    Edit
                  </button>
                </td>
              )}
            </tr>
          ),
        )}
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
