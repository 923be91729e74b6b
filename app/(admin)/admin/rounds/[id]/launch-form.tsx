"use client";
// One job's launch form, built from its kind's entry in the job-kind table (lib/shared/jobs.ts):
// the fields with their defaults and help, errors under each field, and jobs.start with
// { roundId, spec: { kind, config } }. Used by a round's page (every kind) and by the Jobs page
// (the kinds that need no round), so each kind has exactly one form.
import { numberText } from "@/lib/shared/format";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { z } from "zod";
import { useTRPC } from "@/lib/client/trpc";
import { JOB_KIND_TABLE, ZJobSpec, type TJobFormField, type TJobKind } from "@/lib/shared/jobs";
import { Field, issuesByPath, parseNumber } from "./form-fields";
import {
  Checkboxes,
  FieldInput,
  METHOD_DEFAULTS,
  MethodFields,
  type TMethodValues,
} from "./launch-fields";

type TValues = Record<string, string | boolean>;
type TAxis = "helpfulness" | "safety";

function defaultsOf(kind: TJobKind): Record<string, unknown> {
  return JOB_KIND_TABLE[kind].config.parse({}) as Record<string, unknown>;
}

function initialValues(kind: TJobKind): TValues {
  const defaults = defaultsOf(kind);
  const fields: TJobFormField[] = JOB_KIND_TABLE[kind].form.fields;
  return Object.fromEntries(
    fields.map((f) => {
      const v = defaults[f.name];
      return [
        f.name,
        f.type === "checkbox"
          ? v === true
          : v === undefined
            ? ""
            : typeof v === "number"
              ? numberText(v)
              : String(v),
      ];
    }),
  );
}

/** Whether a kind's config takes a training method (full / LoRA). */
function takesMethod(kind: TJobKind): boolean {
  const config = JOB_KIND_TABLE[kind].config as unknown as { shape?: Record<string, unknown> };
  return Boolean(config.shape && "method" in config.shape);
}

/** `method` / `lora` of the config from the method fields, with the messages of bad numbers. */
function methodConfigOf(values: TMethodValues) {
  const config: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  if (!values.method) return { config, errors };
  config.method = values.method;
  if (values.method !== "lora") return { config, errors };
  const lora: Record<string, number> = {};
  const rank = parseNumber(values.rank);
  if (typeof rank === "number") lora.rank = rank;
  else errors["lora.rank"] = rank.error;
  if (values.alpha.trim() !== "") {
    const alpha = parseNumber(values.alpha);
    if (typeof alpha === "number") lora.alpha = alpha;
    else errors["lora.alpha"] = alpha.error;
  }
  config.lora = lora;
  if (values.saveMerged) config.saveMerged = true;
  return { config, errors };
}

/** The config the form's values say, with the messages of the number fields that are not numbers. */
function configOf(fields: TJobFormField[], values: TValues) {
  const config: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.type === "number") {
      const n = parseNumber(String(v));
      if (typeof n === "number") config[f.name] = n;
      else errors[f.name] = n.error;
    } else if (f.type === "checkbox") config[f.name] = v === true;
    else if (f.type === "policy") {
      if (v) config[f.name] = v;
    } else config[f.name] = v;
  }
  return { config, errors };
}

export function LaunchForm({
  kind,
  roundId,
  roundIds,
  roundChoices,
  policies,
  onStarted,
  showDescription = true,
}: {
  kind: TJobKind;
  /** The round the job belongs to; none for a job launched from the Jobs page. */
  roundId?: string | undefined;
  /** The rounds whose data the job uses (a round's page: this one and the earlier ones). */
  roundIds?: string[];
  /** Without `roundIds`: the rounds to pick from (none picked = all). */
  roundChoices?: { id: string; label: string }[];
  policies: { id: string; name: string }[];
  onStarted: () => void;
  showDescription?: boolean;
}) {
  const trpc = useTRPC();
  const form = JOB_KIND_TABLE[kind].form;
  const fields: TJobFormField[] = form.fields;
  const [values, setValues] = useState(() => initialValues(kind));
  const [axes, setAxes] = useState<TAxis[]>(["helpfulness", "safety"]);
  const [picked, setPicked] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [methodValues, setMethodValues] = useState<TMethodValues>(METHOD_DEFAULTS);
  const [planText, setPlanText] = useState<{ fits: boolean | null; text: string } | null>(null);
  const withMethod = takesMethod(kind);
  const queryClient = useQueryClient();
  const [planning, setPlanning] = useState(false);
  const start = useMutation(
    trpc.jobs.start.mutationOptions({
      onSuccess: () => {
        setMessage({ ok: true, text: "Queued; follow it under Jobs below." });
        onStarted();
      },
      onError: (e) => setMessage({ ok: false, text: e.message }),
    }),
  );
  const defaults = defaultsOf(kind);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const { config, errors: fieldErrors } = configOf(fields, values);
    const method = withMethod
      ? methodConfigOf(methodValues)
      : { config: {}, errors: {} as Record<string, string> };
    Object.assign(config, method.config);
    const numberErrors = { ...fieldErrors, ...method.errors };
    if (form.axes) config.axes = axes;
    if (form.roundIds) config.roundIds = roundIds ?? picked;
    const schema: z.ZodType = JOB_KIND_TABLE[kind].config;
    const parsed = schema.safeParse(config);
    const all = { ...(parsed.success ? {} : issuesByPath(parsed.error)), ...numberErrors };
    setErrors(all);
    const spec = ZJobSpec.safeParse({ kind, config: parsed.data });
    if (!parsed.success || !spec.success || Object.keys(numberErrors).length) {
      setMessage({ ok: false, text: "Fix the fields marked below." });
      return;
    }
    setMessage(null);
    setPlanText(null);
    // The engine's memory plan first: a job that cannot fit is not submitted.
    if (withMethod) {
      try {
        setPlanning(true);
        const p = await queryClient.fetchQuery({
          ...trpc.jobs.plan.queryOptions({ roundId, spec: spec.data }),
          staleTime: 0,
        });
        setPlanText({ fits: p.fits, text: p.message });
        if (p.checked && !p.fits) {
          setMessage({
            ok: false,
            text: "Not started: the job does not fit in the engine's memory (see above).",
          });
          return;
        }
      } catch (e) {
        setMessage({ ok: false, text: e instanceof Error ? e.message : String(e) });
        return;
      } finally {
        setPlanning(false);
      }
    }
    start.mutate({ roundId, spec: spec.data });
  }

  const idPrefix = `${kind}.`;
  return (
    <form
      onSubmit={(e) => void onSubmit(e)}
      noValidate
      aria-label={form.title}
      className="space-y-3"
      data-testid={`launch-${kind}`}
    >
      {showDescription && <p className="text-sm text-slate-600">{form.description}</p>}
      {form.roundIds && !roundIds && roundChoices && (
        <Checkboxes
          legend="Rounds (none selected = all)"
          options={roundChoices.map((r): [string, string] => [r.id, r.label])}
          checked={picked}
          onChange={setPicked}
          error={errors.roundIds}
        />
      )}
      {form.axes && (
        <Checkboxes<TAxis>
          legend="Reward models"
          options={[
            ["helpfulness", "helpfulness"],
            ["safety", "safety"],
          ]}
          capitalize
          checked={axes}
          onChange={setAxes}
          error={errors.axes}
        />
      )}
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        {fields.map((f) => {
          const path = idPrefix + f.name;
          const d = defaults[f.name];
          const help = d === undefined ? f.help : `${f.help} Default ${String(d)}.`;
          return (
            <Field key={f.name} path={path} label={f.label} help={help} error={errors[f.name]}>
              <FieldInput
                f={f}
                path={path}
                value={values[f.name]}
                error={errors[f.name]}
                policies={policies}
                onChange={(v) => setValues((s) => ({ ...s, [f.name]: v }))}
              />
            </Field>
          );
        })}
      </div>
      {withMethod && (
        <MethodFields
          kind={kind}
          values={methodValues}
          errors={errors}
          onChange={setMethodValues}
        />
      )}
      {planText && (
        <p
          data-testid={`launch-plan-${kind}`}
          className={`text-sm ${planText.fits === false ? "font-medium text-red-800" : "text-slate-600"}`}
        >
          Memory plan: {planText.text}
        </p>
      )}
      <div className="flex items-center gap-3">
        <button
          type="submit"
          disabled={start.isPending || planning}
          className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
        >
          {form.button}
        </button>
        {message && (
          <p
            role="status"
            data-testid={`launch-message-${kind}`}
            className={`text-sm ${message.ok ? "text-green-800" : "text-red-800"}`}
          >
            {message.text}
          </p>
        )}
      </div>
    </form>
  );
}
