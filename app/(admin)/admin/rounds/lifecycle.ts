// The round lifecycle as the dashboard names it: the button that moves each status on.
export const NEXT_ACTION: Record<string, string> = {
  draft: "Start collecting",
  collecting: "Finish collecting",
  training_rewards: "Move to RLHF",
  rlhf: "Evaluate",
  evaluating: "Publish",
};

export const STATUS_STYLE: Record<string, string> = {
  draft: "bg-slate-100 text-slate-800",
  collecting: "bg-indigo-100 text-indigo-900",
  training_rewards: "bg-sky-100 text-sky-900",
  rlhf: "bg-violet-100 text-violet-900",
  evaluating: "bg-amber-100 text-amber-900",
  published: "bg-green-100 text-green-900",
  cancelled: "bg-red-100 text-red-900",
};

export { roundStateLabel as statusText } from "@/lib/shared/messages";

export const canCancel = (s: string) => s !== "published" && s !== "cancelled";
