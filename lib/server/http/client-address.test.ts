// Issue 18, finding 6: the per-IP limits trust X-Forwarded-For only as far as
// PAIRWISE_TRUSTED_PROXIES says; by default the socket address decides.
import { describe, expect, it } from "vitest";
import { clientAddress } from "@/lib/server/http/client-address";
import { ZServerEnv } from "@/lib/env";

describe("clientAddress", () => {
  it("ignores a client-sent X-Forwarded-For with no trusted proxy", () => {
    expect(clientAddress("10.0.0.9", "1.2.3.4", 0)).toBe("10.0.0.9");
    expect(clientAddress(undefined, "1.2.3.4", 0)).toBe("unknown");
  });

  it("takes the address the outermost trusted proxy saw", () => {
    // forged by the client, then appended by proxy 1 (the client), proxy 2 (proxy 1)
    expect(clientAddress("10.0.0.2", "6.6.6.6, 203.0.113.7", 1)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", "6.6.6.6, 203.0.113.7, 10.0.0.1", 2)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", "203.0.113.7", 3)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", undefined, 1)).toBe("10.0.0.2");
  });

  it("PAIRWISE_TRUSTED_PROXIES defaults to 0 and must be a whole number", () => {
    const field = ZServerEnv.shape.PAIRWISE_TRUSTED_PROXIES;
    expect(field.parse(undefined)).toBe(0);
    expect(field.parse("2")).toBe(2);
    for (const bad of ["-1", "1.5", "many", "11"]) expect(field.safeParse(bad).success).toBe(false);
  });
});
