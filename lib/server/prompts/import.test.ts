// Prompt files: the CSV reader (quotes, escaped quotes, line breaks in quotes, broken quoting)
// and the validation report (row, field, problem) for CSV and JSONL, duplicates included.
import { describe, expect, it } from "vitest";
import { canonicalField, parseCsv, validatePromptFile } from "./import";

describe("parseCsv", () => {
  it("reads quoted fields with commas, escaped quotes and line breaks, CRLF or LF", () => {
    const csv = '\ufefftext,tags\r\n"Say ""hi"", then stop",a;b\r\n"two\nlines",\nplain,"x"\n\n';
    const { records, errors } = parseCsv(csv);
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { row: 1, cells: ["text", "tags"] },
      { row: 2, cells: ['Say "hi", then stop', "a;b"] },
      { row: 3, cells: ["two\nlines", ""] },
      { row: 4, cells: ["plain", "x"] },
    ]);
  });

  it("numbers rows as a spreadsheet does: a blank line is a row, a quoted line break is not", () => {
    const { records } = parseCsv('text\n\n"a\nb"\r\n\r\nc\n');
    expect(records).toEqual([
      { row: 1, cells: ["text"] },
      { row: 3, cells: ["a\nb"] },
      { row: 5, cells: ["c"] },
    ]);
  });

  it("keeps an empty quoted field and a last line without a newline", () => {
    expect(parseCsv('a,b\n"",x').records[1]).toEqual({ row: 2, cells: ["", "x"] });
  });

  it("reports a field that goes on after its closing quote, and an unclosed quote", () => {
    const { records, errors } = parseCsv('text\n"ok"\n"bad"x\n"never closed\nmore');
    expect(records.map((r) => r.row)).toEqual([1, 2]);
    expect(errors).toEqual([
      { row: 3, field: "(row)", problem: expect.stringContaining("after a closing quote") },
      { row: 4, field: "(row)", problem: expect.stringContaining("never closed") },
    ]);
  });
});

describe("canonicalField", () => {
  it("matches snake_case, spaces and any case; unknown names are null", () => {
    expect(canonicalField("is_safety")).toBe("isSafety");
    expect(canonicalField(" Curriculum Order ")).toBe("curriculumOrder");
    expect(canonicalField("TEXT")).toBe("text");
    expect(canonicalField("prompt")).toBeNull();
  });
});

describe("validatePromptFile", () => {
  it("accepts a clean CSV and types its cells", () => {
    const csv = [
      "text,task_category,risk_category,is_safety,adversarial,tags,curriculum_order",
      '"How do I pick a lock?",request,intrusion,yes,0,"safety; intrusion ;safety",3',
      "What is 2 + 2?,arithmetic,,,,,",
    ].join("\n");
    const out = validatePromptFile("p.csv", csv);
    expect(out.problems).toEqual([]);
    expect(out.totalRows).toBe(2);
    expect(out.rows).toEqual([
      {
        row: 2,
        data: {
          text: "How do I pick a lock?",
          taskCategory: "request",
          riskCategory: "intrusion",
          isSafety: true,
          adversarial: false,
          tags: ["safety", "intrusion"],
          curriculumOrder: 3,
        },
      },
      {
        row: 3,
        data: {
          text: "What is 2 + 2?",
          taskCategory: "arithmetic",
          isSafety: false,
          adversarial: false,
          tags: [],
        },
      },
    ]);
  });

  it("reports every bad CSV row by row and field, and keeps the good ones", () => {
    const long = "x".repeat(4001);
    const csv = [
      "text,is_safety,curriculum_order,colour",
      "fine,true,1,red",
      '"  ",false,2,',
      `${long},false,3,`,
      "maybe safe,perhaps,4,",
      "fractional,false,1.5,",
      "negative,false,-2,",
      "short row,false",
    ].join("\n");
    const out = validatePromptFile("p.csv", csv);
    expect(out.rows.map((r) => r.row)).toEqual([2]);
    expect(out.totalRows).toBe(7);
    expect(out.problems).toEqual([
      { row: 1, field: "colour", problem: expect.stringContaining("is not a prompt field") },
      { row: 3, field: "text", problem: "is empty" },
      { row: 4, field: "text", problem: "is too long (at most 4000 characters)" },
      { row: 5, field: "isSafety", problem: "must be true or false" },
      { row: 6, field: "curriculumOrder", problem: "must be a whole number" },
      { row: 7, field: "curriculumOrder", problem: "must be 0 or more" },
      { row: 8, field: "(row)", problem: "has 2 values; the header has 4 columns" },
    ]);
  });

  it("refuses a CSV without a text column", () => {
    const out = validatePromptFile("p.csv", "prompt,tags\nhello,a\n");
    expect(out.rows).toEqual([]);
    expect(out.problems).toContainEqual({
      row: 1,
      field: "text",
      problem: "the header has no text column, so no row can be imported",
    });
  });

  it("reports JSONL rows that are not JSON, not objects, mistyped or with unknown fields", () => {
    const jsonl = [
      '{"text": "ok one", "tags": ["a"], "is_safety": false, "curriculumOrder": 2}',
      "",
      "{not json",
      "[1, 2]",
      '{"text": 5}',
      '{"text": "t", "tags": "a;b", "isSafety": "yes"}',
      '{"text": "u", "mood": "happy", "riskCategory": null}',
      '{"taskCategory": "x"}',
    ].join("\n");
    const out = validatePromptFile("p.jsonl", jsonl);
    expect(out.totalRows).toBe(7);
    expect(out.rows.map((r) => [r.row, r.data.text])).toEqual([[1, "ok one"]]);
    expect(out.problems).toEqual([
      { row: 3, field: "(row)", problem: expect.stringMatching(/^is not valid JSON/) },
      { row: 4, field: "(row)", problem: expect.stringContaining("must be a JSON object") },
      { row: 5, field: "text", problem: "is required" },
      { row: 6, field: "isSafety", problem: "must be true or false" },
      { row: 6, field: "tags", problem: "must be a list of text tags" },
      { row: 7, field: "mood", problem: expect.stringContaining("is not a prompt field") },
      { row: 8, field: "text", problem: "is required" },
    ]);
  });

  it("reports duplicates in the file and against stored prompts, ignoring case and spacing", () => {
    const jsonl = [
      '{"text": "What is 17 + 25?"}',
      '{"text": "what is  17 + 25?"}',
      '{"text": "Already  there"}',
      '{"text": "new"}',
    ].join("\n");
    const out = validatePromptFile("p.ndjson", jsonl, new Map([["already there", "p_1"]]));
    expect(out.rows.map((r) => r.row)).toEqual([1, 4]);
    expect(out.duplicateRows).toBe(2);
    expect(out.problems).toEqual([
      { row: 2, field: "text", problem: "duplicates row 1; only the first is imported" },
      { row: 3, field: "text", problem: "is already a prompt (p_1); the row is skipped" },
    ]);
  });

  it("refuses other file types and files with too many rows", () => {
    expect(() => validatePromptFile("prompts.xlsx", "x")).toThrow(/not a CSV or JSONL file/);
    const many = ["text", ...Array.from({ length: 10_001 }, (_, i) => `p${i}`)].join("\n");
    const out = validatePromptFile("big.csv", many);
    expect(out.rows).toEqual([]);
    expect(out.problems).toEqual([
      { row: 1, field: "(file)", problem: expect.stringContaining("the limit is 10000") },
    ]);
  });

  it("says an empty file is empty", () => {
    expect(validatePromptFile("e.csv", "").problems[0]?.problem).toMatch(/empty/);
    expect(validatePromptFile("e.jsonl", "\n\n").problems[0]?.problem).toMatch(/empty/);
  });
});
