// The workspace's keyboard map, in one place: the handler and the help overlay both read it.
import type { TDegree, TSafetyChoice } from "@/lib/shared/protocol";

export const SIDE_KEYS: Record<string, "left" | "right"> = { "1": "left", "2": "right" };
export const DEGREE_KEYS: Record<string, TDegree> = {
  a: "significantly_better",
  s: "better",
  d: "slightly_better",
  f: "negligibly_better",
};
export const SAFETY_KEYS: Record<string, TSafetyChoice> = {
  z: "chosen_safe_other_unsafe",
  x: "both_safe",
  c: "both_unsafe",
  v: "chosen_unsafe_other_safe",
};

export const SHORTCUT_HELP: [string, string][] = [
  ["1 / 2", "choose response 1 (left) or 2 (right)"],
  ["a s d f", "degree: significantly better, better, slightly better, negligibly better / unsure"],
  [
    "z x c v",
    "safety: chosen safe & other unsafe, both safe, both unsafe, chosen unsafe & other safe",
  ],
  ["Enter or Ctrl+Enter", "submit the label (Ctrl+Enter also inside text fields)"],
  ["k", "skip this item (asks for a reason)"],
  ["u or Alt+U", "undo the last label (within a minute; Alt+U also inside text fields)"],
  ["c", "in a dialogue you can continue: write the next user turn"],
  ["n", "in a dialogue you can continue: end it and take the next item"],
  ["?", "show or hide this help"],
  ["Esc", "close dialogs; leave a text field, so the keys above work again"],
];

/** True when a key press belongs to a text field rather than to the shortcuts. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return (
    tag === "TEXTAREA" ||
    tag === "SELECT" ||
    (tag === "INPUT" && (target as HTMLInputElement).type === "text") ||
    target.isContentEditable
  );
}
