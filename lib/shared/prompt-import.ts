// Prompt import (CSV or JSONL): the limits the browser checks before uploading and the server
// enforces, and the report the server sends back. Parsing and validation: lib/server/prompts/import.ts.

export const IMPORT_MAX_BYTES = 5 * 1024 * 1024;
export const IMPORT_MAX_ROWS = 10_000;
export const IMPORT_EXTENSIONS = [".csv", ".jsonl", ".ndjson"] as const;
export const PROMPT_TEXT_MAX = 4000;
export const PROMPT_CATEGORY_MAX = 64;
export const PROMPT_TAG_MAX = 40;
export const PROMPT_TAGS_MAX = 20;
export const CURRICULUM_ORDER_MAX = 1_000_000;

/** The fields a row may have; CSV headers and JSON keys also match in snake_case or any case. */
export const IMPORT_FIELDS = [
  "text",
  "taskCategory",
  "riskCategory",
  "isSafety",
  "adversarial",
  "tags",
  "curriculumOrder",
] as const;

export type TImportFormat = "csv" | "jsonl";

/** One problem: `row` is the file's line (JSONL) or spreadsheet row with the header as row 1 (CSV). */
export type TImportProblem = { row: number; field: string; problem: string };

export type TImportReport = {
  fileName: string;
  format: TImportFormat;
  /** Data rows read (header and blank lines not counted). */
  totalRows: number;
  validRows: number;
  /** Rows left out because their text is already a prompt or appears earlier in the file. */
  duplicateRows: number;
  problems: TImportProblem[];
  /** The first valid rows, to show what will be imported. */
  preview: { row: number; text: string; tags: string[]; isSafety: boolean }[];
};

export type TImportResponse =
  | { ok: true; report: TImportReport; imported?: number }
  | { ok: false; error: string; report?: TImportReport };

/** The format of a file by its name, or null when it is not one we import. */
export function importFormatOf(fileName: string): TImportFormat | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  return null;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
