"use client";
// Launch a round's steps: reward-model training, rejection sampling, PPO and evaluation, each with
// a small form built from its schema in lib/shared/jobs.ts (defaults shown, each field explained,
// errors under the field). They call jobs.start with { roundId, spec: { kind, config } }.
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { z } from "zod";
import { useTRPC } from "@/lib/client/trpc";
import {
  ZEvaluateConfig,
  ZPpoConfig,
  ZRejectionSamplingConfig,
  ZTrainRewardConfig,
} from "@/lib/shared/jobs";
import { Field, TextInput, fieldId, inputClass, issuesByPath, parseNumber } from "./form-fields";

type TFieldSpec =
  | { name: string; label: string; help: string; type: "number" }
  | { name: string; label: string; help: string; type: "select"; options: [string, string][] }
  | { name: string; label: string; help: string; type: "checkbox" }
  /** A policy ModelVersion id, or the default (left out of the config). */
  | { name: string; label: string; help: string; type: "policy"; defaultLabel: string };

type TKind = "train_reward" | "rejection_sampling" | "ppo" | "evaluate";

const SEED: TFieldSpec = {
  name: "seed",
  label: "Seed",
  help: "Same seed, same data and config: same result.",
  type: "number",
};

const FORMS: {
  kind: TKind;
  title: string;
  description: string;
  button: string;
  schema: z.ZodType;
  fields: TFieldSpec[];
}[] = [
  {
    kind: "train_reward",
    title: "Train reward models",
    description:
      "A helpfulness and a safety reward model on the non-rejected comparisons of this round and the earlier ones, loss −log σ(r_chosen − r_rejected − m(degree)), evaluated by degree (Table 8).",
    button: "Start reward-model training",
    schema: ZTrainRewardConfig,
    fields: [
      {
        name: "margins",
        label: "Margin",
        help: "m(degree) for significantly / better / slightly / negligibly better.",
        type: "select",
        options: [
          ["none", "none (0, 0, 0, 0)"],
          ["small", "small (1, ⅔, ⅓, 0)"],
          ["large", "large (3, 2, 1, 0)"],
        ],
      },
      { name: "epochs", label: "Epochs", help: "1–20; the paper trains 1.", type: "number" },
      {
        name: "learningRate",
        label: "Learning rate",
        help: "Peak, cosine decay to 10 %; paper 1e-5.",
        type: "number",
      },
      { name: "batchSize", label: "Batch (pairs)", help: "1–512 pairs per step.", type: "number" },
      {
        name: "testFraction",
        label: "Held-out share",
        help: "0.05–0.5 of prompts kept for Table 8.",
        type: "number",
      },
      {
        name: "helpfulnessSafetyShare",
        label: "Safety pairs in helpfulness data",
        help: "0–2 per helpfulness pair (1 = equal share).",
        type: "number",
      },
      {
        name: "safetyHelpfulnessShare",
        label: "Helpfulness pairs in safety data",
        help: "0–0.5 (0.1 = the paper's 90/10).",
        type: "number",
      },
      {
        name: "baseModelId",
        label: "Trunk from",
        help: "The policy whose weights start the reward model.",
        type: "policy",
        defaultLabel: "latest policy",
      },
      SEED,
    ],
  },
  {
    kind: "rejection_sampling",
    title: "Rejection sampling",
    description:
      "K samples per prompt from the policy, scored by the reward models; the best per prompt is pooled with the best of earlier rounds and the policy is fine-tuned on the pool (loss on answers only).",
    button: "Start rejection sampling",
    schema: ZRejectionSamplingConfig,
    fields: [
      {
        name: "promptCount",
        label: "Prompts",
        help: "From this round's pool plus earlier rounds'.",
        type: "number",
      },
      { name: "k", label: "K samples", help: "1–64 per prompt; best one kept.", type: "number" },
      { name: "temperature", label: "Temperature", help: "(0, 2] while sampling.", type: "number" },
      { name: "topP", label: "Top-p", help: "(0, 1].", type: "number" },
      { name: "maxTokens", label: "Max tokens", help: "Longest sample.", type: "number" },
      {
        name: "reward",
        label: "Reward",
        help: "Combined R_c picks safety for safety prompts.",
        type: "select",
        options: [
          ["combined", "combined R_c"],
          ["helpfulness", "helpfulness only"],
          ["safety", "safety only"],
        ],
      },
      {
        name: "epochs",
        label: "Epochs",
        help: "Fine-tuning passes over the pool.",
        type: "number",
      },
      { name: "learningRate", label: "Learning rate", help: "Fine-tuning.", type: "number" },
      {
        name: "batchSize",
        label: "Batch size",
        help: "Fine-tuning sequences per step.",
        type: "number",
      },
      {
        name: "baseModelId",
        label: "Policy",
        help: "Sampled from and fine-tuned.",
        type: "policy",
        defaultLabel: "current published policy",
      },
      SEED,
    ],
  },
  {
    kind: "ppo",
    title: "PPO",
    description:
      "Rollouts scored by whiten(logit(R_c)) minus β·KL per token against a frozen reference; clipped surrogate, value head, GAE. Stops early when KL runs away.",
    button: "Start PPO",
    schema: ZPpoConfig,
    fields: [
      { name: "iterations", label: "Iterations", help: "Rollout + update rounds.", type: "number" },
      {
        name: "rolloutBatch",
        label: "Rollout batch",
        help: "Prompts per iteration.",
        type: "number",
      },
      { name: "minibatchSize", label: "Minibatch", help: "Rollouts per update.", type: "number" },
      { name: "ppoEpochs", label: "PPO epochs", help: "Passes per rollout batch.", type: "number" },
      { name: "klBeta", label: "KL β", help: "Per-token penalty; paper 0.01.", type: "number" },
      { name: "clip", label: "Clip", help: "Ratio clip ε; paper 0.2.", type: "number" },
      { name: "learningRate", label: "Learning rate", help: "Constant.", type: "number" },
      { name: "temperature", label: "Temperature", help: "Rollout sampling.", type: "number" },
      { name: "maxTokens", label: "Max tokens", help: "Longest rollout.", type: "number" },
      { name: "klStop", label: "KL stop", help: "Stop when mean KL exceeds it.", type: "number" },
      { name: "promptCount", label: "Prompts", help: "Prompt pool size.", type: "number" },
      {
        name: "baseModelId",
        label: "Start from",
        help: "Also the frozen reference.",
        type: "policy",
        defaultLabel: "this round's RS policy, else the current",
      },
      SEED,
    ],
  },
  {
    kind: "evaluate",
    title: "Evaluate",
    description:
      "The new policy against the previous one: win / tie / loss by the reward models (and the demo world's oracle) with 95 % intervals, unsafe compliance and over-refusal. Stored on the round.",
    button: "Start evaluation",
    schema: ZEvaluateConfig,
    fields: [
      {
        name: "modelId",
        label: "New policy",
        help: "The policy under test.",
        type: "policy",
        defaultLabel: "this round's newest policy",
      },
      {
        name: "baselineId",
        label: "Baseline",
        help: "What it is compared with.",
        type: "policy",
        defaultLabel: "the policy it descends from",
      },
      {
        name: "promptSet",
        label: "Prompts",
        help: "Held-out prompts the policies never trained on.",
        type: "select",
        options: [
          ["demo_heldout", "demo world held-out (with oracle)"],
          ["round", "this round's unused prompts"],
        ],
      },
      { name: "promptCount", label: "Prompt count", help: "1–10000.", type: "number" },
      { name: "temperature", label: "Temperature", help: "0–2 for both policies.", type: "number" },
      { name: "maxTokens", label: "Max tokens", help: "Longest response.", type: "number" },
      {
        name: "tieMargin",
        label: "Tie margin",
        help: "|ΔR_c| below this is a tie.",
        type: "number",
      },
      {
        name: "humanEval",
        label: "Queue for humans",
        help: "Also a blind side-by-side task for annotators.",
        type: "checkbox",
      },
      SEED,
    ],
  },
];

function defaultsOf(form: (typeof FORMS)[number]): Record<string, string | boolean> {
  const defaults = form.schema.parse({}) as Record<string, unknown>;
  const d: Record<string, string | boolean> = {};
  for (const f of form.fields) {
    const v = defaults[f.name];
    d[f.name] = f.type === "checkbox" ? v === true : v === undefined ? "" : String(v);
  }
  return d;
}

function LaunchForm({
  form,
  roundId,
  roundIds,
  policies,
  onStarted,
}: {
  form: (typeof FORMS)[number];
  roundId: string;
  /** Rounds whose data train the reward models: this one and the earlier ones. */
  roundIds: string[];
  policies: { id: string; name: string }[];
  onStarted: () => void;
}) {
  const trpc = useTRPC();
  const [values, setValues] = useState(() => defaultsOf(form));
  const [axes, setAxes] = useState<("helpfulness" | "safety")[]>(["helpfulness", "safety"]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const start = useMutation(
    trpc.jobs.start.mutationOptions({
      onSuccess: () => {
        setMessage({ ok: true, text: "Queued; follow it under Jobs below." });
        onStarted();
      },
      onError: (e) => setMessage({ ok: false, text: e.message }),
    }),
  );
  const defaults = form.schema.parse({}) as Record<string, unknown>;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const config: Record<string, unknown> = {};
    const numberErrors: Record<string, string> = {};
    for (const f of form.fields) {
      const v = values[f.name];
      if (f.type === "number") {
        const n = parseNumber(String(v));
        if (typeof n === "number") config[f.name] = n;
        else numberErrors[f.name] = n.error;
      } else if (f.type === "checkbox") config[f.name] = v === true;
      else if (f.type === "policy") {
        if (v) config[f.name] = v;
      } else config[f.name] = v;
    }
    if (form.kind === "train_reward") {
      config.axes = axes;
      config.roundIds = roundIds;
    }
    const parsed = form.schema.safeParse(config);
    const all = { ...(parsed.success ? {} : issuesByPath(parsed.error)), ...numberErrors };
    setErrors(all);
    if (!parsed.success || Object.keys(numberErrors).length) {
      setMessage({ ok: false, text: "Fix the fields marked below." });
      return;
    }
    setMessage(null);
    start.mutate({ roundId, spec: { kind: form.kind, config: parsed.data } } as Parameters<
      typeof start.mutate
    >[0]);
  }

  const idPrefix = `${form.kind}.`;
  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={form.title}
      className="space-y-3"
      data-testid={`launch-${form.kind}`}
    >
      <p className="text-sm text-slate-600">{form.description}</p>
      {form.kind === "train_reward" && (
        <fieldset className="text-sm">
          <legend className="font-medium">Reward models</legend>
          <div className="mt-1 flex gap-4">
            {(["helpfulness", "safety"] as const).map((axis) => (
              <label key={axis} className="flex items-center gap-1.5 capitalize">
                <input
                  type="checkbox"
                  checked={axes.includes(axis)}
                  onChange={(e) =>
                    setAxes((a) => (e.target.checked ? [...a, axis] : a.filter((x) => x !== axis)))
                  }
                />
                {axis}
              </label>
            ))}
          </div>
          {errors.axes && (
            <p className="text-xs font-medium text-red-700" role="alert">
              {errors.axes}
            </p>
          )}
        </fieldset>
      )}
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        {form.fields.map((f) => {
          const path = idPrefix + f.name;
          const d = defaults[f.name];
          const help = d === undefined ? f.help : `${f.help} Default ${String(d)}.`;
          return (
            <Field key={f.name} path={path} label={f.label} help={help} error={errors[f.name]}>
              {f.type === "number" ? (
                <TextInput
                  path={path}
                  value={String(values[f.name])}
                  error={errors[f.name]}
                  onChange={(v) => setValues((s) => ({ ...s, [f.name]: v }))}
                />
              ) : f.type === "checkbox" ? (
                <input
                  id={fieldId(path)}
                  type="checkbox"
                  checked={values[f.name] === true}
                  onChange={(e) => setValues((s) => ({ ...s, [f.name]: e.target.checked }))}
                />
              ) : (
                <select
                  id={fieldId(path)}
                  value={String(values[f.name])}
                  onChange={(e) => setValues((s) => ({ ...s, [f.name]: e.target.value }))}
                  className={inputClass}
                >
                  {f.type === "select"
                    ? f.options.map(([v, label]) => (
                        <option key={v} value={v}>
                          {label}
                        </option>
                      ))
                    : [
                        <option key="" value="">
                          {f.defaultLabel}
                        </option>,
                        ...policies.map((p) => (
                          <option key={p.id} value={p.id}>
                            {p.name}
                          </option>
                        )),
                      ]}
                </select>
              )}
            </Field>
          );
        })}
      </div>
      <div className="flex items-center gap-3">
        <button
          type="submit"
          disabled={start.isPending}
          className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
        >
          {form.button}
        </button>
        {message && (
          <p
            role="status"
            data-testid={`launch-message-${form.kind}`}
            className={`text-sm ${message.ok ? "text-green-800" : "text-red-800"}`}
          >
            {message.text}
          </p>
        )}
      </div>
    </form>
  );
}

/** The four steps as tabs; the one matching the round's stage is open first. */
export function LaunchPanel({
  roundId,
  status,
  roundIds,
  policies,
  onStarted,
}: {
  roundId: string;
  status: string;
  roundIds: string[];
  policies: { id: string; name: string }[];
  onStarted: () => void;
}) {
  const initial: TKind =
    status === "rlhf"
      ? "rejection_sampling"
      : status === "evaluating"
        ? "evaluate"
        : "train_reward";
  const [open, setOpen] = useState<TKind>(initial);
  const form = FORMS.find((f) => f.kind === open)!;
  return (
    <section
      aria-labelledby="launch-title"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="launch-title" className="text-lg font-medium">
        Train and improve
      </h2>
      <div role="tablist" className="flex flex-wrap gap-2">
        {FORMS.map((f) => (
          <button
            key={f.kind}
            role="tab"
            type="button"
            aria-selected={f.kind === open}
            onClick={() => setOpen(f.kind)}
            className={`rounded-md border px-3 py-1.5 text-sm ${f.kind === open ? "border-indigo-600 bg-indigo-50 text-indigo-900" : "border-slate-300 hover:bg-slate-100"}`}
          >
            {f.title}
          </button>
        ))}
      </div>
      <LaunchForm
        key={form.kind}
        form={form}
        roundId={roundId}
        roundIds={roundIds}
        policies={policies}
        onStarted={onStarted}
      />
    </section>
  );
}
