import "server-only";
// Model versions for the export API, and checkpoint downloads. A checkpoint is the folder at
// `artifactPath`; it is sent as an uncompressed tar stream (`curl … | tar x`), file by file, so a
// 13 GB checkpoint never sits in memory. Only folders inside the data directory are served:
// `artifactPath` is data, and data must not be able to point the server at /etc.
import { createReadStream } from "node:fs";
import { lstat, readdir, realpath } from "node:fs/promises";
import path from "node:path";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { TModelVersionOut } from "@/lib/shared/export";

export async function listModelVersions(
  db: PrismaClient,
  dataDir: string,
): Promise<TModelVersionOut[]> {
  const models = await db.modelVersion.findMany({
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    include: { round: { select: { number: true } } },
  });
  return Promise.all(
    models.map(async (m) => ({
      id: m.id,
      name: m.name,
      kind: m.kind,
      parentId: m.parentId,
      round: m.round?.number ?? null,
      metrics: m.metrics ?? null,
      createdAt: m.createdAt.toISOString(),
      downloadable: (await resolveCheckpoint(m.artifactPath, dataDir)).ok,
    })),
  );
}

export type TCheckpoint =
  { ok: true; dir: string } | { ok: false; reason: "outside_data_dir" | "missing" };

/** The real folder of a checkpoint, if it is a folder inside the data directory. */
export async function resolveCheckpoint(
  artifactPath: string,
  dataDir: string,
): Promise<TCheckpoint> {
  let root: string;
  let dir: string;
  try {
    root = await realpath(path.resolve(dataDir));
    dir = await realpath(path.resolve(root, artifactPath));
  } catch {
    return { ok: false, reason: "missing" };
  }
  if (dir !== root && !dir.startsWith(root + path.sep))
    return { ok: false, reason: "outside_data_dir" };
  if (dir === root) return { ok: false, reason: "outside_data_dir" };
  const st = await lstat(dir);
  return st.isDirectory() ? { ok: true, dir } : { ok: false, reason: "missing" };
}

/** Regular files under `dir`, relative paths, sorted; symbolic links are skipped, never followed. */
export async function checkpointFiles(
  dir: string,
): Promise<{ rel: string; size: number; mtime: Date }[]> {
  const out: { rel: string; size: number; mtime: Date }[] = [];
  async function walk(rel: string) {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) {
        const st = await lstat(path.join(dir, r));
        out.push({ rel: r, size: st.size, mtime: st.mtime });
      }
    }
  }
  await walk("");
  return out;
}

// ───────────────────────────── tar (POSIX ustar) ─────────────────────────────

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

/** One 512-byte ustar header; names over 100 bytes use the 155-byte prefix field. */
export function tarHeader(name: string, size: number, mtime: Date): Uint8Array {
  const h = Buffer.alloc(512);
  let prefix = "";
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100)
      throw new Error(`path too long for tar: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100, "utf8");
  h.write(octal(0o644, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii");
  h.write(octal(0, 8), 116, "ascii");
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, "ascii");
  h.write("        ", 148, "ascii"); // checksum field counts as spaces while summing
  h.write("0", 156, "ascii");
  h.write("ustar\0" + "00", 257, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + " ", 148, "ascii");
  return new Uint8Array(h);
}

/** The folder as a tar stream, read one chunk at a time as the client pulls. */
export function tarStream(dir: string, files: { rel: string; size: number; mtime: Date }[]) {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (const f of files) {
      yield tarHeader(f.rel, f.size, f.mtime);
      let sent = 0;
      // `end` caps the read at the size in the header, should the file grow meanwhile.
      if (f.size > 0)
        for await (const chunk of createReadStream(path.join(dir, f.rel), { end: f.size - 1 })) {
          sent += (chunk as Buffer).length;
          yield new Uint8Array(chunk as Buffer);
        }
      if (sent < f.size) yield new Uint8Array(f.size - sent); // the file shrank: pad with zeros
      if (f.size % 512) yield new Uint8Array(512 - (f.size % 512));
    }
    yield new Uint8Array(1024); // two zero blocks end the archive
  }
  const it = chunks();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await it.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await it.return(undefined);
    },
  });
}
