"use client";
// A radio group drawn as chips, each showing its keyboard shortcut.

export function ChipGroup<T extends string>({
  name,
  label,
  options,
  value,
  onChange,
  text,
  keys,
}: {
  name: string;
  label: string;
  options: readonly T[];
  value: T | null;
  onChange: (v: T) => void;
  text: Record<T, string>;
  keys: Record<string, T>;
}) {
  return (
    <div className="flex flex-wrap gap-2" role="radiogroup" aria-label={label}>
      {options.map((o) => (
        <label
          key={o}
          className={`cursor-pointer rounded-md border px-3 py-1.5 text-sm has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-indigo-400 ${value === o ? "border-indigo-600 bg-indigo-50" : "border-slate-300"}`}
        >
          <input
            type="radio"
            name={name}
            value={o}
            checked={value === o}
            onChange={() => onChange(o)}
            className="sr-only"
          />
          <kbd className="mr-1.5 font-mono text-xs text-slate-500">
            {Object.keys(keys).find((k) => keys[k] === o)}
          </kbd>
          {text[o]}
        </label>
      ))}
    </div>
  );
}
