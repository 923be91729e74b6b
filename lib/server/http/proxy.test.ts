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

describe("the Node.js request screen (instrumentation)", () => {
  type TRes = { status?: number; body?: string };
  const fake = (method: string, url: string) => {
    const out: TRes = {};
    const res = {
      writeHead: (status: number) => void (out.status = status),
      end: (body: string) => void (out.body = body),
    };
    return { req: { method, url, headers: {} }, res, out };
  };

  it("answers TRACE with 405 and __proto__ on the export API with 400, before Next", async () => {
    const { screen } = await import("@/lib/server/http/instrumentation-node");
    const call = (method: string, url: string) => {
      const f = fake(method, url);
      const handled = screen(f.req as never, f.res as never);
      return { handled, status: f.out.status ?? null };
    };
    expect(call("TRACE", "/")).toEqual({ handled: true, status: 405 });
    expect(call("GET", "/api/v1/comparisons?__proto__=1")).toEqual({ handled: true, status: 400 });
    expect(call("GET", "/api/v1/comparisons?format=trl")).toEqual({ handled: false, status: null });
    expect(call("POST", "/api/trpc/x")).toEqual({ handled: false, status: null });
  });
});
