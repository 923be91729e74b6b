// Bad input: well over 1,000 malformed requests to every tRPC procedure (the list and each
// input's JSON Schema come from the router itself, e2e/fixtures/procedures.ts) and to the export
// API, as an admin, an annotator and signed out. Wrong types, missing fields, values out of range,
// huge strings, unicode and NUL, nested junk, bad JSON, wrong content types and methods, oversize
// bodies, bad batch syntax; bad keys, scopes, cursors, limits and formats. Every answer must be a
// 4xx whose body is JSON with a message (unknown pages: the site's 404 page) — never a 5xx.
// Issue 18 adds: unpaired surrogates and NUL in keys, multipart and foreign-Origin mutations,
// profile updates, TRACE on every kind of route, dates and cursors beyond PostgreSQL's range,
// "__proto__", and engine job specs whose paths leave its data folder; the last test asserts zero
// 5xx across the whole run. Issue 19 adds: a tRPC error's message (what the pages show) is a
// sentence, never zod's JSON array or default wording.
// Deterministic: FUZZ_SEED (default below) seeds every random choice; a failure prints it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  expect,
  request as playwrightRequest,
  test,
  type APIRequestContext,
  type APIResponse,
} from "@playwright/test";
import { E2E } from "./fixtures/env";

const SEED = Number(process.env.FUZZ_SEED || 20261127);

/** mulberry32: a small seeded PRNG, so every run sends the same requests. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

type TSchema = {
  type?: string | string[];
  properties?: Record<string, TSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: TSchema;
  minItems?: number;
  maxItems?: number;
  anyOf?: TSchema[];
  oneOf?: TSchema[];
};
type TProcedure = { path: string; type: "query" | "mutation"; input: TSchema | null };

/** One request and what is acceptable for it. */
type TCase = {
  label: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** A multipart/form-data body instead of `body`. */
  multipart?: Record<string, string>;
  /** An unknown page: Next's 404 page (HTML) is the documented answer. */
  html404?: boolean;
};

// Strings that have broken servers: unicode edge cases, encodings, injections, control characters.
const UNICODE = [
  "\ud800", // a lone surrogate
  "\udfff\ud800",
  "‮rtl override‬",
  "zero\u200bwidth\u200d\ufeff",
  "𝕱𝖚𝖟𝖟 🧨💥👩‍👩‍👧‍👦",
  "\u0007\u001b[31mred\u001b[0m",
  "ＦＵＬＬ　ＷＩＤＴＨ",
  "Ω≈ç√∫˜µ≤≥÷",
  "' OR 1=1 --",
  "'; DROP TABLE annotation; --",
  "${7*7}{{7*7}}<%= 7*7 %>",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "%00%2e%2e%2f",
  "\\u0000",
  "null",
  "undefined",
  "__proto__",
  "\r\n\r\nHTTP/1.1 200 OK",
  "a".repeat(65),
];
const NUL = "nul\u0000inside";

/** encodeURIComponent that sends a lone surrogate as the invalid UTF-8 bytes it would be. */
const enc = (v: string) =>
  encodeURIComponent(
    v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\u0001"),
  ).replaceAll("%01", "%ED%A0%80");

/** A plausible value for a schema (the starting point that each mutation breaks in one place). */
function sample(s: TSchema | undefined, depth = 0): unknown {
  if (!s || depth > 6) return null;
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const alt = s.oneOf ?? s.anyOf;
  if (alt) return sample(alt.find((a) => a.type !== "null") ?? alt[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const key of s.required ?? []) out[key] = sample(s.properties?.[key], depth + 1);
      return out;
    }
    case "array":
      return Array.from({ length: s.minItems ?? 0 }, () => sample(s.items, depth + 1));
    case "string":
      if (s.format === "email") return "fuzz@fuzz.test";
      return "fuzz-value-".padEnd(Math.max(s.minLength ?? 1, 12), "x").slice(0, s.maxLength ?? 64);
    case "integer":
    case "number":
      return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
    case "boolean":
      return false;
    default:
      return null;
  }
}

function allowedTypes(s: TSchema): Set<string> {
  const out = new Set<string>();
  const add = (x: TSchema) => {
    if (x.const !== undefined) out.add(typeof x.const);
    if (x.enum) for (const v of x.enum) out.add(v === null ? "null" : typeof v);
    for (const t of [x.type ?? []].flat()) out.add(t === "integer" ? "number" : t);
    for (const a of x.oneOf ?? x.anyOf ?? []) add(a);
  };
  add(s);
  return out;
}

/** Values of a type the field does not accept, and values outside its limits. */
function wrongValues(s: TSchema): unknown[] {
  const types = allowedTypes(s);
  if (types.size === 0) return []; // unconstrained (z.unknown()): anything goes
  const pool: [string, unknown][] = [
    ["number", 12345],
    ["number", -0.5],
    ["boolean", true],
    ["null", null],
    ["string", "fuzz-wrong-type"],
    ["array", []],
    ["array", [[[[["deep"]]]]]],
    ["object", {}],
    ["object", { $ne: null, __proto__: { admin: true } }],
  ];
  const out = pool.filter(([t]) => !types.has(t)).map(([, v]) => v);
  if (s.enum || s.const !== undefined) out.push("NOT-A-MEMBER", "Helpfulness ");
  if (s.type === "integer") out.push(1.5);
  if (s.minimum !== undefined) out.push(s.minimum - 1);
  if (s.maximum !== undefined) out.push(s.maximum + 1, 1e308);
  if (s.minLength !== undefined && s.minLength > 0) out.push("x".repeat(s.minLength - 1));
  if (s.maxLength !== undefined) out.push("y".repeat(s.maxLength + 1));
  if (s.maxItems !== undefined)
    out.push(Array.from({ length: s.maxItems + 1 }, () => sample(s.items)));
  return out;
}

type TInputCase = { label: string; input: unknown; absent?: boolean };

/** Malformed inputs for one procedure's schema, each invalid by construction. */
function malformedInputs(schema: TSchema, deep: boolean, mutation = true): TInputCase[] {
  const cases: TInputCase[] = [];
  const base = sample(schema) as Record<string, unknown>;
  const isObject = schema.type === "object";
  const required = schema.required ?? [];
  for (const v of [null, 0, "fuzz", [], true, [base], "x".repeat(3000)])
    if (!allowedTypes(schema).has(v === null ? "null" : Array.isArray(v) ? "array" : typeof v))
      cases.push({ label: `top-level ${JSON.stringify(v).slice(0, 20)}`, input: v });
  if (!isObject) return deep ? cases : cases.slice(0, 2);
  if (required.length > 0) {
    cases.push({ label: "no input", input: undefined, absent: true });
    cases.push({ label: "empty object", input: {} });
  }
  // Nested junk in place of the whole input: deep nesting, wide objects. Unknown keys are dropped
  // (z.object strips them), so this is invalid only where a field is required.
  let nested: unknown = { leaf: "x" };
  for (let i = 0; i < 200; i++) nested = { a: nested, b: [nested === null ? 1 : i] };
  if (required.length > 0) cases.push({ label: "200-deep nesting", input: nested });
  if (deep && required.length > 0) {
    cases.push({
      label: "5,000 junk keys",
      input: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])),
    });
    cases.push({ label: "prototype keys", input: JSON.parse('{"__proto__":{"role":"admin"}}') });
  }
  const props = Object.entries(schema.properties ?? {});
  for (const key of required) {
    const { [key]: _gone, ...rest } = base;
    cases.push({ label: `missing ${key}`, input: rest });
  }
  let hugeSent = false;
  for (const [key, prop] of props) {
    const values = wrongValues(prop);
    for (const v of deep ? values : values.slice(0, 2))
      cases.push({
        label: `${key} = ${JSON.stringify(v)?.slice(0, 40)}`,
        input: { ...base, [key]: v },
      });
    if (!deep) continue;
    const types = allowedTypes(prop);
    if (types.has("string")) {
      cases.push({ label: `${key} with NUL`, input: { ...base, [key]: NUL } });
      if (!hugeSent && prop.maxLength !== undefined) {
        hugeSent = true;
        cases.push({
          label: `${key} = 1 MB string`,
          input: { ...base, [key]: "z".repeat(1 << 20) },
        });
      }
      // Unicode that the field may well accept: sent where the input is invalid anyway (another
      // required field missing), or into an id, which the server then does not find.
      const other = required.find((r) => r !== key);
      // (An optional id is a filter, and a query may list nothing for an unknown id: both valid
      // answers. A mutation must refuse an id it does not know.)
      const idLike = /id$/i.test(key) && !prop.enum && required.includes(key) && mutation;
      if (other || idLike) {
        for (let i = 0; i < 3; i++) {
          const u = pick(UNICODE);
          const input: Record<string, unknown> = { ...base, [key]: u };
          if (other && !idLike) delete input[other];
          cases.push({ label: `${key} = ${JSON.stringify(u).slice(0, 30)}`, input });
        }
      }
    }
    if (prop.type === "object" && prop.properties) {
      for (const nestedCase of malformedInputs(prop, false).slice(0, 6))
        cases.push({
          label: `${key}.${nestedCase.label}`,
          input: { ...base, [key]: nestedCase.input },
        });
    }
  }
  return cases;
}

function trpcCase(p: TProcedure, c: TInputCase): TCase {
  const envelope = JSON.stringify({ json: c.input });
  if (p.type === "query") {
    const qs = c.absent ? "" : `?input=${encodeURIComponent(envelope)}`;
    return { label: `${p.path} ${c.label}`, method: "GET", url: `/api/trpc/${p.path}${qs}` };
  }
  return {
    label: `${p.path} ${c.label}`,
    method: "POST",
    url: `/api/trpc/${p.path}`,
    headers: { "content-type": "application/json" },
    body: c.absent ? undefined : envelope,
  };
}

/** URLs over Node's 16 KB header limit are refused by Node itself (431, no body): keep under. */
const MAX_URL = 12_000;

/** The message in a 4xx body: tRPC's envelope (single or batched) or the export API's. */
function messageOf(body: unknown): string | null {
  const one = (x: unknown): string | null => {
    const o = x as {
      error?: { message?: unknown; json?: { message?: unknown } };
      message?: unknown;
    } | null;
    const m = o?.error?.json?.message ?? o?.error?.message ?? o?.message;
    return typeof m === "string" && m.length > 0 ? m : null;
  };
  if (Array.isArray(body)) {
    const ms = body.map(one);
    return ms.length > 0 && ms.every((m) => m !== null) ? ms.join(" | ") : null;
  }
  return one(body);
}

type TOutcome = { label: string; status: number; problem: string | null };

/** Every 5xx of the whole run (each test also fails on its own); the last test asserts none. */
const serverErrors: string[] = [];

async function send(ctx: APIRequestContext, c: TCase): Promise<TOutcome> {
  let res: APIResponse;
  try {
    res = await ctx.fetch(c.url, {
      method: c.method,
      headers: c.headers,
      ...(c.multipart ? { multipart: c.multipart } : { data: c.body }),
      maxRedirects: 0,
      timeout: 60_000,
      failOnStatusCode: false,
    });
  } catch (error) {
    return { label: c.label, status: 0, problem: `no answer: ${String(error).slice(0, 200)}` };
  }
  const status = res.status();
  if (status >= 500) serverErrors.push(`${c.method} ${c.url.slice(0, 120)} → ${status}`);
  const text = (await res.body()).toString("utf8");
  const where = `${c.method} ${c.url.slice(0, 160)} → ${status} ${text.slice(0, 200)}`;
  if (status >= 500) return { label: c.label, status, problem: `server error: ${where}` };
  if (status < 400) return { label: c.label, status, problem: `not refused: ${where}` };
  if (c.html404 && status === 404 && /text\/html/.test(res.headers()["content-type"] ?? ""))
    return { label: c.label, status, problem: null };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { label: c.label, status, problem: `not JSON: ${where}` };
  }
  const message = messageOf(body);
  if (!message) return { label: c.label, status, problem: `no message in the JSON: ${where}` };
  // What the pages show is this message: a sentence, never zod's JSON or its default wording.
  if (c.url.includes("/api/trpc/") && RAW_MESSAGE.test(message))
    return { label: c.label, status, problem: `raw internals in the message: ${where}` };
  return { label: c.label, status, problem: null };
}

/** zod's JSON array of issues and its default English ("Too small: expected number to be >=1"). */
const RAW_MESSAGE =
  /^\s*[[{]|"(code|path|expected|origin)"\s*:|Too (small|big):|Invalid (input|option|string|number)\b|expected (number|string|object|array|tuple|boolean|int)\b|received (undefined|null|string|number|object|array)\b|[<>]=\d/;

/** Sends the cases a few at a time (the platform serves the other tests' users too). */
async function run(ctx: APIRequestContext | ((i: number) => APIRequestContext), cases: TCase[]) {
  const outcomes: TOutcome[] = new Array(cases.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = typeof ctx === "function" ? ctx(i) : ctx;
        outcomes[i] = await send(c, cases[i]!);
      }
    }),
  );
  return outcomes;
}

function report(name: string, outcomes: TOutcome[]) {
  const byStatus = new Map<number, number>();
  for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
  const problems = outcomes.filter((o) => o.problem).map((o) => `${o.label}: ${o.problem}`);
  console.log(
    `fuzz ${name} (seed ${SEED}): ${outcomes.length} requests, statuses ${[...byStatus]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(" ")}`,
  );
  expect(problems, `seed ${SEED}`).toEqual([]);
  return outcomes.length;
}

// ─────────────────────────────── setup ───────────────────────────────

const FUZZ_ANNOTATOR = { email: "fuzz-annotator@e2e.test", password: "fuzz-annotator-password" };
let procedures: TProcedure[] = [];
let admin: APIRequestContext;
let annotator: APIRequestContext;
let anonymous: APIRequestContext;
let total = 0;

async function signedIn(email: string, password: string) {
  const ctx = await playwrightRequest.newContext({ baseURL: E2E.baseURL });
  const res = await ctx.post("/api/auth/sign-in/email", {
    data: { email, password },
    headers: { origin: E2E.baseURL },
  });
  expect(res.status(), await res.text()).toBe(200);
  return ctx;
}

async function trpcMutation(ctx: APIRequestContext, path: string, input: unknown) {
  const res = await ctx.post(`/api/trpc/${path}`, {
    data: JSON.stringify({ json: input }),
    headers: { "content-type": "application/json" },
  });
  const text = await res.text();
  expect(res.status(), text).toBe(200);
  return (JSON.parse(text) as { result: { data: { json: unknown } } }).result.data.json;
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  const out = execFileSync(
    "node_modules/.bin/tsx",
    ["--conditions=react-server", "e2e/fixtures/procedures.ts"],
    { encoding: "utf8", maxBuffer: 16 << 20 },
  );
  procedures = JSON.parse(out) as TProcedure[];
  expect(procedures.length).toBeGreaterThan(20);
  admin = await signedIn(E2E.admin.email, E2E.admin.password);
  // An annotator of its own, so what the fuzzing holds or claims touches no other test's account
  // (409 when a rerun on the same platform finds it already there).
  const created = await admin.post("/api/trpc/users.create", {
    data: JSON.stringify({
      json: {
        name: "Fuzz Annotator",
        email: FUZZ_ANNOTATOR.email,
        password: FUZZ_ANNOTATOR.password,
        role: "annotator",
      },
    }),
    headers: { "content-type": "application/json" },
  });
  expect([200, 409], await created.text()).toContain(created.status());
  annotator = await signedIn(FUZZ_ANNOTATOR.email, FUZZ_ANNOTATOR.password);
  anonymous = await playwrightRequest.newContext({ baseURL: E2E.baseURL });
});

test.afterAll(async () => {
  await Promise.all([admin?.dispose(), annotator?.dispose(), anonymous?.dispose()]);
  console.log(`fuzz: ${total} malformed requests in all, seed ${SEED}`);
});

// ─────────────────────────────── tRPC ───────────────────────────────

test("tRPC: malformed input to every procedure, as an admin", async () => {
  test.setTimeout(300_000);
  const cases: TCase[] = [];
  for (const p of procedures) {
    if (p.input) {
      for (const c of malformedInputs(p.input, true, p.type === "mutation")) {
        const tc = trpcCase(p, c);
        if (tc.url.length <= MAX_URL) cases.push(tc);
      }
    }
    // The wrong method for the procedure's type.
    cases.push(
      p.type === "query"
        ? {
            label: `${p.path} POST to a query`,
            method: "POST",
            url: `/api/trpc/${p.path}`,
            headers: { "content-type": "application/json" },
            body: "{}",
          }
        : { label: `${p.path} GET of a mutation`, method: "GET", url: `/api/trpc/${p.path}` },
    );
    for (const method of ["PUT", "PATCH", "DELETE"])
      cases.push({ label: `${p.path} ${method}`, method, url: `/api/trpc/${p.path}` });
  }
  expect(cases.length, "at least 1,000 malformed requests here alone").toBeGreaterThanOrEqual(1000);
  total += report("tRPC as admin", await run(admin, cases));
});

test("tRPC: malformed input as an annotator, and every procedure signed out", async () => {
  test.setTimeout(300_000);
  const cases: TCase[] = [];
  for (const p of procedures) {
    // The annotator's own procedures in depth, the others (403 before any input is read) briefly.
    const own = p.path.startsWith("annotation.") || p.path.startsWith("demonstrations.");
    if (p.input)
      for (const c of malformedInputs(p.input, own, p.type === "mutation"))
        cases.push(trpcCase(p, c));
  }
  const signedOut: TCase[] = procedures.map((p) =>
    p.path === "me.get"
      ? { label: "me.get POST", method: "POST", url: "/api/trpc/me.get", body: "{}" }
      : trpcCase(p, { label: "signed out", input: { junk: "\ud800" } }),
  );
  total += report(
    "tRPC as annotator",
    await run(
      annotator,
      cases.filter((c) => c.url.length <= MAX_URL),
    ),
  );
  total += report("tRPC signed out", await run(anonymous, signedOut));
});

test("tRPC: bad JSON, content types, oversize bodies, batch syntax, unknown paths", async () => {
  test.setTimeout(300_000);
  const withInput = procedures.filter((p) => p.input && (p.input.required?.length ?? 0) > 0);
  const mutation = withInput.find((p) => p.type === "mutation")!;
  const query = withInput.find((p) => p.type === "query")!;
  const post = (
    label: string,
    url: string,
    body: string | Buffer,
    type = "application/json",
  ): TCase => ({
    label,
    method: "POST",
    url,
    headers: { "content-type": type },
    body,
  });
  const cases: TCase[] = [];
  const badJson = [
    "{",
    "",
    "null",
    "[]",
    '"just a string"',
    '{"json":',
    '{"json": {}, }',
    "\ufeff{}",
    "\u0000",
    "{'json': {}}",
    '{"json": NaN}',
    '{"json": {"a": 1e999999}}',
    "[".repeat(100_000),
    '{"json":{}, "meta": "junk"}',
    '{"json":{}, "meta": {"values": "junk"}}',
    '{"json":{"x":"1"}, "meta": {"values": {"x": ["bigint"]}}}',
    '{"json":{"x":"1"}, "meta": {"values": {"x": ["Date"]}}}',
    '{"json":{"x":"1"}, "meta": {"values": {"x": [["custom", "nope"]]}}}',
    '{"json":{}, "meta": {"referentialEqualities": {"a": ["b"]}}}',
  ];
  for (const p of withInput.filter((x) => x.type === "mutation"))
    for (const b of badJson)
      cases.push(
        post(`${p.path} body ${JSON.stringify(b).slice(0, 30)}`, `/api/trpc/${p.path}`, b),
      );
  for (const b of badJson.slice(0, 12))
    cases.push({
      label: `${query.path} input ${JSON.stringify(b).slice(0, 30)}`,
      method: "GET",
      url: `/api/trpc/${query.path}?input=${encodeURIComponent(b)}`,
    });
  for (const type of [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/xml",
    "application/json; charset=utf-16",
  ])
    cases.push(
      post(`${mutation.path} as ${type}`, `/api/trpc/${mutation.path}`, '{"json":{}}', type),
    );
  // Oversize bodies: 8 MB and 32 MB of JSON.
  for (const mb of [8, 32])
    cases.push(
      post(
        `${mutation.path} ${mb} MB body`,
        `/api/trpc/${mutation.path}`,
        Buffer.from(JSON.stringify({ json: { junk: "o".repeat(mb << 20) } })),
      ),
    );
  // Batch syntax.
  const m = mutation.path;
  const q = query.path;
  cases.push(
    post("batch: body is an array", `/api/trpc/${m},${m}?batch=1`, "[1,2]"),
    post("batch: keys are not indexes", `/api/trpc/${m},${m}?batch=1`, '{"x":{"json":{}}}'),
    post("batch: fewer inputs than paths", `/api/trpc/${m},${m},${m}?batch=1`, '{"0":{"json":{}}}'),
    post("batch: a string per input", `/api/trpc/${m},${m}?batch=1`, '{"0":"a","1":"b"}'),
    post("batch: batch=abc", `/api/trpc/${m}?batch=abc`, '{"json":{}}'),
    post("batch: batch=1 without a batch body", `/api/trpc/${m}?batch=1`, '{"json":{}}'),
    post(
      "batch: query and mutation mixed",
      `/api/trpc/${m},${q}?batch=1`,
      '{"0":{"json":{}},"1":{"json":{}}}',
    ),
    post(
      "batch: unknown procedures",
      `/api/trpc/nope.a,nope.b?batch=1`,
      '{"0":{"json":{}},"1":{"json":{}}}',
    ),
    post("batch: empty path", `/api/trpc/,?batch=1`, "{}"),
    post(
      "batch: 300 calls",
      `/api/trpc/${Array(300).fill(m).join(",")}?batch=1`,
      JSON.stringify(
        Object.fromEntries(Array.from({ length: 300 }, (_, i) => [i, { json: { i } }])),
      ),
    ),
    {
      label: "batch: GET with a non-object input",
      method: "GET",
      url: `/api/trpc/${q},${q}?batch=1&input=${encodeURIComponent("[1]")}`,
    },
    {
      label: "batch: GET with junk input",
      method: "GET",
      url: `/api/trpc/${q},${q}?batch=1&input=${encodeURIComponent('{"0":{"json":{"junk":1}},"1":7}')}`,
    },
  );
  for (const path of [
    "nope",
    "nope.nope",
    "annotation",
    "annotation.",
    ".submit",
    "a.b.c.d.e",
    "%F0%9F%92%A5",
    "%00",
    "annotation.submit%00",
    "x".repeat(2000),
    "constructor",
    "__proto__.toString",
    "annotation.submit/extra", // a second path segment: no such route, the site's 404 page
  ])
    cases.push({
      ...post(`unknown path ${path.slice(0, 30)}`, `/api/trpc/${path}`, '{"json":{}}'),
      html404: path.includes("/"),
    });
  // Unknown pages outside the APIs: the site's 404 page.
  for (const path of [
    "/api/nothing",
    "/api/trpc-like",
    "/api/v2/comparisons",
    "/definitely/not/here",
  ])
    cases.push({ label: `unknown page ${path}`, method: "GET", url: path, html404: true });
  total += report("tRPC protocol", await run(admin, cases));
});

// ─────────────────────────────── export API ───────────────────────────────

test("export API: bad keys, scopes, cursors, limits, formats and parameters", async () => {
  test.setTimeout(300_000);
  // Keys: several with every scope (each key's rate limit allows 60 at once), one per scope, one revoked.
  const all = ["comparisons:read", "models:read", "models:download"];
  const create = async (name: string, scopes: string[]) =>
    (await trpcMutation(admin, "apiKeys.create", { name, scopes })) as {
      id: string;
      secret: string;
    };
  const full: string[] = [];
  for (let i = 0; i < 10; i++) full.push((await create(`fuzz-all-${i}`, all)).secret);
  const readOnly = (await create("fuzz-comparisons", ["comparisons:read"])).secret;
  const modelsOnly = (await create("fuzz-models", ["models:read"])).secret;
  const revoked = await create("fuzz-revoked", all);
  await trpcMutation(admin, "apiKeys.revoke", { id: revoked.id });

  const cases: TCase[] = [];
  const endpoints = [
    "/api/v1/comparisons",
    "/api/v1/rounds",
    "/api/v1/models",
    "/api/v1/models/none/checkpoint",
  ];
  const randomKey = () =>
    "pw_" +
    Array.from({ length: 43 }, () =>
      pick([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"]),
    ).join("");
  const badAuth: [string, Record<string, string>][] = [
    ["no key", {}],
    ["empty header", { authorization: "" }],
    ["Bearer only", { authorization: "Bearer" }],
    ["Bearer and a space", { authorization: "Bearer " }],
    ["Basic auth", { authorization: "Basic " + Buffer.from("a:b").toString("base64") }],
    ["short key", { authorization: "Bearer pw_short" }],
    ["unknown key", { authorization: `Bearer ${randomKey()}` }],
    ["another unknown key", { authorization: `Bearer ${randomKey()}` }],
    ["key with a suffix", { authorization: `Bearer ${full[0]} extra` }],
    ["key twice", { authorization: `Bearer ${full[0]}, Bearer ${full[0]}` }],
    ["lower-case key", { authorization: `Bearer ${full[0]!.toLowerCase()}` }],
    ["8 KB header", { authorization: `Bearer ${"k".repeat(8000)}` }],
    ["latin-1 junk", { authorization: "Bearer \u00ff\u00fe\u00e9" }],
    ["revoked key", { authorization: `Bearer ${revoked.secret}` }],
    ["token scheme", { authorization: `Token ${full[0]}` }],
  ];
  for (const e of endpoints)
    for (const [label, headers] of badAuth)
      cases.push({ label: `${e} ${label}`, method: "GET", url: e, headers });
  // Wrong scope.
  cases.push(
    {
      label: "models with a comparisons key",
      method: "GET",
      url: "/api/v1/models",
      headers: { authorization: `Bearer ${readOnly}` },
    },
    {
      label: "checkpoint with a comparisons key",
      method: "GET",
      url: "/api/v1/models/x/checkpoint",
      headers: { authorization: `Bearer ${readOnly}` },
    },
    {
      label: "comparisons with a models key",
      method: "GET",
      url: "/api/v1/comparisons",
      headers: { authorization: `Bearer ${modelsOnly}` },
    },
    {
      label: "rounds with a models key",
      method: "GET",
      url: "/api/v1/rounds",
      headers: { authorization: `Bearer ${modelsOnly}` },
    },
    { label: "rounds with a parameter", method: "GET", url: "/api/v1/rounds?round=1" },
    { label: "rounds with __proto__-like key", method: "GET", url: "/api/v1/rounds?constructor=x" },
    {
      label: "checkpoint with a models:read key",
      method: "GET",
      url: "/api/v1/models/x/checkpoint",
      headers: { authorization: `Bearer ${modelsOnly}` },
    },
  );

  // Parameters of /api/v1/comparisons: values each parameter refuses.
  const junk = () =>
    pick([...UNICODE.slice(0, 12), NUL, "x".repeat(5000), "[]", "{}", "-", " ", "\t1"]);
  const invalid: Record<string, string[]> = {
    format: ["", "xml", "NATIVE", "parquet ", "json", "csv", "ndjson", junk(), junk()],
    round: [
      "",
      "0",
      "-1",
      "1.5",
      "1e3",
      "0x10",
      "first",
      "1000001",
      "99999999999999999999",
      " 1",
      "NaN",
      junk(),
    ],
    axis: ["", "Helpfulness", "both", "safety,helpfulness", "null", junk(), junk()],
    from: [
      "",
      "yesterday",
      "2026-13-45",
      "2026-02-30T25:61:00Z",
      "0000-01-01",
      "+275760-09-13T00:00:00.001Z",
      "27/11/2026",
      "1e12",
      "-271821-04-20",
      junk(),
    ],
    to: ["", "tomorrow", "2026-00-00", "0000-12-31T23:59:59Z", "20261127", junk()],
    reviewStatus: ["", ",", "approved,", "APPROVED", "approved,bogus", "pending", junk(), junk()],
    minAgreement: ["", "2", "-0.1", "1.01", "NaN", "Infinity", "0,5", "1e-1", "0x1", junk()],
    modelVersion: ["", "m".repeat(129), NUL, `${"v".repeat(120)}${NUL}`],
    margin: ["", "huge", "SMALL", "1", "none,small", junk()],
    identical: ["", "yes", "INCLUDE", "include,exclude", "1", junk()],
    limit: [
      "",
      "0",
      "-1",
      "1.5",
      "10001",
      "1e4",
      "1e309",
      "abc",
      "0x10",
      " 5",
      "5 ",
      "999999999999999999999",
      junk(),
    ],
    cursor: [
      "",
      "AAAA",
      "!!!!",
      "%%%",
      Buffer.from("99999999999999999999.x").toString("base64url"),
      Buffer.from("1764230400000.").toString("base64url"),
      Buffer.from("1764230400000.bad id!").toString("base64url"),
      Buffer.from("-5.abc").toString("base64url"),
      Buffer.from("1764230400000.abc\u0000").toString("base64url"),
      "c".repeat(5000),
      junk(),
      junk(),
    ],
    "": ["x"],
    unknown: ["1"],
    "format[]": ["native"],
    // ("__proto__", which Next drops from the URL, is refused before Next: the hardening test.)
    constructor: ["x"],
  };
  for (const [param, values] of Object.entries(invalid))
    for (const v of values)
      cases.push({
        label: `comparisons ${param}=${JSON.stringify(v).slice(0, 30)}`,
        method: "GET",
        url: `/api/v1/comparisons?${param === "" ? "" : enc(param)}=${enc(v)}${param === "limit" || param === "cursor" ? "" : "&limit=1"}`,
      });
  // Combinations: repeated, parquet paged, a valid filter plus a bad one.
  cases.push(
    { label: "repeated limit", method: "GET", url: "/api/v1/comparisons?limit=1&limit=2" },
    {
      label: "repeated format",
      method: "GET",
      url: "/api/v1/comparisons?format=trl&format=native",
    },
    {
      label: "parquet with limit",
      method: "GET",
      url: "/api/v1/comparisons?format=parquet&limit=5",
    },
    {
      label: "valid axis, bad round",
      method: "GET",
      url: "/api/v1/comparisons?axis=safety&round=x&limit=1",
    },
    { label: "models with a parameter", method: "GET", url: "/api/v1/models?limit=5" },
    {
      label: "models with junk",
      method: "GET",
      url: `/api/v1/models?${enc(pick(UNICODE.filter((u) => u !== "__proto__")))}=1`,
    },
  );
  // Checkpoint ids.
  for (const id of [
    "..",
    "%2e%2e",
    "..%2F..%2Fetc",
    "a%2Fb",
    "x".repeat(65),
    enc(pick(UNICODE)),
    "%00",
    "a%20b",
    "no-such-model",
    "cm00000000000000000000000",
    encodeURIComponent("😀"),
    "%ZZ",
  ])
    cases.push({
      // ".." (also spelled %2e%2e) is resolved by the client: /api/v1/checkpoint, no such page.
      html404: id === ".." || id === "%2e%2e",
      label: `checkpoint ${id.slice(0, 30)}`,
      method: "GET",
      url: `/api/v1/models/${id}/checkpoint`,
    });
  // Methods the API does not serve, and pages it does not have.
  for (const e of endpoints)
    for (const method of ["POST", "PUT", "PATCH", "DELETE"])
      cases.push({
        label: `${method} ${e}`,
        method,
        url: e,
        body: "{}",
        headers: { "content-type": "application/json" },
      });
  for (const path of ["/api/v1/nothing", "/api/v1/comparisons/extra", "/api/v1/models/x/y/z"])
    cases.push({ label: `unknown page ${path}`, method: "GET", url: path, html404: true });

  // Every case above that has no authorization header of its own gets a valid key (round robin).
  let k = 0;
  for (const c of cases)
    if (!c.headers?.authorization && c.headers?.authorization !== "" && !c.label.includes("no key"))
      c.headers = { ...c.headers, authorization: `Bearer ${full[k++ % full.length]}` };
  total += report("export API", await run(admin, cases));
});

// ─────────────────────────── issue 18: hardening ───────────────────────────

test("hardening: surrogates, NUL keys, cross-site and multipart mutations, TRACE, overflowing dates and cursors, engine job paths", async () => {
  test.setTimeout(300_000);
  const me = (await (await admin.get("/api/auth/get-session")).json()) as { user: { id: string } };
  const json = (input: unknown) => JSON.stringify({ json: input });
  const mutationCase = (
    label: string,
    procedure: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): TCase => ({
    label,
    method: "POST",
    url: `/api/trpc/${procedure}`,
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const target = { userId: me.user.id, role: "admin" };
  const cases: TCase[] = [
    // Unpaired surrogates (JSON escapes that decode to a lone surrogate) in values and keys.
    mutationCase(
      "lone surrogate in a value",
      "apiKeys.create",
      '{"json":{"name":"k\\ud800","scopes":["models:read"]}}',
    ),
    mutationCase(
      "lone low surrogate",
      "users.setDisabled",
      '{"json":{"userId":"x","disabled":false,"reason":"\\udc00"}}',
    ),
    mutationCase(
      "lone surrogate in a key",
      "users.setRole",
      '{"json":{"userId":"x","role":"admin","\\ud800":1}}',
    ),
    // NUL in keys, and unknown keys (one of them 1 MB).
    mutationCase("NUL in a key", "users.setRole", json({ ...target, "x\u0000": 1 })),
    mutationCase(
      "NUL in a nested key",
      "rounds.create",
      json({ name: "r", config: { "a\u0000": 1 } }),
    ),
    mutationCase("unknown key", "users.setRole", json({ ...target, extra: 1 })),
    mutationCase(
      "1 MB unknown key",
      "users.setRole",
      json({ ...target, extra: "x".repeat(1 << 20) }),
    ),
    // multipart/form-data and other bodies a page can send without a preflight.
    {
      label: "multipart mutation",
      method: "POST",
      url: "/api/trpc/jobs.trainRewardModels",
      multipart: { json: "{}" },
    },
    mutationCase("text/plain mutation", "jobs.trainRewardModels", "{}", {
      "content-type": "text/plain",
    }),
    mutationCase("form-encoded mutation", "jobs.trainRewardModels", "json=%7B%7D", {
      "content-type": "application/x-www-form-urlencoded",
    }),
    // Foreign and null Origins, a sibling port, a cross-site fetch.
    ...[
      "http://evil.example",
      "null",
      E2E.baseURL.replace(/:\d+$/, ":1"),
      "http://127.0.0.1.evil.example",
    ].map((origin) =>
      mutationCase(`Origin ${origin}`, "jobs.trainRewardModels", json({}), { origin }),
    ),
    mutationCase("Sec-Fetch-Site cross-site", "jobs.trainRewardModels", json({}), {
      "sec-fetch-site": "cross-site",
    }),
    // Better Auth: profile fields that are not a bounded name.
    ...[
      { name: 5 },
      { name: "a\u0000b" },
      { name: "x".repeat(1 << 20) },
      { image: "x".repeat(1 << 20) },
      { name: "ok", role: "admin" },
      {},
    ].map((body): TCase => ({
      label: `update-user ${JSON.stringify(body).slice(0, 40)}`,
      method: "POST",
      url: "/api/auth/update-user",
      headers: { "content-type": "application/json", origin: E2E.baseURL },
      body: JSON.stringify(body),
    })),
  ];
  // TRACE on pages and on every kind of route.
  for (const url of [
    "/",
    "/admin",
    "/annotate",
    "/api/healthz",
    "/api/auth/get-session",
    "/api/trpc/me.get",
    "/api/v1/comparisons",
    "/api/admin/prompts/import",
  ])
    cases.push({ label: `TRACE ${url}`, method: "TRACE", url });

  // The export API: dates and cursors that parse but overflow PostgreSQL's range, "__proto__".
  const key = (
    (await trpcMutation(admin, "apiKeys.create", {
      name: "fuzz-hardening",
      scopes: ["comparisons:read"],
    })) as {
      secret: string;
    }
  ).secret;
  const overflowCursor = Buffer.from("999999999999999.abc").toString("base64url");
  for (const q of [
    `cursor=${overflowCursor}`,
    "from=0001-01-01T00:00:00%2B14:00",
    "to=0001-01-01T00:00:00%2B14:00",
    "from=9999-12-31T23:59:59-14:00",
    "from=275760-09-13",
    "__proto__=1",
    "__proto__[x]=1",
  ])
    cases.push({
      label: `export ${q}`,
      method: "GET",
      url: `/api/v1/comparisons?${q}`,
      headers: { authorization: `Bearer ${key}` },
    });
  const outcomes = await run(
    (i) => (cases[i]!.label.startsWith("update-user") ? annotator : admin),
    cases,
  );
  total += report("hardening", outcomes);

  // The engine: every path of a job spec outside its data folder is a 400 that does not say
  // whether the path exists (nothing is created there).
  const secrets = JSON.parse(readFileSync(path.join(E2E.dataDir, "secrets.json"), "utf8")) as {
    engineToken: string;
  };
  const engine = await playwrightRequest.newContext({
    baseURL: `http://127.0.0.1:${E2E.enginePort}`,
    extraHTTPHeaders: { authorization: `Bearer ${secrets.engineToken}` },
  });
  const inside = path.join(E2E.dataDir, "fuzz-job");
  const base = {
    base_model: "/etc",
    output_dir: inside,
    train_file: "/etc/passwd",
    axis: "helpfulness",
  };
  const engineCases: TCase[] = [];
  for (const field of ["output_dir", "train_file", "base_model", "prompts_file", "model"])
    for (const p of [
      "/etc",
      "/etc/passwd",
      "/nonexistent/pairwise",
      "../../..",
      `${E2E.dataDir}/../escape`,
    ])
      for (const kind of ["train_reward", "sft", "rejection_sampling", "evaluate", "ppo"])
        engineCases.push({
          label: `engine ${kind} ${field}=${p}`,
          method: "POST",
          url: "/v1/jobs",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            id: `fuzz-${kind}-${field}`.slice(0, 64),
            kind,
            spec: { ...base, [field]: p },
          }),
        });
  engineCases.push({
    label: "engine plan outside",
    method: "POST",
    url: "/v1/jobs/plan",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ kind: "train_reward", spec: { base_model: "/etc" } }),
  });
  const engineOutcomes = await run(engine, engineCases);
  total += report("engine job paths", engineOutcomes);
  expect(engineOutcomes.every((o) => o.status === 400)).toBe(true);
  await engine.dispose();
});

test("zero 5xx across the whole run", () => {
  expect(serverErrors, `seed ${SEED}`).toEqual([]);
});
