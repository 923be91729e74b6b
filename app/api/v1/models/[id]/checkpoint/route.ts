// GET /api/v1/models/{id}/checkpoint: the model's checkpoint folder as a tar stream
// (scope models:download). Only folders inside the data directory are served.
import { prisma } from "@/lib/db";
import { env } from "@/lib/env";
import { apiError, requireApiKey } from "@/lib/server/export/http";
import { checkpointFiles, resolveCheckpoint, tarStream } from "@/lib/server/export/models";

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
  const model = await prisma.modelVersion.findUnique({ where: { id } });
  if (!model) return apiError(404, "not_found", "No such model version");
  const checkpoint = await resolveCheckpoint(model.artifactPath, env().PAIRWISE_DATA_DIR);
  if (!checkpoint.ok)
    return apiError(
      404,
      "not_found",
      checkpoint.reason === "outside_data_dir"
        ? "This model's checkpoint is not in the data directory; it cannot be downloaded here"
        : "This model's checkpoint folder does not exist",
    );
  const files = await checkpointFiles(checkpoint.dir);
  const size = files.reduce((n, f) => n + 512 + Math.ceil(f.size / 512) * 512, 1024);
  return new Response(tarStream(checkpoint.dir, files), {
    headers: {
      "content-type": "application/x-tar",
      "content-length": String(size),
      "content-disposition": `attachment; filename="${model.name.replace(/[^A-Za-z0-9._-]/g, "_")}.tar"`,
      "cache-control": "no-store",
    },
  });
}
