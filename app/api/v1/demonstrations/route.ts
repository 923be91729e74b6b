// GET /api/v1/demonstrations: approved demonstrations as NDJSON (native, or TRL `messages` rows).
// See docs/export-api.md and lib/server/export/demonstrations.ts.
import { env } from "@/lib/env";
import {
  demonstrationPage,
  demonstrationPlan,
  demonstrationStream,
} from "@/lib/server/export/demonstrations";
import { exportRequest, ndjsonPageResponse, ndjsonResponse } from "@/lib/server/export/http";
import { exportDb } from "@/lib/server/export/query";
import { ZDemonstrationExportQuery } from "@/lib/shared/demonstration-export";

export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  const r = await exportRequest(req, "demonstrations:read", ZDemonstrationExportQuery);
  if ("response" in r) return r.response;
  const q = r.query;
  const { BETTER_AUTH_SECRET, DATABASE_URL } = env();
  const plan = demonstrationPlan(q, r.after, BETTER_AUTH_SECRET);
  const db = exportDb(DATABASE_URL);
  if (q.limit === undefined) return ndjsonResponse(demonstrationStream(db, plan, q.format));
  return ndjsonPageResponse(req, await demonstrationPage(db, plan, q.format));
}
