// GET /api/v1/rounds: each round's collection metadata (scope comparisons:read).
import { z } from "zod";
import { prisma } from "@/lib/db";
import { parseQuery, requireApiKey } from "@/lib/server/export/http";
import { listRoundsMetadata } from "@/lib/server/export/rounds";

export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  const auth = await requireApiKey(req, "comparisons:read");
  if ("response" in auth) return auth.response;
  const query = parseQuery(new URL(req.url), z.strictObject({}));
  if ("response" in query) return query.response;
  const rounds = await listRoundsMetadata(prisma);
  return Response.json({ rounds }, { headers: { "cache-control": "no-store" } });
}
