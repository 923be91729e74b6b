// GET /api/v1/demonstrations: approved demonstrations as NDJSON (native, or TRL `messages` rows).
// See docs/export-api.md and lib/server/export/demonstrations.ts.
import { env } from "@/lib/env";
import {
  demonstrationPage,
  demonstrationPlan,
  demonstrationStream,
} from "@/lib/server/export/demonstrations";
import { apiError, parseQuery, requireApiKey } from "@/lib/server/export/http";
import { decodeCursor, exportDb } from "@/lib/server/export/query";
import { ZDemonstrationExportQuery } from "@/lib/shared/demonstration-export";

export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  const auth = await requireApiKey(req, "demonstrations:read");
  if ("response" in auth) return auth.response;
  const query = parseQuery(new URL(req.url), ZDemonstrationExportQuery);
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
  const plan = demonstrationPlan(q, after, BETTER_AUTH_SECRET);
  const db = exportDb(DATABASE_URL);
  const headers = {
    "content-type": "application/x-ndjson; charset=utf-8",
    "cache-control": "no-store",
  };
  if (q.limit === undefined)
    return new Response(demonstrationStream(db, plan, q.format), { headers });
  const page = await demonstrationPage(db, plan, q.format);
  const extra: Record<string, string> = { "x-row-count": String(page.rows) };
  if (page.nextCursor) {
    const next = new URL(req.url);
    next.searchParams.set("cursor", page.nextCursor);
    extra["x-next-cursor"] = page.nextCursor;
    extra.link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  return new Response(page.body, { headers: { ...headers, ...extra } });
}
