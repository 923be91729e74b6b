// GET /api/v1/models: every model version with its metrics (scope models:read).
import { prisma } from "@/lib/db";
import { env } from "@/lib/env";
import { parseQuery, requireApiKey } from "@/lib/server/export/http";
import { listModelVersions } from "@/lib/server/export/models";
import type { TModelVersionOut } from "@/lib/shared/export";
import { z } from "zod";

export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  const auth = await requireApiKey(req, "models:read");
  if ("response" in auth) return auth.response;
  const query = parseQuery(new URL(req.url), z.strictObject({}));
  if ("response" in query) return query.response;
  const models: TModelVersionOut[] = await listModelVersions(prisma, env().PAIRWISE_DATA_DIR);
  return Response.json({ models }, { headers: { "cache-control": "no-store" } });
}
