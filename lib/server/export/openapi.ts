import "server-only";
// The OpenAPI 3.1 document of /api/v1, generated from the zod schemas in lib/shared/export.ts
// (zod 4's JSON Schema output is draft 2020-12, which OpenAPI 3.1 uses as is), so the document
// cannot drift from what the handlers validate and write.
import { z } from "zod";
import {
  API_SCOPES,
  ZApiError,
  ZExportQuery,
  ZHhRlhfRow,
  ZModelList,
  ZRoundList,
  ZNativeRow,
  ZTrlRow,
} from "@/lib/shared/export";
import {
  ZDemonstrationExportQuery,
  ZDemonstrationRow,
  ZTrlMessagesRow,
} from "@/lib/shared/demonstration-export";

type TJson = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: "input" | "output" = "output"): TJson {
  const out = z.toJSONSchema(s, {
    io,
    unrepresentable: "any",
    target: "draft-2020-12",
  }) as TJson;
  delete out.$schema;
  return out;
}

/** The named schemas (`.meta({ id })`), with references between them as component references. */
function componentSchemas(): Record<string, TJson> {
  const named = [
    ZApiError,
    ZNativeRow,
    ZTrlRow,
    ZHhRlhfRow,
    ZModelList,
    ZRoundList,
    ZDemonstrationRow,
    ZTrlMessagesRow,
  ];
  const ids = new Set(named.map((s) => z.globalRegistry.get(s)?.id));
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    io: "output",
    unrepresentable: "any",
    target: "draft-2020-12",
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, TJson> };
  const out: Record<string, TJson> = {};
  const wanted = (id: string) =>
    ids.has(id) || ["ModelVersion", "Response", "Round", "Sampling", "Vote"].includes(id);
  for (const [id, schema] of Object.entries(schemas)) {
    if (!wanted(id)) continue;
    delete schema.$schema;
    delete schema.$id;
    out[id] = schema;
  }
  return out;
}

function queryParameters(shape: Record<string, unknown> = ZExportQuery.shape): TJson[] {
  return Object.entries(shape).map(([name, s]) => {
    const schema = schemaOf(s as z.ZodType, "input");
    const description = typeof schema.description === "string" ? schema.description : undefined;
    delete schema.description;
    return { name, in: "query", required: false, description, schema };
  });
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const authErrors = {
  "401": errorResponse("Missing, malformed, unknown or revoked API key"),
  "403": errorResponse("The key lacks the scope"),
  "429": errorResponse("Rate limit of the key exceeded; see Retry-After"),
};

export function openApiDocument(): TJson {
  return {
    openapi: "3.1.0",
    info: {
      title: "Pairwise dataset export API",
      version: "1.0.0",
      description:
        "Preference comparisons, approved demonstrations and model versions of a Pairwise instance. Authenticate with an API key created by an admin: `Authorization: Bearer pw_…`. Scopes: " +
        API_SCOPES.join(", ") +
        ".",
    },
    servers: [{ url: "/" }],
    security: [{ apiKey: [] }],
    paths: {
      "/api/v1/comparisons": {
        get: {
          operationId: "exportComparisons",
          summary: "Export annotated comparisons (one row per label) as NDJSON or Parquet",
          description:
            "Rows in a stable (submitted at, id) order. Without `limit` the whole result is streamed; with it, a page, and `X-Next-Cursor` when more may follow. Labels appear once they are final (about a minute after submission).",
          "x-scope": "comparisons:read",
          parameters: queryParameters(),
          responses: {
            "200": {
              description: "NDJSON: one row per line in the requested format; or a Parquet file",
              headers: {
                "X-Next-Cursor": {
                  description: "Cursor of the next page (paged requests only)",
                  schema: { type: "string" },
                },
              },
              content: {
                "application/x-ndjson": {
                  schema: {
                    oneOf: [
                      { $ref: "#/components/schemas/NativeRow" },
                      { $ref: "#/components/schemas/TrlRow" },
                      { $ref: "#/components/schemas/HhRlhfRow" },
                    ],
                  },
                },
                "application/vnd.apache.parquet": {
                  schema: { type: "string", contentMediaType: "application/vnd.apache.parquet" },
                },
              },
            },
            "400": errorResponse("A malformed or unknown parameter, named in the message"),
            ...authErrors,
          },
        },
      },
      "/api/v1/demonstrations": {
        get: {
          operationId: "exportDemonstrations",
          summary: "Export approved demonstrations (supervised fine-tuning data) as NDJSON",
          description:
            "Only approved demonstrations, in a stable (approved at, id) order; a reviewer's edit replaces the annotator's text in `messages` (native rows keep the original too). Without `limit` the whole result is streamed; with it, a page, and `X-Next-Cursor` when more may follow. Approvals appear about 5 s after they are made.",
          "x-scope": "demonstrations:read",
          parameters: queryParameters(ZDemonstrationExportQuery.shape),
          responses: {
            "200": {
              description: "NDJSON: one demonstration per line in the requested format",
              headers: {
                "X-Next-Cursor": {
                  description: "Cursor of the next page (paged requests only)",
                  schema: { type: "string" },
                },
              },
              content: {
                "application/x-ndjson": {
                  schema: {
                    oneOf: [
                      { $ref: "#/components/schemas/DemonstrationRow" },
                      { $ref: "#/components/schemas/TrlMessagesRow" },
                    ],
                  },
                },
              },
            },
            "400": errorResponse("A malformed or unknown parameter, named in the message"),
            ...authErrors,
          },
        },
      },
      "/api/v1/rounds": {
        get: {
          operationId: "listRounds",
          summary:
            "Each round's collection metadata: labels, comparisons by state, resamples and dropped identical pairs",
          "x-scope": "comparisons:read",
          responses: {
            "200": {
              description: "Every round, by number",
              content: {
                "application/json": { schema: { $ref: "#/components/schemas/RoundList" } },
              },
            },
            "400": errorResponse("An unknown parameter (this endpoint takes none)"),
            ...authErrors,
          },
        },
      },
      "/api/v1/models": {
        get: {
          operationId: "listModels",
          summary: "Model versions with their metrics",
          "x-scope": "models:read",
          responses: {
            "200": {
              description: "Every model version, oldest first",
              content: {
                "application/json": { schema: { $ref: "#/components/schemas/ModelList" } },
              },
            },
            ...authErrors,
          },
        },
      },
      "/api/v1/models/{id}/checkpoint": {
        get: {
          operationId: "downloadCheckpoint",
          summary: "The checkpoint folder of a model version as a tar stream",
          "x-scope": "models:download",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": {
              description: "An uncompressed tar of the folder (Hugging Face layout)",
              content: { "application/x-tar": { schema: { type: "string" } } },
            },
            "404": errorResponse(
              "No such model, or its checkpoint is not a folder in the data directory",
            ),
            ...authErrors,
          },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "pw_… API key" },
      },
      schemas: componentSchemas(),
    },
  };
}
