// Issue 18, finding 4: query values that parse but overflow PostgreSQL's range, and "__proto__",
// are 400s that name the parameter (they were 500s, or accepted).
import { describe, expect, it } from "vitest";
import { parseQuery } from "@/lib/server/export/http";
import { decodeCursor, encodeCursor } from "@/lib/server/export/query";
import { ZExportQuery } from "@/lib/shared/export";

async function answer(query: string) {
  const out = parseQuery(new URL(`http://x/api/v1/comparisons?${query}`), ZExportQuery);
  if ("data" in out) return { status: 200, parameter: null };
  const body = (await out.response.json()) as { error: { parameter?: string; message: string } };
  return { status: out.response.status, parameter: body.error.parameter ?? null };
}

describe("export query parameters", () => {
  it("refuses __proto__ and other unknown parameters", async () => {
    expect(await answer("__proto__=1")).toEqual({ status: 400, parameter: "__proto__" });
    expect(await answer("constructor=1")).toEqual({ status: 400, parameter: "constructor" });
    expect(await answer("format=trl")).toEqual({ status: 200, parameter: null });
  });

  it("refuses dates outside 0001-01-01 .. 9999-12-31 after their offset", async () => {
    expect(await answer("from=0001-01-01T00:00:00%2B14:00")).toEqual({
      status: 400,
      parameter: "from",
    });
    expect(await answer("to=0001-01-01T00:00:00Z")).toEqual({ status: 200, parameter: null });
    expect(await answer("to=9999-12-31T23:59:59-01:00")).toEqual({ status: 400, parameter: "to" });
  });

  it("does not take an overflowing cursor for one of its own", () => {
    const overflow = Buffer.from("999999999999999.abc").toString("base64url");
    expect(decodeCursor(overflow)).toBeNull();
    const ok = { createdAt: new Date("2026-01-01T00:00:00Z"), id: "abc" };
    expect(decodeCursor(encodeCursor(ok))).toEqual(ok);
  });
});
