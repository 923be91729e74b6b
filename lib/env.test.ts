import { describe, expect, it } from "vitest";
import { describeEnvErrors, ZServerEnv } from "@/lib/env";

describe("environment", () => {
  it("names every bad variable", () => {
    const r = ZServerEnv.safeParse({
      DATABASE_URL: "mysql://x",
      BETTER_AUTH_SECRET: "short",
      ENGINE_URL: "nope",
    });
    expect(r.success).toBe(false);
    const text = describeEnvErrors(r.error!);
    expect(text).toContain("DATABASE_URL: must start with postgres:// or postgresql://");
    expect(text).toContain("BETTER_AUTH_SECRET: must be at least 32 characters");
    expect(text).toContain("ENGINE_URL");
  });
  it("fills defaults for a minimal valid environment", () => {
    const r = ZServerEnv.parse({
      DATABASE_URL: "postgres://u@127.0.0.1:5432/db",
      BETTER_AUTH_SECRET: "x".repeat(32),
    });
    expect(r.PAIRWISE_DATA_DIR).toBe("data");
    expect(r.ENGINE_URL).toBe("http://127.0.0.1:8710");
  });
});
