// Issue 18, finding 6: the public health check does not hand out the database's error text.
import { describe, expect, it, vi } from "vitest";

describe("/api/healthz", () => {
  it('answers 503 "database unreachable" and logs the detail', async () => {
    process.env.DATABASE_URL = "postgres://secret-user@127.0.0.1:1/secret-db";
    process.env.BETTER_AUTH_SECRET ??= "healthz-secret-healthz-secret-healthz-0123";
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const { GET } = await import("@/app/api/healthz/route");
    const res = await GET();
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ ok: false, database: "database unreachable" });
    expect(text).not.toMatch(/secret|127\.0\.0\.1|ECONNREFUSED/);
    expect(log).toHaveBeenCalled();
  });
});
