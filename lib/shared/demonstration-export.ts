// The export API's demonstrations (GET /api/v1/demonstrations): query parameters and the two row
// formats. Only approved demonstrations are exported; the OpenAPI document is generated from these.
import { z } from "zod";
import { ZExportQuery } from "./export";
import { ZAxis, ZMessages } from "./protocol";

export const DEMONSTRATION_FORMATS = ["native", "trl"] as const;

/** Query parameters of GET /api/v1/demonstrations; unknown parameters are refused. */
export const ZDemonstrationExportQuery = z.strictObject({
  format: z.enum(DEMONSTRATION_FORMATS).default("native").meta({
    description:
      "native (everything known, NDJSON) or trl (TRL's conversational `messages` rows for SFTTrainer)",
  }),
  round: ZExportQuery.shape.round,
  axis: ZExportQuery.shape.axis,
  cursor: z
    .string()
    .max(200)
    .optional()
    .meta({ description: "Opaque: X-Next-Cursor of the previous page, or a native row's cursor" }),
  limit: ZExportQuery.shape.limit,
});
export type TDemonstrationExportQuery = z.output<typeof ZDemonstrationExportQuery>;

export const ZDemonstrationRow = z
  .object({
    id: z.string().meta({ description: "The demonstration id" }),
    cursor: z.string().meta({ description: "Resume after this row with ?cursor=" }),
    createdAt: z.iso.datetime().meta({ description: "When the annotator submitted it" }),
    approvedAt: z.iso.datetime().meta({ description: "When it was approved (the export order)" }),
    round: z.number().int(),
    axis: ZAxis,
    promptId: z.string(),
    messages: ZMessages.meta({
      description:
        "The dialogue used for training, ending with the assistant's ideal reply: the reviewer's edit when there is one",
    }),
    edited: z
      .boolean()
      .meta({ description: "A reviewer edited it; `original` is the annotator's" }),
    original: ZMessages.meta({ description: "The dialogue as the annotator wrote it" }),
    sample: z
      .object({
        text: z.string(),
        modelVersionId: z.string().nullable(),
        modelVersion: z.string().nullable(),
        sampling: z.record(z.string(), z.unknown()).nullable(),
      })
      .nullable()
      .meta({
        description:
          "The model sample the annotator started the last reply from (before editing), or null",
      }),
    annotator: z.string().meta({ description: "Pseudonymous, stable annotator id" }),
    timeSpentMs: z.number().int(),
  })
  .meta({ id: "DemonstrationRow" });
export type TDemonstrationRow = z.infer<typeof ZDemonstrationRow>;

/** TRL's conversational language-modeling format (SFTTrainer): one dialogue per row. */
export const ZTrlMessagesRow = z
  .object({ messages: ZMessages.min(2) })
  .meta({ id: "TrlMessagesRow" });
export type TTrlMessagesRow = z.infer<typeof ZTrlMessagesRow>;
