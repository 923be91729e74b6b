"use client";
// What the Users and Annotators pages share about an account: the green notice after an action,
// and the row's action cell (Disable / Enable where allowed, Reset password). Each page keeps its
// own confirmation and password flow in the callbacks.
import type { ReactNode } from "react";

export function Notice({ testId, children }: { testId: string; children: ReactNode }) {
  return (
    <p data-testid={testId} className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
      {children}
    </p>
  );
}

export function AccountActionsCell(props: {
  className: string;
  /** Whether the account is disabled now (the button then says Enable). */
  disabled: boolean;
  /** false hides Disable / Enable (your own account, an admin's). */
  canDisable: boolean;
  onToggleDisabled: () => void;
  onResetPassword: () => void;
}) {
  return (
    <td className={props.className}>
      {props.canDisable && (
        <button
          onClick={props.onToggleDisabled}
          className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
        >
          {props.disabled ? "Enable" : "Disable"}
        </button>
      )}
      <button
        onClick={props.onResetPassword}
        className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
      >
        Reset password
      </button>
    </td>
  );
}
