import { z } from "zod";
import { ZAxis, ZFlag } from "./protocol";

export const ZListAnnotations = z.object({
  roundId: z.string().max(64).optional(),
  annotatorId: z.string().max(64).optional(),
  axis: ZAxis.optional(),
  flag: ZFlag.optional(),
  status: z.enum(["pending", "approved", "rejected"]).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type TListAnnotations = z.infer<typeof ZListAnnotations>;

export const ZDecide = z
  .object({
    annotationId: z.string().min(1).max(64),
    decision: z.enum(["approved", "rejected"]),
    reason: z
      .string()
      .trim()
      .max(1000, "The reason is too long (at most 1,000 characters)")
      .optional(),
  })
  .refine((d) => d.decision === "approved" || (d.reason?.length ?? 0) > 0, {
    message: "Say why you reject it",
    path: ["reason"],
  });

export const ZStatsFilter = z.object({ roundId: z.string().max(64).optional() });
