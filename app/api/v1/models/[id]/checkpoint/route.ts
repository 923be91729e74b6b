// GET /api/v1/models/{id}/checkpoint: the model's checkpoint folder as a tar stream
// (scope models:download); `?variant=adapter|merged` for a LoRA version's PEFT adapter or merged
// checkpoint. Only folders inside the data directory are served.
import { env } from "@/lib/env";
import { apiError, requireApiKey } from "@/lib/server/export/http";
import { DOWNLOAD_VARIANTS, checkpointDownload } from "@/lib/server/models/download";

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
  const variant = new URL(req.url).searchParams.get("variant") ?? "checkpoint";
  if (!(DOWNLOAD_VARIANTS as readonly string[]).includes(variant))
    return apiError(
      400,
      "invalid_parameter",
      `Invalid parameter "variant": must be ${DOWNLOAD_VARIANTS.join(", ")}`,
      { parameter: "variant" },
    );
  const download = await checkpointDownload(
    id,
    env().PAIRWISE_DATA_DIR,
    variant as (typeof DOWNLOAD_VARIANTS)[number],
  );
  return download.ok ? download.response : apiError(download.status, "not_found", download.message);
}
