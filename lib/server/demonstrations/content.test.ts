// The pure rules of demonstrations: what counts as near-empty, turn order, and which texts are
// the same demonstration (the duplicate hash).
import { describe, expect, it } from "vitest";
import { demonstrationProblem, wordCount } from "@/lib/shared/demonstrations";
import type { TMessage } from "@/lib/shared/protocol";
import { contentHash, signSample, verifySample } from "./content";

const d = (...turns: string[]): TMessage[] =>
  turns.map((content, i) => ({ role: i % 2 ? "assistant" : "user", content }));

describe("demonstration checks", () => {
  it("counts words with a letter or digit", () => {
    expect(wordCount("  The answer is 42 .  ")).toBe(4);
    expect(wordCount("- - ! ?")).toBe(0);
    expect(wordCount("naïve café 東京")).toBe(3);
  });

  it("refuses near-empty replies, naming the turn", () => {
    expect(demonstrationProblem(d("Hi", "ok"))).toBe(
      "Turn 2 (assistant): the reply is nearly empty; write at least 3 words",
    );
    expect(demonstrationProblem(d("Hi", "   "))).toMatch(/^Turn 2 .*nearly empty/);
    expect(demonstrationProblem(d("Hi", "Hello there friend", "More", "no"))).toMatch(
      /^Turn 4 \(assistant\): .*nearly empty/,
    );
    expect(demonstrationProblem(d("Hi", "Hello there friend"))).toBeNull();
  });

  it("needs user first, alternating turns, ending with the assistant", () => {
    expect(demonstrationProblem(d("Hi"))).toMatch(/needs a user turn and the assistant's reply/);
    expect(demonstrationProblem(d("", "Hello there friend"))).toBe("Turn 1 (user) is empty");
    expect(
      demonstrationProblem([
        { role: "assistant", content: "I start" },
        { role: "user", content: "no" },
      ]),
    ).toMatch(/^Turn 1 \(assistant\): turns must alternate/);
    expect(demonstrationProblem(d("a", "one two three", "b"))).toBe(
      "A demonstration ends with the assistant's reply",
    );
  });
});

describe("content hash", () => {
  it("ignores case, spacing and Unicode width, not words or roles", () => {
    const h = contentHash(d("What is 2+2?", "It is four."));
    expect(contentHash(d("  what IS 2+2? ", "It  is\nfour."))).toBe(h);
    expect(contentHash(d("What is 2+2?", "It is four!"))).not.toBe(h);
    expect(contentHash(d("What is 2+2？", "It is four."))).toBe(h); // full-width ？ (NFKC)
    expect(
      contentHash([
        { role: "assistant", content: "What is 2+2?" },
        { role: "user", content: "It is four." },
      ]),
    ).not.toBe(h);
  });
});

describe("sample signatures", () => {
  const claim = {
    annotatorId: "u1",
    context: d("Give me a fruit."),
    text: "banana",
    modelVersionId: "m1",
    sampling: { temperature: 0.7, topP: 0.95, maxTokens: 96, seed: 1 },
  };
  it("verify only the claim that was signed, under the same secret", () => {
    const token = signSample("s".repeat(32), claim);
    expect(verifySample("s".repeat(32), claim, token)).toBe(true);
    expect(verifySample("t".repeat(32), claim, token)).toBe(false);
    expect(verifySample("s".repeat(32), { ...claim, text: "apple" }, token)).toBe(false);
    expect(verifySample("s".repeat(32), { ...claim, context: d("Other?") }, token)).toBe(false);
    expect(verifySample("s".repeat(32), claim, "short")).toBe(false);
  });
});
