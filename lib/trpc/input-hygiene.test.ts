// Input hygiene at the tRPC layer: unknown keys anywhere in an input are refused (every object
// schema is strict unless it declares a catchall), and so is text PostgreSQL cannot store.
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { hasBadText } from "@/lib/shared/text";

let init: typeof import("@/lib/trpc/init");
let root: typeof import("@/lib/trpc/root");
beforeAll(async () => {
  process.env.BETTER_AUTH_SECRET ??= "input-hygiene-secret-input-hygiene-secret-01";
  init = await import("@/lib/trpc/init");
  root = await import("@/lib/trpc/root");
});

describe("unknown keys", () => {
  it("are found at any depth, through optional, default, pipe, array, record and union", () => {
    const schema = z.object({
      a: z.object({ b: z.array(z.object({ c: z.number() })) }).optional(),
      d: z.record(z.string(), z.object({ e: z.string() })).default({}),
      f: z.union([z.object({ g: z.string() }), z.object({ h: z.string() })]).optional(),
      p: z.string().pipe(z.string()).optional(),
      loose: z.looseObject({}).optional(),
    });
    expect(init.unknownKey(schema, { a: { b: [{ c: 1 }] } })).toBeNull();
    expect(init.unknownKey(schema, { zz: 1 })).toBe("zz");
    expect(init.unknownKey(schema, { a: { b: [{ c: 1 }, { c: 2, x: 1 }] } })).toBe("a.b.1.x");
    expect(init.unknownKey(schema, { d: { k: { e: "v", y: 2 } } })).toBe("d.k.y");
    expect(init.unknownKey(schema, { f: { h: "ok" } })).toBeNull();
    expect(init.unknownKey(schema, { f: { g: "ok", q: 1 } })).toBe("f.q");
    expect(init.unknownKey(schema, { loose: { anything: 1 } })).toBeNull();
    expect(init.unknownKey(schema, { ["x\u0000"]: 1 })).toBe("x?");
  });

  it("are refused by every procedure whose input is an object", () => {
    const procedures = root.appRouter._def.procedures as unknown as Record<
      string,
      { _def: { inputs: unknown[] } }
    >;
    const accepting = Object.entries(procedures)
      .filter(([, p]) => p._def.inputs.length > 0)
      .filter(([, p]) => p._def.inputs.every((s) => init.unknownKey(s, { __extra: 1 }) === null))
      .map(([path]) => path);
    expect(accepting).toEqual([]);
  });
});

describe("text PostgreSQL cannot store", () => {
  it("finds NUL and unpaired surrogates in values and keys", () => {
    expect(hasBadText({ a: ["ok", { b: "x\u0000" }] })).toBe("a.1.b");
    expect(hasBadText({ ["x\u0000"]: 1 })).toBe("x\\u0000");
    expect(hasBadText({ n: "\ud800" })).toBe("n");
    expect(hasBadText({ n: "a\udc00b" })).toBe("n");
    expect(hasBadText({ n: "😀 \ud83d\ude00" })).toBeNull();
    expect(hasBadText("plain")).toBeNull();
  });
});
