"use client";
// The round configuration as a form: every field explained in one line, validated with the same
// schema as the server (lib/shared/round-config.ts) and its message shown under the field. Read-only
// once the round has left draft and collecting (the server refuses a change then too).
import { numberText } from "@/lib/shared/format";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { ZRoundConfig, type TRoundConfig } from "@/lib/shared/round-config";
import {
  Field,
  TextInput,
  fieldId,
  inputClass,
  issuesByPath,
  parseNumber,
  type TFieldErrors,
} from "./form-fields";

const AXES = ["helpfulness", "safety"] as const;

type TDraft = Record<string, string | boolean>;

function toDraft(c: TRoundConfig): TDraft {
  const d: TDraft = {};
  c.variants.forEach((v, i) => {
    d[`variants.${i}.model`] = v.model;
    d[`variants.${i}.temperature`] = numberText(v.temperature);
    d[`variants.${i}.topP`] = numberText(v.topP);
    d[`variants.${i}.maxTokens`] = numberText(v.maxTokens);
  });
  for (const a of AXES) {
    d[`axisMix.${a}`] = numberText(c.axisMix[a]);
    d[`guidelines.${a}`] = c.guidelines[a];
    d[`targets.${a}`] = numberText(c.targets[a]);
  }
  d.overlapRate = numberText(c.overlapRate);
  d.goldRate = numberText(c.goldRate);
  d.maxTurns = numberText(c.maxTurns);
  d.leaseMinutes = numberText(c.leaseMinutes);
  d["promptSources.queued"] = c.promptSources.queued;
  d["promptSources.annotatorWritten"] = c.promptSources.annotatorWritten;
  d.demonstrationShare = numberText(c.demonstrationShare);
  d.demonstrationGuidelines = c.demonstrationGuidelines;
  d.minAnnotationsPerAxis = String(c.minAnnotationsPerAxis);
  d["duplicates.maxResamples"] = String(c.duplicates.maxResamples);
  d["duplicates.temperatureStep"] = String(c.duplicates.temperatureStep);
  d["duplicates.nearDuplicates"] = c.duplicates.nearDuplicates;
  return d;
}

const NUMBER_FIELDS = [
  "variants.0.temperature",
  "variants.0.topP",
  "variants.0.maxTokens",
  "variants.1.temperature",
  "variants.1.topP",
  "variants.1.maxTokens",
  "axisMix.helpfulness",
  "axisMix.safety",
  "targets.helpfulness",
  "targets.safety",
  "overlapRate",
  "goldRate",
  "maxTurns",
  "leaseMinutes",
  "demonstrationShare",
  "minAnnotationsPerAxis",
  "duplicates.maxResamples",
  "duplicates.temperatureStep",
];

/** The draft as a configuration, or the fields that are not numbers. */
function fromDraft(d: TDraft): { value: unknown; errors: TFieldErrors } {
  const errors: TFieldErrors = {};
  const n = (path: string) => {
    const parsed = parseNumber(String(d[path] ?? ""));
    if (typeof parsed === "number") return parsed;
    errors[path] = parsed.error;
    return NaN;
  };
  for (const p of NUMBER_FIELDS) n(p);
  const variant = (i: number) => ({
    model: String(d[`variants.${i}.model`]),
    temperature: n(`variants.${i}.temperature`),
    topP: n(`variants.${i}.topP`),
    maxTokens: n(`variants.${i}.maxTokens`),
  });
  const perAxis = <T,>(f: (a: (typeof AXES)[number]) => T) => ({
    helpfulness: f("helpfulness"),
    safety: f("safety"),
  });
  return {
    errors,
    value: {
      variants: [variant(0), variant(1)],
      axisMix: perAxis((a) => n(`axisMix.${a}`)),
      guidelines: perAxis((a) => String(d[`guidelines.${a}`])),
      targets: perAxis((a) => n(`targets.${a}`)),
      overlapRate: n("overlapRate"),
      goldRate: n("goldRate"),
      maxTurns: n("maxTurns"),
      leaseMinutes: n("leaseMinutes"),
      promptSources: {
        queued: d["promptSources.queued"] === true,
        annotatorWritten: d["promptSources.annotatorWritten"] === true,
      },
      demonstrationShare: n("demonstrationShare"),
      demonstrationGuidelines: String(d.demonstrationGuidelines),
      minAnnotationsPerAxis: n("minAnnotationsPerAxis"),
      duplicates: {
        maxResamples: n("duplicates.maxResamples"),
        temperatureStep: n("duplicates.temperatureStep"),
        nearDuplicates: d["duplicates.nearDuplicates"] === true,
      },
    },
  };
}

export function ConfigForm({
  roundId,
  config,
  editable,
  canManage,
  status,
  policies,
  onSaved,
}: {
  roundId: string;
  config: TRoundConfig;
  editable: boolean;
  canManage: boolean;
  status: string;
  policies: { id: string; name: string }[];
  onSaved: () => void;
}) {
  const trpc = useTRPC();
  const [draft, setDraft] = useState<TDraft>(() => toDraft(config));
  const [errors, setErrors] = useState<TFieldErrors>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const save = useMutation(
    trpc.rounds.updateConfig.mutationOptions({
      onSuccess: () => {
        setMessage({ ok: true, text: "Configuration saved." });
        onSaved();
      },
      onError: (e) => setMessage({ ok: false, text: e.message }),
    }),
  );
  const readOnly = !editable || !canManage;
  const set = (path: string) => (v: string | boolean) => setDraft((d) => ({ ...d, [path]: v }));
  const str = (path: string) => String(draft[path] ?? "");

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const { value, errors: numberErrors } = fromDraft(draft);
    const parsed = ZRoundConfig.safeParse(value);
    const all = { ...(parsed.success ? {} : issuesByPath(parsed.error)), ...numberErrors };
    setErrors(all);
    if (!parsed.success || Object.keys(numberErrors).length) {
      const n = Object.keys(all).length;
      setMessage({ ok: false, text: `${n} field${n === 1 ? " needs" : "s need"} fixing.` });
      return;
    }
    setMessage(null);
    save.mutate({ roundId, config: parsed.data });
  }

  const num = (path: string, label: string, help: string) => (
    <Field path={path} label={label} help={help} error={errors[path]}>
      <TextInput
        path={path}
        value={str(path)}
        onChange={set(path)}
        error={errors[path]}
        disabled={readOnly}
      />
    </Field>
  );

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-labelledby="config-title"
      className="space-y-5 rounded-lg border border-slate-200 bg-white p-4"
      data-testid="config-form"
    >
      <div>
        <h2 id="config-title" className="text-lg font-medium">
          Configuration
        </h2>
        {!editable && (
          <p className="text-sm text-slate-600" data-testid="config-frozen">
            Frozen: a {status.replace("_", " ")} round keeps the configuration it collected with.
          </p>
        )}
      </div>
      <fieldset disabled={readOnly} className="space-y-5">
        <div className="grid gap-4 md:grid-cols-2">
          {[0, 1].map((i) => (
            <fieldset key={i} className="space-y-3 rounded-md border border-slate-200 p-3">
              <legend className="px-1 text-sm font-medium">
                Variant {i === 0 ? "A" : "B"}: how one side of each pair is sampled
              </legend>
              <Field
                path={`variants.${i}.model`}
                label="Model version"
                help="Latest: the newest published policy; previous: the one before it; or one version."
                error={errors[`variants.${i}.model`]}
              >
                <select
                  id={fieldId(`variants.${i}.model`)}
                  value={str(`variants.${i}.model`)}
                  onChange={(e) => set(`variants.${i}.model`)(e.target.value)}
                  className={inputClass}
                >
                  <option value="latest">latest policy</option>
                  <option value="previous">previous policy</option>
                  {policies.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                    </option>
                  ))}
                  {!["latest", "previous", ...policies.map((p) => p.id)].includes(
                    str(`variants.${i}.model`),
                  ) && (
                    <option value={str(`variants.${i}.model`)}>
                      {str(`variants.${i}.model`)} (not a known policy)
                    </option>
                  )}
                </select>
              </Field>
              <div className="grid grid-cols-3 gap-3">
                {num(
                  `variants.${i}.temperature`,
                  "Temperature",
                  "0–2; higher samples more varied responses.",
                )}
                {num(
                  `variants.${i}.topP`,
                  "Top-p",
                  "(0, 1]; nucleus sampling keeps this much probability mass.",
                )}
                {num(`variants.${i}.maxTokens`, "Max tokens", "1–2048; longest response.")}
              </div>
            </fieldset>
          ))}
        </div>

        <fieldset className="rounded-md border border-slate-200 p-3">
          <legend className="px-1 text-sm font-medium">Per axis</legend>
          {errors.axisMix && (
            <p
              className="text-xs font-medium text-red-700"
              data-testid="error-axisMix"
              role="alert"
            >
              Axis mix: {errors.axisMix}
            </p>
          )}
          <div className="grid gap-4 md:grid-cols-2">
            {AXES.map((a) => (
              <div key={a} className="space-y-3">
                <h3 className="text-sm font-medium capitalize">{a}</h3>
                <div className="grid grid-cols-2 gap-3">
                  {num(`axisMix.${a}`, "Share of dialogues", "0–1; the two shares sum to 1.")}
                  {num(
                    `targets.${a}`,
                    "Target annotations",
                    "How many to collect; progress is measured against it.",
                  )}
                </div>
                <Field
                  path={`guidelines.${a}`}
                  label="Guidelines"
                  help="Shown to annotators above every comparison on this axis."
                  error={errors[`guidelines.${a}`]}
                >
                  <textarea
                    id={fieldId(`guidelines.${a}`)}
                    value={str(`guidelines.${a}`)}
                    onChange={(e) => set(`guidelines.${a}`)(e.target.value)}
                    rows={4}
                    className={inputClass}
                  />
                </Field>
              </div>
            ))}
          </div>
        </fieldset>

        <div className="grid gap-4 sm:grid-cols-2 md:grid-cols-3">
          {num(
            "overlapRate",
            "Overlap rate",
            "0–1; share of comparisons sent to a second annotator, for agreement.",
          )}
          {num(
            "goldRate",
            "Gold rate",
            "0–1; share of next items that are gold items with a known answer.",
          )}
          {num(
            "maxTurns",
            "Maximum turns",
            "1–20; after each choice the chosen response becomes the assistant turn.",
          )}
          {num(
            "leaseMinutes",
            "Lease (minutes)",
            "1–240; how long an annotator holds an item before it returns to the queue.",
          )}
          {num(
            "demonstrationShare",
            "Demonstration share",
            "0–1; share of tasks where annotators write the ideal response instead.",
          )}
          {num(
            "minAnnotationsPerAxis",
            "Minimum annotations per axis",
            "Non-rejected annotations each axis needs before reward-model training.",
          )}
          {num(
            "duplicates.maxResamples",
            "Resamples of identical pairs",
            "0–10; when both responses are the same, side B is sampled again up to this often, then the item is dropped.",
          )}
          {num(
            "duplicates.temperatureStep",
            "Resample temperature step",
            "0–1; each resample of side B is this much hotter (at most 2), so a repeated answer is less likely.",
          )}
        </div>
        <label className="flex items-center gap-1.5 text-sm">
          <input
            type="checkbox"
            checked={draft["duplicates.nearDuplicates"] === true}
            onChange={(e) => set("duplicates.nearDuplicates")(e.target.checked)}
          />
          Near-duplicates count as identical (responses differing only in case or punctuation)
        </label>

        <Field
          path="demonstrationGuidelines"
          label="Demonstration guidelines"
          help="Shown to annotators above every demonstration task (writing the ideal response)."
          error={errors.demonstrationGuidelines}
        >
          <textarea
            id={fieldId("demonstrationGuidelines")}
            value={str("demonstrationGuidelines")}
            onChange={(e) => set("demonstrationGuidelines")(e.target.value)}
            rows={3}
            className={inputClass}
          />
        </Field>

        <fieldset className="text-sm">
          <legend className="font-medium">Prompt sources</legend>
          <div className="mt-1 flex flex-wrap gap-5">
            <label className="flex items-center gap-1.5">
              <input
                type="checkbox"
                checked={draft["promptSources.queued"] === true}
                onChange={(e) => set("promptSources.queued")(e.target.checked)}
              />
              Queued prompts (imported by admins)
            </label>
            <label className="flex items-center gap-1.5">
              <input
                type="checkbox"
                checked={draft["promptSources.annotatorWritten"] === true}
                onChange={(e) => set("promptSources.annotatorWritten")(e.target.checked)}
              />
              Prompts annotators write
            </label>
          </div>
          <p className="mt-0.5 text-xs text-slate-500">
            Where first user turns come from; at least one must be on.
          </p>
          {errors.promptSources && (
            <p
              className="mt-0.5 text-xs font-medium text-red-700"
              data-testid="error-promptSources"
              role="alert"
            >
              {errors.promptSources}
            </p>
          )}
        </fieldset>
      </fieldset>
      {!readOnly && (
        <div className="flex items-center gap-3">
          <button
            type="submit"
            disabled={save.isPending}
            className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
          >
            Save configuration
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(toDraft(config));
              setErrors({});
              setMessage(null);
            }}
            className="rounded-md border border-slate-300 px-4 py-2 hover:bg-slate-100"
          >
            Reset
          </button>
        </div>
      )}
      {message && (
        <p
          role="status"
          data-testid="config-message"
          className={`rounded-md px-3 py-2 text-sm ${message.ok ? "bg-green-50 text-green-900" : "bg-red-50 text-red-800"}`}
        >
          {message.text}
        </p>
      )}
    </form>
  );
}
