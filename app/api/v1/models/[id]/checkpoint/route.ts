// GET /api/v1/models/{id}/checkpoint: the model's checkpoint folder as a tar stream
// (scope models:download). Only folders inside the data directory are served.
import { env } from "@/lib/env";
import { apiError, requireApiKey } from "@/lib/server/export/http";
import { checkpointDownload } from "@/lib/server/models/download";

export const dynamic = "force-dynamic";

export async function GET(
  req: Request,
  ctx: { params: Promise<{ id: string }> },
): Promise<Response> {
  const auth = await requireApiKey(req, "models:download");
  if ("response" in auth) return auth.response;
  const { id } = await ctx.params;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id))
    return apiError(400, "invalid_parameter", 'Invalid parameter "id": not a model version id', {
      parameter: "id",
    });
  const download = await checkpointDownload(id, env().PAIRWISE_DATA_DIR);
  return download.ok ? download.response : apiError(download.status, "not_found", download.message);
}
