// GET /api/admin/models/{id}/download[?variant=adapter|merged] (admin session): the checkpoint
// folder as a tar stream, the same download as the export API's /api/v1/models/{id}/checkpoint;
// a LoRA version's PEFT adapter or merged checkpoint by `variant` (lib/server/models/download.ts).
import { env } from "@/lib/env";
import { DOWNLOAD_VARIANTS, checkpointDownload } from "@/lib/server/models/download";
import { requireAdminRequest } from "../../../admin-request";

export const dynamic = "force-dynamic";

export async function GET(
  req: Request,
  ctx: { params: Promise<{ id: string }> },
): Promise<Response> {
  const auth = await requireAdminRequest(req, { mutation: false });
  if ("response" in auth) return auth.response;
  const { id } = await ctx.params;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id))
    return Response.json({ ok: false, error: "Not a model version id" }, { status: 400 });
  const variant = new URL(req.url).searchParams.get("variant") ?? "checkpoint";
  if (!(DOWNLOAD_VARIANTS as readonly string[]).includes(variant))
    return Response.json(
      { ok: false, error: `variant must be ${DOWNLOAD_VARIANTS.join(", ")}` },
      { status: 400 },
    );
  const download = await checkpointDownload(
    id,
    env().PAIRWISE_DATA_DIR,
    variant as (typeof DOWNLOAD_VARIANTS)[number],
  );
  return download.ok
    ? download.response
    : Response.json({ ok: false, error: download.message }, { status: download.status });
}
