import "server-only";
// A model version's checkpoint as a tar download, for the export API (API key) and the admin
// pages (admin session) alike: the folder must be inside the data directory (see export/models).
import { prisma } from "@/lib/db";
import { checkpointFiles, resolveCheckpoint, tarStream } from "@/lib/server/export/models";

export type TCheckpointDownload =
  { ok: true; response: Response } | { ok: false; status: 404; message: string };

export async function checkpointDownload(
  id: string,
  dataDir: string,
): Promise<TCheckpointDownload> {
  const model = await prisma.modelVersion.findUnique({ where: { id } });
  if (!model) return { ok: false, status: 404, message: "No such model version" };
  const checkpoint = await resolveCheckpoint(model.artifactPath, dataDir);
  if (!checkpoint.ok)
    return {
      ok: false,
      status: 404,
      message:
        checkpoint.reason === "outside_data_dir"
          ? "This model's checkpoint is not in the data directory; it cannot be downloaded here"
          : "This model's checkpoint folder does not exist",
    };
  const files = await checkpointFiles(checkpoint.dir);
  const size = files.reduce((n, f) => n + 512 + Math.ceil(f.size / 512) * 512, 1024);
  return {
    ok: true,
    response: new Response(tarStream(checkpoint.dir, files), {
      headers: {
        "content-type": "application/x-tar",
        "content-length": String(size),
        "content-disposition": `attachment; filename="${model.name.replace(/[^A-Za-z0-9._-]/g, "_")}.tar"`,
        "cache-control": "no-store",
      },
    }),
  };
}
