import { describe, expect, it } from "vitest";
import { normaliseWhitespace, sameResponses } from "./pairs";

describe("sameResponses", () => {
  it("treats whitespace differences as the same response", () => {
    expect(sameResponses("The answer  is 4.", " The answer is\n4. ")).toBe(true);
    expect(sameResponses("a\tb", "a b")).toBe(true);
    expect(normaliseWhitespace("  x \r\n y  ")).toBe("x y");
  });

  it("keeps different words, punctuation and case apart by default", () => {
    expect(sameResponses("The answer is 4.", "The answer is 5.")).toBe(false);
    expect(sameResponses("Paris.", "Paris")).toBe(false);
    expect(sameResponses("Paris", "paris")).toBe(false);
    // Non-ASCII spaces are content, as in PostgreSQL's \s (the migration's rule).
    expect(sameResponses("a\u00a0b", "a b")).toBe(false);
  });

  it("near-duplicate mode ignores case, punctuation and symbols", () => {
    expect(sameResponses("Paris.", "paris", true)).toBe(true);
    expect(sameResponses("Sure! It's 4.", "sure it s 4", true)).toBe(true);
    expect(sameResponses("It is 4.", "It is 5.", true)).toBe(false);
  });

  it("two empty responses are the same", () => {
    expect(sameResponses("", "  ")).toBe(true);
  });
});
