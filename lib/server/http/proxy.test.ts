// Issue 18, finding 4: TRACE (and TRACK, CONNECT) on any path is a 405, not Next's bare 500.
import type { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { config, proxy } from "@/proxy";

// fetch's Request refuses to build a TRACE request, so the proxy gets what it reads.
const req = (method: string, path: string) =>
  ({ method, nextUrl: new URL(`http://127.0.0.1:3000${path}`) }) as unknown as NextRequest;

describe("proxy", () => {
  it("refuses TRACE on pages and on every API route", () => {
    for (const path of [
      "/",
      "/admin/rounds",
      "/api/healthz",
      "/api/auth/get-session",
      "/api/trpc/me.get",
      "/api/v1/comparisons",
    ])
      for (const method of ["TRACE", "TRACK", "CONNECT"])
        expect([path, method, proxy(req(method, path)).status]).toEqual([path, method, 405]);
  });

  it("lets ordinary methods through to pages", () => {
    expect(proxy(req("GET", "/admin")).headers.get("x-middleware-next")).toBe("1");
    expect(proxy(req("POST", "/api/auth/sign-in/email")).headers.get("x-middleware-next")).toBe(
      "1",
    );
  });

  it("runs on every path but Next's static files", () => {
    const matcher = new RegExp(`^${config.matcher[0]!}$`);
    expect(matcher.test("/admin/rounds")).toBe(true);
    expect(matcher.test("/api/healthz")).toBe(true);
    expect(matcher.test("/_next/static/chunk.js")).toBe(false);
  });
});
