// GET /api/v1/comparisons: annotated comparisons as NDJSON (native, trl, hh-rlhf) or Parquet.
// See docs/export-api.md and lib/server/export/.
import { prisma } from "@/lib/db";
import { env } from "@/lib/env";
import { apiError, parseQuery, requireApiKey } from "@/lib/server/export/http";
import { decodeCursor } from "@/lib/server/export/query";
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
  const plan = planFromQuery(q, after, env().BETTER_AUTH_SECRET);

  if (q.format === "parquet") {
    if (q.limit !== undefined)
      return apiError(400, "invalid_parameter", 'Invalid parameter "limit": Parquet is not paged', {
        parameter: "limit",
      });
    return new Response(parquetStream(prisma, plan), {
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
  if (q.limit === undefined) return new Response(ndjsonStream(prisma, plan, q.format), { headers });

  const page = await ndjsonPage(prisma, plan, q.format);
  const extra: Record<string, string> = { "x-row-count": String(page.rows) };
  if (page.nextCursor) {
    const next = new URL(req.url);
    next.searchParams.set("cursor", page.nextCursor);
    extra["x-next-cursor"] = page.nextCursor;
    extra.link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  return new Response(page.body, { headers: { ...headers, ...extra } });
}
