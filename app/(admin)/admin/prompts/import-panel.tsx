"use client";
// Import prompts from a CSV or JSONL file in two steps: the server checks the file and reports
// every problem (row, field, problem); then the admin imports it, or, when some rows have
// problems, explicitly imports only the valid rows.
import { useRef, useState } from "react";
import {
  IMPORT_EXTENSIONS,
  IMPORT_MAX_BYTES,
  formatBytes,
  importFormatOf,
  type TImportReport,
  type TImportResponse,
} from "@/lib/shared/prompt-import";
import { DataTable } from "../data-table";

async function send(file: File, mode: "validate" | "import", acceptValid = false) {
  const body = new FormData();
  body.set("file", file);
  body.set("mode", mode);
  if (acceptValid) body.set("acceptValid", "1");
  const res = await fetch("/api/admin/prompts/import", { method: "POST", body });
  const json = (await res.json().catch(() => null)) as TImportResponse | null;
  if (!json) throw new Error(`The server answered ${res.status} without a report`);
  if (!json.ok) throw new Error(json.error);
  return json;
}

export function ImportPanel({ onImported }: { onImported: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<TImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function check(f: File | null) {
    setReport(null);
    setError(null);
    setNotice(null);
    setFile(f);
    if (!f) return;
    if (!importFormatOf(f.name)) {
      setError(`${f.name} is not a CSV or JSONL file: choose a .csv, .jsonl or .ndjson file`);
      return;
    }
    if (f.size > IMPORT_MAX_BYTES) {
      setError(
        `${f.name} is ${formatBytes(f.size)}; the limit is ${formatBytes(IMPORT_MAX_BYTES)}: split it into smaller files`,
      );
      return;
    }
    setBusy(true);
    try {
      setReport((await send(f, "validate")).report);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  async function doImport(acceptValid: boolean) {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const out = await send(file, "import", acceptValid);
      setNotice(
        `Imported ${out.imported ?? 0} prompt(s) from ${file.name}` +
          (acceptValid ? `; ${out.report.totalRows - (out.imported ?? 0)} row(s) left out.` : "."),
      );
      setReport(null);
      setFile(null);
      if (input.current) input.current.value = "";
      onImported();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  const clean = report && report.problems.length === 0;
  return (
    <section
      aria-labelledby="import-title"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="import-title" className="font-medium">
        Import prompts
      </h2>
      <p className="text-sm text-slate-600">
        A CSV with a header row, or JSONL (one JSON object a line), up to{" "}
        {formatBytes(IMPORT_MAX_BYTES)}. Fields: <code>text</code> (required),{" "}
        <code>taskCategory</code>, <code>riskCategory</code>, <code>isSafety</code>,{" "}
        <code>adversarial</code> (true/false), <code>tags</code> (a list; in CSV separated by{" "}
        <code>;</code>), <code>curriculumOrder</code> (a whole number; lower comes first). The file
        is checked first; nothing is imported until you confirm.
      </p>
      <label className="block text-sm">
        Prompts file
        <input
          ref={input}
          type="file"
          accept={[...IMPORT_EXTENSIONS, "text/csv", "application/x-ndjson"].join(",")}
          onChange={(e) => void check(e.target.files?.[0] ?? null)}
          className="mt-1 block text-sm"
        />
      </label>
      {busy && <p className="text-sm text-slate-600">Working…</p>}
      {error && (
        <p
          role="alert"
          data-testid="import-error"
          className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800"
        >
          {error}
        </p>
      )}
      {notice && (
        <p
          data-testid="import-notice"
          className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800"
        >
          {notice}
        </p>
      )}
      {report && (
        <div data-testid="import-report" className="space-y-3">
          <p className="text-sm">
            <strong>{report.fileName}</strong> ({report.format.toUpperCase()}): {report.totalRows}{" "}
            row(s), <span data-testid="import-valid">{report.validRows} valid</span>,{" "}
            {report.problems.length} problem(s)
            {report.duplicateRows > 0 && `, ${report.duplicateRows} duplicate(s) left out`}.
          </p>
          {report.problems.length > 0 && (
            <DataTable testId="import-problems" headers={["Row", "Field", "Problem"]}>
              {report.problems.map((p, i) => (
                <tr key={i} className="border-t border-slate-100">
                  <td className="px-4 py-1.5 tabular-nums">{p.row}</td>
                  <td className="px-4 py-1.5 font-mono text-xs">{p.field}</td>
                  <td className="px-4 py-1.5">{p.problem}</td>
                </tr>
              ))}
            </DataTable>
          )}
          {report.preview.length > 0 && (
            <details className="text-sm">
              <summary className="cursor-pointer text-slate-700">
                First valid rows ({report.preview.length} of {report.validRows})
              </summary>
              <ul className="mt-2 list-disc pl-6">
                {report.preview.map((p) => (
                  <li key={p.row}>
                    row {p.row}: {p.text}
                    {p.tags.length > 0 && (
                      <span className="text-slate-500"> [{p.tags.join(", ")}]</span>
                    )}
                    {p.isSafety && <span className="text-amber-700"> safety</span>}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <div className="flex flex-wrap items-center gap-3">
            {clean && report.validRows > 0 && (
              <button
                disabled={busy}
                onClick={() => void doImport(false)}
                className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
              >
                Import {report.validRows} rows
              </button>
            )}
            {!clean && report.validRows > 0 && (
              <>
                <button
                  disabled={busy}
                  onClick={() => void doImport(true)}
                  className="rounded-md bg-amber-600 px-4 py-2 text-sm font-medium text-white hover:bg-amber-700 disabled:opacity-60"
                >
                  Import {report.validRows} valid rows
                </button>
                <span className="text-sm text-slate-600">
                  The rows listed above are left out. Or fix the file and choose it again.
                </span>
              </>
            )}
            {report.validRows === 0 && (
              <span className="text-sm text-slate-700">
                No row can be imported: fix the problems and choose the file again.
              </span>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
