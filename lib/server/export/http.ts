import "server-only";
// What every /api/v1 route handler does first: authenticate the API key for a scope, take a token
// from the key's rate limit, and parse the query string. Failures are JSON
// { "error": { "code", "message" } } with 400, 401, 403, 404 or 429.
import { z } from "zod";
import { authenticateApiKey, type TApiKeyPrincipal } from "@/lib/server/api-keys/keys";
import { apiRateLimiter } from "@/lib/server/api-keys/rate-limit";
import { decodeCursor, type TExportCursor } from "@/lib/server/export/query";
import type { TApiError, TApiScope } from "@/lib/shared/export";

export function apiError(
  status: number,
  code: TApiError["error"]["code"],
  message: string,
  extra: { parameter?: string; headers?: Record<string, string> } = {},
): Response {
  const body: TApiError = {
    error: { code, message, ...(extra.parameter ? { parameter: extra.parameter } : {}) },
  };
  return Response.json(body, { status, headers: extra.headers });
}

/** The key behind the request, or the error response to send. */
export async function requireApiKey(
  req: Request,
  scope: TApiScope,
): Promise<{ key: TApiKeyPrincipal } | { response: Response }> {
  const auth = await authenticateApiKey(req.headers.get("authorization"), scope);
  if (!auth.ok)
    return {
      response: apiError(auth.status, auth.code, auth.message, {
        headers: auth.status === 401 ? { "www-authenticate": 'Bearer realm="pairwise"' } : {},
      }),
    };
  const wait = apiRateLimiter.take(auth.key.id);
  if (wait !== null)
    return {
      response: apiError(
        429,
        "rate_limited",
        `Too many requests for this API key; retry in ${wait} s`,
        { headers: { "retry-after": String(wait) } },
      ),
    };
  return { key: auth.key };
}

/** Parses the query string with `schema`; a bad parameter is a 400 that names it. */
export function parseQuery<S extends z.ZodType>(
  url: URL,
  schema: S,
): { data: z.output<S> } | { response: Response } {
  // No prototype: a parameter named "constructor" is an unknown one, not "given more than once".
  const raw: Record<string, string> = Object.create(null) as Record<string, string>;
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  for (const [k, v] of url.searchParams) {
    // Checked here: zod passes "__proto__" over when it looks for unknown keys.
    if (shape && !Object.hasOwn(shape, k))
      return {
        response: apiError(400, "invalid_parameter", `Unknown parameter "${k.slice(0, 100)}"`, {
          parameter: k.slice(0, 100),
        }),
      };
    if (k in raw)
      return {
        response: apiError(400, "invalid_parameter", `Parameter "${k}" is given more than once`, {
          parameter: k,
        }),
      };
    // PostgreSQL text cannot hold NUL: refused here rather than failing in the query.
    if (k.includes("\u0000") || v.includes("\u0000"))
      return {
        response: apiError(400, "invalid_parameter", `Parameter "${k}" contains a NUL character`, {
          parameter: k,
        }),
      };
    raw[k] = v;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { data: parsed.data };
  const issue = parsed.error.issues[0]!;
  const parameter =
    issue.code === "unrecognized_keys" ? issue.keys[0]! : String(issue.path[0] ?? "query");
  const message =
    issue.code === "unrecognized_keys"
      ? `Unknown parameter "${parameter}"`
      : `Invalid parameter "${parameter}": ${issue.message}`;
  return { response: apiError(400, "invalid_parameter", message, { parameter }) };
}

/**
 * The start of an export route (comparisons, demonstrations): the API key for `scope`, the query
 * parsed with `schema`, and its `cursor` decoded (null when not given; a 400 naming "cursor" when
 * it is not one of this API's cursors).
 */
export async function exportRequest<S extends z.ZodType<{ cursor?: string | undefined }>>(
  req: Request,
  scope: TApiScope,
  schema: S,
): Promise<{ query: z.output<S>; after: TExportCursor | null } | { response: Response }> {
  const auth = await requireApiKey(req, scope);
  if ("response" in auth) return auth;
  const parsed = parseQuery(new URL(req.url), schema);
  if ("response" in parsed) return parsed;
  const q = parsed.data;
  const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
  if (q.cursor !== undefined && !after)
    return {
      response: apiError(
        400,
        "invalid_parameter",
        'Invalid parameter "cursor": not a cursor of this API',
        { parameter: "cursor" },
      ),
    };
  return { query: q, after };
}

const NDJSON_HEADERS = {
  "content-type": "application/x-ndjson; charset=utf-8",
  "cache-control": "no-store",
};

/** The whole export as one NDJSON stream (no `limit` given). */
export function ndjsonResponse(body: ReadableStream<Uint8Array>): Response {
  return new Response(body, { headers: NDJSON_HEADERS });
}

/**
 * One NDJSON page: X-Row-Count, and while more rows follow, X-Next-Cursor and a Link to the next
 * page (this request's URL with `cursor` set).
 */
export function ndjsonPageResponse(
  req: Request,
  page: { body: string; rows: number; nextCursor: string | null },
): Response {
  const extra: Record<string, string> = { "x-row-count": String(page.rows) };
  if (page.nextCursor) {
    const next = new URL(req.url);
    next.searchParams.set("cursor", page.nextCursor);
    extra["x-next-cursor"] = page.nextCursor;
    extra.link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  return new Response(page.body, { headers: { ...NDJSON_HEADERS, ...extra } });
}
