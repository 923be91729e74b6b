"use client";
// The inputs of a launch form (./launch-form.tsx): a field of the job-kind table's form by its
// type (number, select, checkbox, policy), a group of checkboxes (reward axes, rounds), and the
// training method (full / LoRA with rank and alpha).
import type { TJobFormField } from "@/lib/shared/jobs";
import { Field, TextInput, fieldId, inputClass } from "./form-fields";

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

/** The training method of a launch form (kinds whose config has `method`): the engine's default
 * (LoRA above 1 B parameters, full below), full fine-tuning, or LoRA with its rank and alpha. */
export type TMethodValues = {
  method: "" | "full" | "lora";
  rank: string;
  alpha: string;
  saveMerged: boolean;
};
export const METHOD_DEFAULTS: TMethodValues = {
  method: "",
  rank: "8",
  alpha: "",
  saveMerged: false,
};

export function MethodFields({
  kind,
  values,
  errors,
  onChange,
}: {
  kind: string;
  values: TMethodValues;
  errors: Record<string, string>;
  onChange: (v: TMethodValues) => void;
}) {
  const path = (name: string) => `${kind}.${name}`;
  return (
    <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
      <Field
        path={path("method")}
        label="Method"
        help="Full fine-tuning trains every weight; LoRA trains low-rank adapters on a frozen base (far less memory)."
        error={errors.method}
      >
        <select
          id={fieldId(path("method"))}
          value={values.method}
          onChange={(e) =>
            onChange({ ...values, method: e.target.value as TMethodValues["method"] })
          }
          className={inputClass}
        >
          <option value="">engine default (LoRA above 1 B parameters)</option>
          <option value="full">full fine-tuning</option>
          <option value="lora">LoRA</option>
        </select>
      </Field>
      {values.method === "lora" && (
        <>
          <Field
            path={path("lora.rank")}
            label="LoRA rank"
            help="1–1024; default 8."
            error={errors["lora.rank"]}
          >
            <TextInput
              path={path("lora.rank")}
              value={values.rank}
              error={errors["lora.rank"]}
              onChange={(rank) => onChange({ ...values, rank })}
            />
          </Field>
          <Field
            path={path("lora.alpha")}
            label="LoRA alpha"
            help="Adapter scale is alpha / rank; empty = 2 × rank."
            error={errors["lora.alpha"]}
          >
            <TextInput
              path={path("lora.alpha")}
              value={values.alpha}
              error={errors["lora.alpha"]}
              onChange={(alpha) => onChange({ ...values, alpha })}
            />
          </Field>
          <Field
            path={path("saveMerged")}
            label="Merged checkpoint"
            help="Also save base + adapter merged, a Hugging Face checkpoint usable anywhere."
          >
            <input
              id={fieldId(path("saveMerged"))}
              type="checkbox"
              checked={values.saveMerged}
              onChange={(e) => onChange({ ...values, saveMerged: e.target.checked })}
            />
          </Field>
        </>
      )}
    </div>
  );
}
