"use client";
// Form pieces shared by the round configuration and the job launch forms: a labelled field with
// its one-line explanation and its own validation message, and zod issues turned into messages
// keyed by field path.
import type { ReactNode } from "react";
import type { z } from "zod";

export type TFieldErrors = Record<string, string>;

/** zod issues → { "variants.0.temperature": "…" } (the first message per path). */
export function issuesByPath(error: z.ZodError): TFieldErrors {
  const out: TFieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".");
    out[key] ??= issue.message;
  }
  return out;
}

/** A number typed into a text box, or a message when it is not one. */
export function parseNumber(raw: string): number | { error: string } {
  const text = raw.trim();
  if (text === "") return { error: "enter a number" };
  const n = Number(text);
  return Number.isFinite(n) ? n : { error: `"${text}" is not a number` };
}

export const fieldId = (path: string) => `f-${path.replace(/\./g, "-")}`;

export function Field({
  path,
  label,
  help,
  error,
  children,
  className = "",
}: {
  path: string;
  label: string;
  help: string;
  error?: string | undefined;
  children: ReactNode;
  className?: string;
}) {
  return (
    <div className={`text-sm ${className}`}>
      <label htmlFor={fieldId(path)} className="block font-medium">
        {label}
      </label>
      <div className="mt-1">{children}</div>
      <p className="mt-0.5 text-xs text-slate-500" id={`${fieldId(path)}-help`}>
        {help}
      </p>
      {error && (
        <p
          className="mt-0.5 text-xs font-medium text-red-700"
          data-testid={`error-${path}`}
          role="alert"
        >
          {error}
        </p>
      )}
    </div>
  );
}

export const inputClass =
  "w-full rounded-md border border-slate-300 px-2 py-1.5 disabled:bg-slate-50 disabled:text-slate-600 aria-[invalid=true]:border-red-500";

export function TextInput({
  path,
  value,
  onChange,
  error,
  disabled,
  inputMode = "decimal",
}: {
  path: string;
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
  disabled?: boolean;
  inputMode?: "decimal" | "numeric" | "text";
}) {
  return (
    <input
      id={fieldId(path)}
      value={value}
      inputMode={inputMode}
      disabled={disabled}
      aria-invalid={error ? true : undefined}
      aria-describedby={`${fieldId(path)}-help`}
      onChange={(e) => onChange(e.target.value)}
      className={inputClass}
    />
  );
}
