import "server-only";
// Prompt import from CSV or JSONL: parse, validate each row with zod, find duplicates (same text,
// ignoring case and runs of whitespace; within the file and against the prompts already stored),
// and report every problem as (row, field, problem). Nothing is written from a file with problems
// unless the caller accepts its valid rows explicitly.
import { z } from "zod";
import { prisma } from "@/lib/db";
import { writeAudit } from "@/lib/server/audit/write-audit";
import { DomainError } from "@/lib/server/errors";
import {
  CURRICULUM_ORDER_MAX,
  IMPORT_FIELDS,
  IMPORT_MAX_BYTES,
  IMPORT_MAX_ROWS,
  PROMPT_CATEGORY_MAX,
  PROMPT_TAG_MAX,
  PROMPT_TAGS_MAX,
  PROMPT_TEXT_MAX,
  formatBytes,
  importFormatOf,
  type TImportFormat,
  type TImportProblem,
  type TImportReport,
} from "@/lib/shared/prompt-import";

// ───────────────────────────── CSV (RFC 4180) ─────────────────────────────

export type TCsvRecord = { row: number; cells: string[] };

/**
 * Splits CSV text into records: comma-separated, fields optionally in double quotes, `""` inside
 * quotes is a quote, quoted fields may hold commas and line breaks; CRLF or LF; a leading BOM is
 * dropped. `row` counts records from 1 (the header), as a spreadsheet numbers them (a blank line
 * is a row, and is skipped; a quoted line break does not start a row).
 */
export function parseCsv(input: string): { records: TCsvRecord[]; errors: TImportProblem[] } {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const n = text.length;
  const records: TCsvRecord[] = [];
  const errors: TImportProblem[] = [];
  const delimiter = /[,\r\n]/g;
  let cells: string[] = [];
  let row = 1;
  let badRow = false;
  let i = 0;
  // Whole runs are sliced out (indexOf, a regex search from lastIndex), not copied a character
  // at a time: a 5 MB file is parsed in tens of milliseconds.
  while (i < n || cells.length > 0) {
    let value: string;
    if (text[i] === '"') {
      value = "";
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) {
          errors.push({
            row,
            field: "(row)",
            problem: 'a quoted field is never closed (missing " before the end of the file)',
          });
          return { records, errors };
        }
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
        if (!badRow)
          errors.push({
            row,
            field: "(row)",
            problem: `unexpected character ${JSON.stringify(text[i])} after a closing quote; quote the whole field and write a quote inside it as ""`,
          });
        badRow = true;
        delimiter.lastIndex = i;
        const m = delimiter.exec(text);
        i = m ? m.index : n;
      }
    } else {
      delimiter.lastIndex = i;
      const m = delimiter.exec(text);
      const stop = m ? m.index : n;
      value = text.slice(i, stop);
      i = stop;
    }
    cells.push(value);
    if (i < n && text[i] === ",") {
      i += 1;
      continue;
    }
    // End of the record: a line break or the end of the file.
    if (i < n) i += text[i] === "\r" && text[i + 1] === "\n" ? 2 : 1;
    const blank = cells.length === 1 && cells[0] === "";
    if (!blank && !badRow) records.push({ row, cells });
    row += 1;
    cells = [];
    badRow = false;
  }
  return { records, errors };
}

// ───────────────────────────── one row ─────────────────────────────

const ZFlagField = z.boolean({ error: "must be true or false" }).default(false);
const ZCategory = z
  .string({ error: "must be text" })
  .trim()
  .max(PROMPT_CATEGORY_MAX, `is too long (at most ${PROMPT_CATEGORY_MAX} characters)`)
  .transform((s) => (s === "" ? undefined : s))
  .optional();
const ZTag = z
  .string({ error: "must be a list of text tags" })
  .trim()
  .min(1, "has an empty tag")
  .max(PROMPT_TAG_MAX, `has a tag longer than ${PROMPT_TAG_MAX} characters`)
  .regex(/^[^,;|\n\r]+$/, "has a tag with a comma, semicolon, bar or line break");

/** A valid prompt row; every message completes "<field> …". */
export const ZImportPrompt = z.strictObject({
  text: z
    .string({ error: "is required" })
    .trim()
    .min(1, "is empty")
    .max(PROMPT_TEXT_MAX, `is too long (at most ${PROMPT_TEXT_MAX} characters)`),
  taskCategory: ZCategory,
  riskCategory: ZCategory,
  isSafety: ZFlagField,
  adversarial: ZFlagField,
  tags: z
    .array(ZTag, { error: "must be a list of text tags" })
    .max(PROMPT_TAGS_MAX, `has more than ${PROMPT_TAGS_MAX} tags`)
    .transform((tags) => [...new Set(tags)])
    .default([]),
  curriculumOrder: z
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(0, "must be 0 or more")
    .max(CURRICULUM_ORDER_MAX, `must be at most ${CURRICULUM_ORDER_MAX}`)
    .optional(),
});
export type TImportPrompt = z.output<typeof ZImportPrompt>;

const FIELD_BY_KEY = new Map<string, string>(
  IMPORT_FIELDS.map((f) => [f.toLowerCase(), f as string]),
);
/** `is_safety`, `IsSafety`, `is safety` → `isSafety`; unknown names → null. */
export function canonicalField(name: string): string | null {
  return (
    FIELD_BY_KEY.get(
      name
        .trim()
        .toLowerCase()
        .replace(/[\s_-]/g, ""),
    ) ?? null
  );
}

const TRUE = new Set(["true", "yes", "y", "1"]);
const FALSE = new Set(["false", "no", "n", "0"]);

/** CSV cells are text: turn them into the types the schema wants where they clearly are. */
function coerceCsvCell(field: string, value: string): unknown {
  const v = value.trim();
  switch (field) {
    case "isSafety":
    case "adversarial":
      if (v === "") return undefined;
      if (TRUE.has(v.toLowerCase())) return true;
      if (FALSE.has(v.toLowerCase())) return false;
      return value;
    case "tags":
      return v === "" ? [] : v.split(/[;|]/).map((t) => t.trim());
    case "curriculumOrder":
      if (v === "") return undefined;
      return /^[+-]?\d+(\.\d+)?$/.test(v) ? Number(v) : value;
    default:
      return value;
  }
}

function validateRow(
  row: number,
  raw: Record<string, unknown>,
  problems: TImportProblem[],
): TImportPrompt | null {
  const parsed = ZImportPrompt.safeParse(raw);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        problems.push({
          row,
          field: key,
          problem: `is not a prompt field (use ${IMPORT_FIELDS.join(", ")})`,
        });
    } else {
      problems.push({ row, field: String(issue.path[0] ?? "(row)"), problem: issue.message });
    }
  }
  return null;
}

// ───────────────────────────── a whole file ─────────────────────────────

export type TValidRow = { row: number; data: TImportPrompt };
export type TParsedFile = {
  format: TImportFormat;
  totalRows: number;
  rows: TValidRow[];
  problems: TImportProblem[];
};

function parseCsvFile(text: string): TParsedFile {
  const { records, errors } = parseCsv(text);
  const problems = [...errors];
  const rows: TValidRow[] = [];
  const header = records[0];
  if (!header) {
    problems.push({ row: 1, field: "(file)", problem: "the file is empty: no header row" });
    return { format: "csv", totalRows: 0, rows, problems };
  }
  const columns = header.cells.map((name) => canonicalField(name));
  header.cells.forEach((name, i) => {
    if (columns[i] === null)
      problems.push({
        row: header.row,
        field: name.trim() || `column ${i + 1}`,
        problem: `is not a prompt field; the column is ignored (use ${IMPORT_FIELDS.join(", ")})`,
      });
    else if (columns.indexOf(columns[i]!) !== i)
      problems.push({
        row: header.row,
        field: name,
        problem: "appears twice in the header; the first one is used",
      });
  });
  const data = records.slice(1);
  if (!columns.includes("text")) {
    problems.push({
      row: header.row,
      field: "text",
      problem: "the header has no text column, so no row can be imported",
    });
    return { format: "csv", totalRows: data.length, rows, problems };
  }
  for (const rec of data) {
    if (rec.cells.length !== header.cells.length) {
      problems.push({
        row: rec.row,
        field: "(row)",
        problem: `has ${rec.cells.length} values; the header has ${header.cells.length} columns`,
      });
      continue;
    }
    const raw: Record<string, unknown> = {};
    rec.cells.forEach((value, i) => {
      const field = columns[i];
      if (!field || field in raw) return;
      const v = coerceCsvCell(field, value);
      if (v !== undefined) raw[field] = v;
    });
    const ok = validateRow(rec.row, raw, problems);
    if (ok) rows.push({ row: rec.row, data: ok });
  }
  const badRows = new Set(errors.map((e) => e.row));
  return {
    format: "csv",
    totalRows: data.length + [...badRows].filter((r) => r > 1).length,
    rows,
    problems,
  };
}

function parseJsonlFile(text: string): TParsedFile {
  const problems: TImportProblem[] = [];
  const rows: TValidRow[] = [];
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
  let totalRows = 0;
  lines.forEach((line, i) => {
    const row = i + 1;
    if (line.trim() === "") return;
    totalRows += 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      problems.push({ row, field: "(row)", problem: `is not valid JSON (${why})` });
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push({ row, field: "(row)", problem: 'must be a JSON object like {"text": …}' });
      return;
    }
    const raw: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const field = canonicalField(key) ?? key;
      if (v !== null) raw[field] = v;
    }
    const ok = validateRow(row, raw, problems);
    if (ok) rows.push({ row, data: ok });
  });
  if (totalRows === 0)
    problems.push({ row: 1, field: "(file)", problem: "the file is empty: no rows" });
  return { format: "jsonl", totalRows, rows, problems };
}

/** Same text for duplicate detection: case and runs of whitespace do not count. */
export function normalizeText(text: string): string {
  return text.trim().replace(/\s+/g, " ").toLowerCase();
}

/**
 * Parses and validates a file's text. `existing` maps the normalized texts already stored to a
 * prompt id (see `storedDuplicates`). Rows whose text is a duplicate are not valid.
 */
export function validatePromptFile(
  fileName: string,
  text: string,
  existing: ReadonlyMap<string, string> = new Map(),
): TParsedFile & { duplicateRows: number } {
  const format = importFormatOf(fileName);
  if (!format) throw new DomainError("BAD_REQUEST", unsupportedTypeMessage(fileName));
  const parsed = format === "csv" ? parseCsvFile(text) : parseJsonlFile(text);
  if (parsed.totalRows > IMPORT_MAX_ROWS) {
    return {
      ...parsed,
      rows: [],
      duplicateRows: 0,
      problems: [
        {
          row: 1,
          field: "(file)",
          problem: `has ${parsed.totalRows} rows; the limit is ${IMPORT_MAX_ROWS} per file: split it`,
        },
      ],
    };
  }
  const seen = new Map<string, number>();
  const rows: TValidRow[] = [];
  let duplicateRows = 0;
  for (const r of parsed.rows) {
    const key = normalizeText(r.data.text);
    const earlier = seen.get(key);
    const stored = existing.get(key);
    if (earlier !== undefined) {
      parsed.problems.push({
        row: r.row,
        field: "text",
        problem: `duplicates row ${earlier}; only the first is imported`,
      });
      duplicateRows += 1;
    } else if (stored !== undefined) {
      parsed.problems.push({
        row: r.row,
        field: "text",
        problem: `is already a prompt (${stored}); the row is skipped`,
      });
      duplicateRows += 1;
      seen.set(key, r.row);
    } else {
      seen.set(key, r.row);
      rows.push(r);
    }
  }
  parsed.problems.sort((a, b) => a.row - b.row);
  return { ...parsed, rows, duplicateRows };
}

export function unsupportedTypeMessage(fileName: string): string {
  return `${fileName || "This file"} is not a CSV or JSONL file: upload a .csv, .jsonl or .ndjson file`;
}

export function tooBigMessage(bytes: number): string {
  return `The file is ${formatBytes(bytes)}; the limit is ${formatBytes(IMPORT_MAX_BYTES)}: split it into smaller files`;
}

type TDb = Pick<typeof prisma, "$queryRaw">;

/** Stored prompts whose normalized text is one of `texts`: normalized text → prompt id. */
export async function storedDuplicates(db: TDb, texts: string[]): Promise<Map<string, string>> {
  const keys = [...new Set(texts.map(normalizeText))];
  if (keys.length === 0) return new Map();
  // A hash join against the keys, not `= ANY(array)` (that compares every row with every key).
  const found = await db.$queryRaw<{ id: string; key: string }[]>`
    SELECT p.id, k.key
    FROM prompt p
    JOIN unnest(${keys}::text[]) AS k(key)
      ON lower(btrim(regexp_replace(p.text, '\\s+', ' ', 'g'))) = k.key`;
  return new Map(found.map((f) => [f.key, f.id]));
}

/** Parses, validates, and checks the valid rows' texts against the stored prompts. */
async function analyse(db: TDb, fileName: string, text: string) {
  const first = validatePromptFile(fileName, text);
  if (first.rows.length === 0) return first;
  const existing = await storedDuplicates(
    db,
    first.rows.map((r) => r.data.text),
  );
  return validatePromptFile(fileName, text, existing);
}

export function toReport(
  fileName: string,
  parsed: ReturnType<typeof validatePromptFile>,
): TImportReport {
  return {
    fileName,
    format: parsed.format,
    totalRows: parsed.totalRows,
    validRows: parsed.rows.length,
    duplicateRows: parsed.duplicateRows,
    problems: parsed.problems.slice(0, 1000),
    preview: parsed.rows.slice(0, 5).map((r) => ({
      row: r.row,
      text: r.data.text.slice(0, 200),
      tags: r.data.tags,
      isSafety: r.data.isSafety,
    })),
  };
}

/** Validates a file against the stored prompts and returns the report; writes nothing. */
export async function checkPromptFile(fileName: string, text: string): Promise<TImportReport> {
  return toReport(fileName, await analyse(prisma, fileName, text));
}

/**
 * Imports a file's valid rows as prompts (source "import"). A file with problems is refused
 * unless `acceptValid`; then only its valid rows are written. The check and the writes run in one
 * transaction under an advisory lock (two imports of one file cannot both add its rows), and the
 * import is audited with its counts, not its content.
 */
export async function importPromptFile(
  actorId: string,
  fileName: string,
  text: string,
  opts: { acceptValid: boolean },
): Promise<{ report: TImportReport; imported: number }> {
  const result = await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('pairwise.prompt-import'))`;
      const parsed = await analyse(tx, fileName, text);
      const report = toReport(fileName, parsed);
      if (report.problems.length > 0 && !opts.acceptValid)
        throw new DomainError(
          "CONFLICT",
          `The file has ${report.problems.length} problem(s); nothing was imported. Accept the ${report.validRows} valid row(s) to import them.`,
        );
      if (report.validRows === 0)
        throw new DomainError("BAD_REQUEST", "The file has no valid rows; nothing was imported.");
      const { count } = await tx.prompt.createMany({
        data: parsed.rows.map(({ data }) => ({
          text: data.text,
          taskCategory: data.taskCategory ?? null,
          riskCategory: data.riskCategory ?? null,
          isSafety: data.isSafety,
          adversarial: data.adversarial,
          tags: data.tags,
          curriculumOrder: data.curriculumOrder ?? null,
          source: "import" as const,
          authorId: actorId,
        })),
      });
      return { report, imported: count };
      // 10,000 rows take seconds on the embedded database: more than the 5 s default.
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
  await writeAudit({
    actorId,
    action: "prompts.import",
    targetType: "prompts",
    details: {
      fileName,
      format: result.report.format,
      totalRows: result.report.totalRows,
      imported: result.imported,
      problems: result.report.problems.length,
      duplicateRows: result.report.duplicateRows,
      acceptedValidRows: result.report.problems.length > 0,
    },
  });
  return result;
}
