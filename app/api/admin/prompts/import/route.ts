// POST /api/admin/prompts/import (admin session): a multipart form with `file` (CSV or JSONL),
// `mode` = "validate" (the report, nothing written) or "import", and `acceptValid` = "1" to import
// the valid rows of a file that has problems. Answers TImportResponse as JSON.
import { DomainError } from "@/lib/server/errors";
import {
  checkPromptFile,
  importPromptFile,
  tooBigMessage,
  unsupportedTypeMessage,
} from "@/lib/server/prompts/import";
import { IMPORT_MAX_BYTES, importFormatOf, type TImportResponse } from "@/lib/shared/prompt-import";
import { requireAdminRequest } from "../../admin-request";

export const dynamic = "force-dynamic";

const reply = (body: TImportResponse, status = 200) => Response.json(body, { status });

export async function POST(req: Request): Promise<Response> {
  const auth = await requireAdminRequest(req, { mutation: true });
  if ("response" in auth) return auth.response;
  // Refuse an oversized upload before reading it (the multipart envelope adds a little).
  const length = Number(req.headers.get("content-length") ?? "0");
  if (length > IMPORT_MAX_BYTES + 64 * 1024)
    return reply({ ok: false, error: tooBigMessage(length) }, 413);
  let form: FormData;
  try {
    form = await req.formData();
  } catch {
    return reply({ ok: false, error: "Send the file as a multipart form field named file" }, 400);
  }
  const file = form.get("file");
  if (!(file instanceof File))
    return reply({ ok: false, error: "Choose a file to upload (form field file)" }, 400);
  if (!importFormatOf(file.name))
    return reply({ ok: false, error: unsupportedTypeMessage(file.name) }, 415);
  if (file.size > IMPORT_MAX_BYTES)
    return reply({ ok: false, error: tooBigMessage(file.size) }, 413);
  const mode = form.get("mode") ?? "validate";
  if (mode !== "validate" && mode !== "import")
    return reply({ ok: false, error: 'mode must be "validate" or "import"' }, 400);
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return reply({ ok: false, error: `${file.name} is not UTF-8 text; save it as UTF-8` }, 415);
  }
  if (text.includes("\u0000"))
    return reply(
      { ok: false, error: `${file.name} looks binary, not a CSV or JSONL text file` },
      415,
    );
  try {
    if (mode === "validate")
      return reply({ ok: true, report: await checkPromptFile(file.name, text) });
    const result = await importPromptFile(auth.user.id, file.name, text, {
      acceptValid: form.get("acceptValid") === "1",
    });
    return reply({ ok: true, report: result.report, imported: result.imported });
  } catch (error) {
    if (error instanceof DomainError) {
      const status = error.code === "CONFLICT" ? 409 : error.code === "NOT_FOUND" ? 404 : 400;
      return reply({ ok: false, error: error.message }, status);
    }
    throw error;
  }
}
