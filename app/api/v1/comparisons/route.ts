// GET /api/v1/comparisons: annotated comparisons as NDJSON (native, trl, hh-rlhf) or Parquet.
// See docs/export-api.md and lib/server/export/.
import { env } from "@/lib/env";
import { apiError, parseQuery, requireApiKey } from "@/lib/server/export/http";
import { decodeCursor, exportDb } from "@/lib/server/export/query";
import { ndjsonPage, ndjsonStream, parquetStream, planFromQuery } from "@/lib/server/export/stream";
import { ZExportQuery } from "@/lib/shared/export";

export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  const auth = await requireApiKey(req, "comparisons:read");
  if ("response" in auth) return auth.response;
  const query = parseQuery(new URL(req.url), ZExportQuery);
  if ("response" in query) return query.response;
  const q = query.data;
  const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
  if (q.cursor !== undefined && !after)
    return apiError(
      400,
      "invalid_parameter",
      'Invalid parameter "cursor": not a cursor of this API',
      {
        parameter: "cursor",
      },
    );
  const { BETTER_AUTH_SECRET, DATABASE_URL } = env();
  const plan = planFromQuery(q, after, BETTER_AUTH_SECRET);
  const db = exportDb(DATABASE_URL);

  if (q.format === "parquet") {
    if (q.limit !== undefined)
      return apiError(400, "invalid_parameter", 'Invalid parameter "limit": Parquet is not paged', {
        parameter: "limit",
      });
    return new Response(parquetStream(db, plan), {
      headers: {
        "content-type": "application/vnd.apache.parquet",
        "content-disposition": 'attachment; filename="comparisons.parquet"',
        "cache-control": "no-store",
      },
    });
  }
  const headers = {
    "content-type": "application/x-ndjson; charset=utf-8",
    "cache-control": "no-store",
  };
  if (q.limit === undefined) return new Response(ndjsonStream(db, plan, q.format), { headers });

  const page = await ndjsonPage(db, plan, q.format);
  const extra: Record<string, string> = { "x-row-count": String(page.rows) };
  if (page.nextCursor) {
    const next = new URL(req.url);
    next.searchParams.set("cursor", page.nextCursor);
    extra["x-next-cursor"] = page.nextCursor;
    extra.link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  return new Response(page.body, { headers: { ...headers, ...extra } });
}
