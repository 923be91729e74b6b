"use client";
// A button for a move that cannot be undone (finish collecting, cancel a round, publish, revoke a
// key): it opens a modal dialog that says what will happen, and only its confirm button acts.
// The native <dialog> (modal) gives the role, the focus trap and Escape to close.
import { useId, useRef, useState, type ReactNode } from "react";

export function ConfirmButton({
  children,
  title,
  body,
  confirmLabel,
  onConfirm,
  className,
  disabled,
  danger = false,
}: {
  children: ReactNode;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  className?: string;
  disabled?: boolean;
  danger?: boolean;
}) {
  // The dialog exists only while open, so a closed one adds nothing to the page's text.
  // Closing goes through the element (focus returns to the button), then its close event unmounts it.
  const [open, setOpen] = useState(false);
  const dialog = useRef<HTMLDialogElement | null>(null);
  const titleId = useId();
  const bodyId = useId();
  const close = () => dialog.current?.close();
  return (
    <>
      <button type="button" disabled={disabled} onClick={() => setOpen(true)} className={className}>
        {children}
      </button>
      {open && (
        <dialog
          ref={(el) => {
            dialog.current = el;
            if (el && !el.open) el.showModal();
          }}
          onClose={() => setOpen(false)}
          aria-labelledby={titleId}
          aria-describedby={bodyId}
          className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-lg border border-slate-200 p-5 text-left shadow-xl backdrop:bg-slate-900/40"
        >
          <h2 id={titleId} className="text-lg font-semibold">
            {title}
          </h2>
          <div id={bodyId} className="mt-2 text-sm text-slate-700">
            {body}
          </div>
          <div className="mt-5 flex justify-end gap-2">
            <button
              type="button"
              autoFocus
              onClick={close}
              className="rounded-md border border-slate-300 px-4 py-2 text-sm hover:bg-slate-100"
            >
              Keep as is
            </button>
            <button
              type="button"
              onClick={() => {
                close();
                onConfirm();
              }}
              className={`rounded-md px-4 py-2 text-sm font-medium text-white ${danger ? "bg-red-700 hover:bg-red-800" : "bg-indigo-600 hover:bg-indigo-700"}`}
            >
              {confirmLabel}
            </button>
          </div>
        </dialog>
      )}
    </>
  );
}

/** Moves of the round lifecycle that cannot be taken back, and what to say before each. */
export const IRREVERSIBLE_MOVES: Record<string, { title: string; body: string; confirm: string }> =
  {
    collecting: {
      title: "Finish collecting?",
      body: "Annotators get no more items from this round and its configuration is frozen. This cannot be undone.",
      confirm: "Finish collecting",
    },
    evaluating: {
      title: "Publish this round?",
      body: "Its new policy becomes the latest policy that samples the next round's pairs. This cannot be undone.",
      confirm: "Publish",
    },
  };
