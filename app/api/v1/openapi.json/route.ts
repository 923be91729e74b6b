// GET /api/v1/openapi.json: the OpenAPI 3.1 document, generated from the zod schemas. Public.
import { openApiDocument } from "@/lib/server/export/openapi";

export const dynamic = "force-static";

export function GET(): Response {
  return Response.json(openApiDocument());
}
