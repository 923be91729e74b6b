// compactJsonb (lines.ts) against JSON.stringify(JSON.parse(…)), which formats.ts writes, on text
// as jsonb prints it.
import { describe, expect, it } from "vitest";
import { compactJsonb } from "./lines";

const cases = [
  "[]",
  "{}",
  '[{"role": "user", "content": "a, b: c"}, {"role": "assistant", "content": ""}]',
  '[{"role": "user", "content": "\\"quoted\\" \\\\ \\n\\t \\u0001 é ✓ 😀 , : [ ] { }"}]',
  '[{"a": true, "b": false, "c": null, "d": [[], {}], "e": "\\\\"}]',
  // Numbers, as written ("1.50") or past 2^53; keys of digits (JavaScript puts them first).
  '[{"n": 1.50, "m": -0.0, "big": 12345678901234567890, "i": 7}]',
  '{"a": "x", "10": "y"}',
  '{"9": "y", "b": {"12": "z"}}',
  '{"09": "y", "1a": "z"}',
];

describe("compactJsonb", () => {
  for (const json of cases)
    it(`writes ${json.slice(0, 40)} as JSON.stringify does`, () => {
      const scratch = Buffer.alloc(json.length * 4);
      const out = compactJsonb(Buffer.from(json), scratch);
      expect(out.toString()).toBe(JSON.stringify(JSON.parse(json)));
    });
});
