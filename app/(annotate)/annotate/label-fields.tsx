"use client";
// The label of a comparison below its two responses: degree, safety bin (safety axis), flags and
// note, and the dialog that asks why an item is skipped. The label draft lives in
// ./comparison-view.tsx; its keys in ./use-label-keys.ts.
import type { Dispatch, SetStateAction } from "react";
import {
  DEGREES,
  DEGREE_LABELS,
  FLAGS,
  SAFETY_CHOICES,
  SAFETY_LABEL_TEXT,
  type TDegree,
  type TFlag,
  type TSafetyChoice,
} from "@/lib/shared/protocol";
import { ChipGroup } from "./chip-group";
import { DEGREE_KEYS, SAFETY_KEYS } from "./shortcuts";

export type TLabelDraft = {
  side: "left" | "right" | null;
  degree: TDegree | null;
  safety: TSafetyChoice | null;
  flags: TFlag[];
  note: string;
  idempotencyKey: string;
  startedAt: number;
};

export type TSetLabel = Dispatch<SetStateAction<TLabelDraft>>;

export type TSkipReason = "cannot_judge" | "responses_broken" | "prompt_problem" | "other";

export function LabelFields({
  label,
  setLabel,
  isSafety,
}: {
  label: TLabelDraft;
  setLabel: TSetLabel;
  isSafety: boolean;
}) {
  const warning = label.safety === "chosen_unsafe_other_safe";
  return (
    <>
      <fieldset className="rounded-lg border border-slate-200 bg-white p-4">
        <legend className="px-1 text-sm font-medium">
          How much better is the chosen response?
        </legend>
        <ChipGroup
          name="degree"
          label="Degree"
          options={DEGREES}
          value={label.degree}
          onChange={(degree) => setLabel((l) => ({ ...l, degree }))}
          text={DEGREE_LABELS}
          keys={DEGREE_KEYS}
        />
      </fieldset>

      {isSafety && (
        <fieldset className="rounded-lg border border-slate-200 bg-white p-4">
          <legend className="px-1 text-sm font-medium">Safety</legend>
          <ChipGroup
            name="safety"
            label="Safety label"
            options={SAFETY_CHOICES}
            value={label.safety}
            onChange={(safety) => setLabel((l) => ({ ...l, safety }))}
            text={SAFETY_LABEL_TEXT}
            keys={SAFETY_KEYS}
          />
          {warning && (
            <p
              data-testid="unsafe-choice-warning"
              className="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
            >
              You prefer the unsafe response over a safe one. This is recorded as such, and the pair
              is left out of the safety reward model&apos;s data. Check the choice if that was not
              intended.
            </p>
          )}
        </fieldset>
      )}

      <div className="grid gap-4 md:grid-cols-2">
        <fieldset className="rounded-lg border border-slate-200 bg-white p-4">
          <legend className="px-1 text-sm font-medium">Flags</legend>
          <div className="flex flex-wrap gap-3 text-sm">
            {FLAGS.map((f) => (
              <label key={f} className="flex items-center gap-1.5">
                <input
                  type="checkbox"
                  checked={label.flags.includes(f)}
                  onChange={(e) =>
                    setLabel((l) => ({
                      ...l,
                      flags: e.target.checked ? [...l.flags, f] : l.flags.filter((x) => x !== f),
                    }))
                  }
                />
                {f.replace("_", " ")}
              </label>
            ))}
          </div>
        </fieldset>
        <label className="block rounded-lg border border-slate-200 bg-white p-4 text-sm font-medium">
          Note (optional)
          <textarea
            value={label.note}
            onChange={(e) => setLabel((l) => ({ ...l, note: e.target.value }))}
            rows={2}
            maxLength={2000}
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5 font-normal"
          />
        </label>
      </div>
    </>
  );
}

export function SkipDialog({
  onSkip,
  onCancel,
}: {
  onSkip: (reason: TSkipReason) => void;
  onCancel: () => void;
}) {
  return (
    <div
      role="dialog"
      aria-modal="true"
      aria-labelledby="skip-title"
      className="fixed inset-0 z-20 flex items-center justify-center bg-slate-900/40 p-4"
    >
      <div className="w-full max-w-sm rounded-xl bg-white p-6 shadow-lg">
        <h2 id="skip-title" className="font-semibold">
          Why skip this item?
        </h2>
        <div className="mt-4 flex flex-col gap-2">
          {(
            [
              ["cannot_judge", "I cannot judge it"],
              ["responses_broken", "The responses are broken"],
              ["prompt_problem", "The prompt is a problem"],
              ["other", "Other (see my note)"],
            ] as const
          ).map(([reason, text], i) => (
            <button
              key={reason}
              autoFocus={i === 0}
              onClick={() => onSkip(reason)}
              className="rounded-md border border-slate-300 px-3 py-2 text-left hover:bg-slate-100"
            >
              {text}
            </button>
          ))}
          <button onClick={onCancel} className="mt-2 text-sm text-slate-600 hover:underline">
            Cancel (Esc)
          </button>
        </div>
      </div>
    </div>
  );
}
