import "server-only";
// A model version's checkpoint as a tar download, for the export API (API key) and the admin
// pages (admin session) alike: the folder must be inside the data directory (see export/models).
//
// A LoRA version (its metrics say `trainingMethod: "lora"`, lib/worker/handlers/engine-job.ts)
// has two downloads: its PEFT adapter folder (`adapterDir`, the artifact path; variant
// "checkpoint" or "adapter") and, when the job saved one, the merged Hugging Face checkpoint
// (`mergedDir`; variant "merged"). A merged folder inside the adapter folder (reward models:
// `<output>/merged`) is left out of the adapter's tar. Both folders pass the same data-directory
// check as every checkpoint.
import path from "node:path";
import { prisma } from "@/lib/db";
import type { ModelVersion } from "@/lib/generated/prisma/client";
import { checkpointFiles, resolveCheckpoint, tarStream } from "@/lib/server/export/models";

export const DOWNLOAD_VARIANTS = ["checkpoint", "adapter", "merged"] as const;
export type TDownloadVariant = (typeof DOWNLOAD_VARIANTS)[number];

export type TCheckpointDownload =
  { ok: true; response: Response } | { ok: false; status: 404; message: string };

/** How a version was trained and its LoRA folders, from its metrics (absent for older rows). */
export function modelArtifacts(m: Pick<ModelVersion, "artifactPath" | "metrics">): {
  trainingMethod: string | null;
  adapterDir: string | null;
  mergedDir: string | null;
} {
  const metrics = (m.metrics ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : null);
  const trainingMethod = str(metrics.trainingMethod);
  return {
    trainingMethod,
    adapterDir: str(metrics.adapterDir) ?? (trainingMethod === "lora" ? m.artifactPath : null),
    mergedDir: str(metrics.mergedDir),
  };
}

/** The folder a variant names for a version, or the sentence saying it has none. */
function variantFolder(
  model: ModelVersion,
  variant: TDownloadVariant,
): { dir: string } | { missing: string } {
  const a = modelArtifacts(model);
  if (variant === "checkpoint") return { dir: model.artifactPath };
  if (variant === "adapter")
    return a.adapterDir
      ? { dir: a.adapterDir }
      : { missing: "This model version was not trained with LoRA: it has no adapter to download" };
  return a.mergedDir
    ? { dir: a.mergedDir }
    : {
        missing:
          "This model version has no merged checkpoint: start its job with LoRA and the merged checkpoint option",
      };
}

export async function checkpointDownload(
  id: string,
  dataDir: string,
  variant: TDownloadVariant = "checkpoint",
): Promise<TCheckpointDownload> {
  const model = await prisma.modelVersion.findUnique({ where: { id } });
  if (!model) return { ok: false, status: 404, message: "No such model version" };
  const folder = variantFolder(model, variant);
  if ("missing" in folder) return { ok: false, status: 404, message: folder.missing };
  const checkpoint = await resolveCheckpoint(folder.dir, dataDir);
  if (!checkpoint.ok)
    return {
      ok: false,
      status: 404,
      message:
        checkpoint.reason === "outside_data_dir"
          ? "This model's checkpoint is not in the data directory; it cannot be downloaded here"
          : "This model's checkpoint folder does not exist",
    };
  let files = await checkpointFiles(checkpoint.dir);
  // The adapter alone: a merged checkpoint saved inside the adapter folder is its own download.
  const { mergedDir } = modelArtifacts(model);
  if (variant !== "merged" && mergedDir) {
    const merged = await resolveCheckpoint(mergedDir, dataDir);
    const rel = merged.ok ? path.relative(checkpoint.dir, merged.dir) : null;
    if (rel && !rel.startsWith("..") && !path.isAbsolute(rel))
      files = files.filter((f) => !f.rel.startsWith(rel.split(path.sep).join("/") + "/"));
  }
  const size = files.reduce((n, f) => n + 512 + Math.ceil(f.size / 512) * 512, 1024);
  return {
    ok: true,
    response: new Response(tarStream(checkpoint.dir, files), {
      headers: {
        "content-type": "application/x-tar",
        "content-length": String(size),
        "content-disposition": `attachment; filename="${model.name.replace(/[^A-Za-z0-9._-]/g, "_")}${variant === "checkpoint" ? "" : `-${variant}`}.tar"`,
        "cache-control": "no-store",
      },
    }),
  };
}
