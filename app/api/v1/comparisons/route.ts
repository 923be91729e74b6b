// GET /api/v1/comparisons: annotated comparisons as NDJSON (native, trl, hh-rlhf) or Parquet.
// See docs/export-api.md and lib/server/export/.
import { env } from "@/lib/env";
import {
  apiError,
  exportRequest,
  ndjsonPageResponse,
  ndjsonResponse,
} from "@/lib/server/export/http";
import { exportDb } from "@/lib/server/export/query";
import { ndjsonPage, ndjsonStream, parquetStream, planFromQuery } from "@/lib/server/export/stream";
import { ZExportQuery } from "@/lib/shared/export";

export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  const r = await exportRequest(req, "comparisons:read", ZExportQuery);
  if ("response" in r) return r.response;
  const q = r.query;
  const { BETTER_AUTH_SECRET, DATABASE_URL } = env();
  const plan = planFromQuery(q, r.after, BETTER_AUTH_SECRET);
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
  if (q.limit === undefined) return ndjsonResponse(ndjsonStream(db, plan, q.format));
  return ndjsonPageResponse(req, await ndjsonPage(db, plan, q.format));
}
