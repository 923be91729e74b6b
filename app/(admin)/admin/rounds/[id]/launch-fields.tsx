"use client";
// The inputs of a launch form (./launch-form.tsx): a field of the job-kind table's form by its
// type (number, select, checkbox, policy), and a group of checkboxes (reward axes, rounds).
import type { TJobFormField } from "@/lib/shared/jobs";
import { TextInput, fieldId, inputClass } from "./form-fields";

export function Checkboxes<T extends string>({
  legend,
  options,
  checked,
  onChange,
  error,
  capitalize = false,
}: {
  legend: string;
  options: [T, string][];
  checked: T[];
  onChange: (next: T[]) => void;
  error?: string | undefined;
  capitalize?: boolean;
}) {
  return (
    <fieldset className="text-sm">
      <legend className="font-medium">{legend}</legend>
      <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
        {options.map(([value, label]) => (
          <label
            key={value}
            className={`flex items-center gap-1.5 ${capitalize ? "capitalize" : ""}`}
          >
            <input
              type="checkbox"
              checked={checked.includes(value)}
              onChange={(e) =>
                onChange(
                  e.target.checked ? [...checked, value] : checked.filter((x) => x !== value),
                )
              }
            />
            {label}
          </label>
        ))}
      </div>
      {error && (
        <p className="text-xs font-medium text-red-700" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

export function FieldInput({
  f,
  path,
  value,
  error,
  policies,
  onChange,
}: {
  f: TJobFormField;
  path: string;
  value: string | boolean | undefined;
  error: string | undefined;
  policies: { id: string; name: string }[];
  onChange: (v: string | boolean) => void;
}) {
  if (f.type === "number")
    return <TextInput path={path} value={String(value)} error={error} onChange={onChange} />;
  if (f.type === "checkbox")
    return (
      <input
        id={fieldId(path)}
        type="checkbox"
        checked={value === true}
        onChange={(e) => onChange(e.target.checked)}
      />
    );
  const options: [string, string][] =
    f.type === "select"
      ? f.options
      : [["", f.defaultLabel], ...policies.map((p): [string, string] => [p.id, p.name])];
  return (
    <select
      id={fieldId(path)}
      value={String(value)}
      onChange={(e) => onChange(e.target.value)}
      className={inputClass}
    >
      {options.map(([v, label]) => (
        <option key={v} value={v}>
          {label}
        </option>
      ))}
    </select>
  );
}
