"use client";
// The comparison's keyboard: 1/2 choose a side, the degree and safety keys set them, Enter (or
// Ctrl/Cmd+Enter while typing) submits, k opens the skip dialog, Esc closes it, ? shows the keys.
import { useEffect } from "react";
import type { TSetLabel } from "./label-fields";
import { DEGREE_KEYS, SAFETY_KEYS, SIDE_KEYS, isTyping } from "./shortcuts";

export function useLabelKeys({
  setLabel,
  isSafety,
  skipOpen,
  setSkipOpen,
  onSubmit,
  onHelp,
}: {
  setLabel: TSetLabel;
  isSafety: boolean;
  skipOpen: boolean;
  setSkipOpen: (open: boolean) => void;
  onSubmit: () => void;
  onHelp: () => void;
}) {
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        onSubmit();
        return;
      }
      if (isTyping(e.target) || e.altKey || e.ctrlKey || e.metaKey) return;
      const key = e.key.toLowerCase();
      if (skipOpen) {
        if (e.key === "Escape") setSkipOpen(false);
        return;
      }
      if (key in SIDE_KEYS) setLabel((l) => ({ ...l, side: SIDE_KEYS[key]! }));
      else if (key in DEGREE_KEYS) setLabel((l) => ({ ...l, degree: DEGREE_KEYS[key]! }));
      else if (isSafety && key in SAFETY_KEYS)
        setLabel((l) => ({ ...l, safety: SAFETY_KEYS[key]! }));
      else if (e.key === "Enter" && !(e.target instanceof HTMLButtonElement)) onSubmit();
      else if (key === "k") setSkipOpen(true);
      else if (e.key === "?") onHelp();
      else return;
      e.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });
}
