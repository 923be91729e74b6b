import { describe, expect, it, vi } from "vitest";

vi.mock("server-only", () => ({}));
vi.mock("@/lib/db", () => ({ prisma: {} }));

describe("audit redaction", () => {
  it("hides secrets by key word, and only secrets", async () => {
    const { isSecretKey, redact } = await import("./write-audit");
    for (const k of ["password", "newPassword", "secret", "apiKey", "access_token", "key"])
      expect(isSecretKey(k)).toBe(true);
    for (const k of ["maxTokens", "keyboard", "tokensPerStep", "passage", "keys"])
      expect(isSecretKey(k)).toBe(false);
    expect(redact({ variants: [{ maxTokens: 128 }], password: "x" })).toEqual({
      variants: [{ maxTokens: 128 }],
      password: "[redacted]",
    });
  });
});
