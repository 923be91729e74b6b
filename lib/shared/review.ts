import { z } from "zod";
import { ZAxis, ZFlag } from "./protocol";

export const ZListAnnotations = z.object({
  roundId: z.string().max(64).optional(),
  annotatorId: z.string().max(64).optional(),
  axis: ZAxis.optional(),
  flag: ZFlag.optional(),
  status: z.enum(["pending", "approved", "rejected"]).optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** The last annotation of the previous page (its `nextCursor`): the page starts after it. */
  cursor: z.string().min(1).max(64).optional(),
});
export type TListAnnotations = z.infer<typeof ZListAnnotations>;

/** Approve several annotations at once (the review queue's bulk approve); rejecting needs a
 * reason per annotation, so it is one at a time. */
export const ZApproveMany = z.object({
  annotationIds: z
    .array(z.string().min(1).max(64))
    .min(1, "Select at least one annotation")
    .max(200, "Approve at most 200 annotations at once"),
});

/** A reviewer's verdict on an item (an annotation, a demonstration): approve, or reject saying
 * why. Extend with the item's id, then `.refine(reasonOnReject, REASON_ON_REJECT)`. */
export const ZVerdict = z.object({
  decision: z.enum(["approved", "rejected"]),
  reason: z
    .string()
    .trim()
    .max(1000, "The reason is too long (at most 1,000 characters)")
    .optional(),
});
/** Refinement of ZVerdict and its extensions: a rejection carries a reason. */
export const reasonOnReject = (d: z.infer<typeof ZVerdict>) =>
  d.decision === "approved" || (d.reason?.length ?? 0) > 0;
export const REASON_ON_REJECT: { message: string; path: string[] } = {
  message: "Say why you reject it",
  path: ["reason"],
};

export const ZDecide = ZVerdict.extend({ annotationId: z.string().min(1).max(64) }).refine(
  reasonOnReject,
  REASON_ON_REJECT,
);

export const ZStatsFilter = z.object({ roundId: z.string().max(64).optional() });
