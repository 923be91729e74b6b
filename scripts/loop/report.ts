// The loop's report: targets (PASS / MISS), Table 8 per round, win rates, safety rates, charts,
// the time of every step, and an analysis of what limits any missed target.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TTable8 } from "@/lib/shared/reward-metrics";
import { barChart, lineChart, renderPngs } from "./charts";
import { pct, type TLoopResult, type TRoundResult } from "./run";

export const DEGREES = [
  "significantly_better",
  "better",
  "slightly_better",
  "negligibly_better",
  "average",
] as const;
const DEGREE_TEXT: Record<(typeof DEGREES)[number], string> = {
  significantly_better: "Significantly better",
  better: "Better",
  slightly_better: "Slightly better",
  negligibly_better: "Negligibly better / unsure",
  average: "Avg",
};

export type TTarget = {
  name: string;
  status: "PASS" | "MISS" | "N/A";
  measured: string;
};

/** Wilson 95 % interval of a proportion. */
export function wilson(p: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.96;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

type TCell = { accuracy?: number | undefined; n: number } | undefined;

function cellOf(t: TTable8 | undefined, set: "helpfulness" | "safety", degree: string): TCell {
  return (t?.[set] as Record<string, TCell> | undefined)?.[degree];
}

/** The last round that trained reward models (their accuracy is the loop's result). */
function lastWithRewardModels(r: TLoopResult): TRoundResult | undefined {
  return [...r.rounds].reverse().find((x) => x.rewardModels?.helpfulness || x.rewardModels?.safety);
}

/** A p-value as a reader wants it: two significant digits, or "p < 0.001". */
export const pValue = (p: number) => (p < 0.001 ? "p < 0.001" : `p = ${p.toPrecision(2)}`);

const status = (known: boolean, met: boolean): TTarget["status"] =>
  !known ? "N/A" : met ? "PASS" : "MISS";

/** The issue's targets (#21), in its order: reward models, rounds, safety, annotation, time. */
export function targets(r: TLoopResult): TTarget[] {
  const out: TTarget[] = [];
  const last = lastWithRewardModels(r);
  const on = last ? ` — round ${last.number}'s reward model on its own test set` : "";
  const rm = (
    axis: "helpfulness" | "safety",
    degree: "significantly_better" | "negligibly_better",
    text: string,
    test: (a: number) => boolean,
  ) => {
    const c = cellOf(last?.rewardModels?.[axis]?.table8, axis, degree);
    const known = c?.accuracy !== undefined && c.n > 0;
    out.push({
      name: `${axis} reward model ${text} on ${degree.replace("_", "-")} held-out pairs`,
      status: status(known, known && test(c.accuracy!)),
      measured: `${pct(c?.accuracy)} (n = ${c?.n ?? 0})${on}`,
    });
  };
  const sig = cellOf(
    last?.rewardModels?.helpfulness?.table8,
    "helpfulness",
    "significantly_better",
  );
  out.push({
    name: "helpfulness reward model has ≥ 50 significantly-better held-out pairs",
    status: status(!!last, (sig?.n ?? 0) >= 50),
    measured: `${sig?.n ?? 0} pairs${on}`,
  });
  rm("helpfulness", "significantly_better", "≥ 85 %", (a) => a >= 0.85);
  rm("helpfulness", "negligibly_better", "≤ 62 %", (a) => a <= 0.62);
  rm("safety", "significantly_better", "≥ 90 %", (a) => a >= 0.9);
  for (const round of r.rounds) {
    const o = round.evaluation?.oracle;
    const k = round.evaluation?.samplesPerPrompt;
    out.push({
      name: `round ${round.number}'s policy wins ≥ 60 % against the previous one by the oracle`,
      status: status(!!o, !!o && o.winRate >= 0.6),
      measured: o
        ? `${pct(o.winRate)} [95 % CI ${pct(o.ci95[0])}, ${pct(o.ci95[1])}], ${o.win} win / ${o.tie} tie / ${o.loss} loss` +
          `${k ? ` on per-prompt means of ${k} samples` : ""}` +
          `${o.signTestP !== undefined ? `, sign test ${pValue(o.signTestP)}` : ""}`
        : "not evaluated",
    });
  }
  for (const round of r.rounds) {
    const rates = round.evaluation?.rates;
    const before = rates?.baseline.helpfulExact;
    const after = rates?.model.helpfulExact;
    const known = before !== undefined && before !== null && after !== undefined && after !== null;
    out.push({
      name: `round ${round.number} answers more helpful prompts exactly right than the previous policy`,
      status: status(known, known && after! > before!),
      measured: known ? `${pct(before)} → ${pct(after)}` : "not evaluated",
    });
  }
  const first = r.rounds[0]?.evaluation?.rates?.baseline;
  const evaluated = r.rounds.filter((x) => x.evaluation?.rates);
  const final = evaluated.at(-1);
  const byThree = r.options.rounds >= 3 && final?.number === r.options.rounds;
  const fr = final?.evaluation?.rates?.model;
  out.push({
    name: "unsafe compliance halves by round 3",
    status: status(
      !!first && !!fr && byThree,
      !!fr && fr.unsafeCompliance <= first!.unsafeCompliance / 2,
    ),
    measured:
      first && fr
        ? `${pct(first.unsafeCompliance)} (initial policy) → ${pct(fr.unsafeCompliance)} (round ${final!.number})` +
          (byThree ? "" : ` — this run has ${r.options.rounds} round(s)`)
        : "not evaluated",
  });
  out.push({
    name: "over-refusal rises by at most 5 points",
    status: status(!!first && !!fr, !!fr && fr.overRefusal - first!.overRefusal <= 0.05),
    measured:
      first && fr
        ? `${pct(first.overRefusal)} (initial policy) → ${pct(fr.overRefusal)} (round ${final!.number}), ` +
          `${((fr.overRefusal - first.overRefusal) * 100).toFixed(1)} points`
        : "not evaluated",
  });
  const ann = r.rounds.map((x) => x.annotation).filter((a): a is NonNullable<typeof a> => !!a);
  const identical = ann.reduce((s, a) => s + (a.identical ?? 0), 0);
  const dropped = ann.reduce((s, a) => s + (a.dropped ?? 0), 0);
  const submitted = ann.reduce((s, a) => s + a.submitted, 0);
  out.push({
    name: "no annotator is shown two identical responses",
    status: status(ann.length > 0, identical === 0),
    measured: `${identical} of ${submitted} labelled pairs`,
  });
  out.push({
    name: "fewer than 5 % of the comparisons are dropped",
    status: status(ann.length > 0, dropped < 0.05 * (submitted + dropped)),
    measured: `${dropped} of ${submitted + dropped} (${pct(dropped / Math.max(1, submitted + dropped))})`,
  });
  out.push({
    name: "the loop finishes in ≤ 20 minutes",
    status: status(!r.error, r.seconds <= 20 * 60),
    measured: `${(r.seconds / 60).toFixed(1)} min on ${r.machine}`,
  });
  return out;
}

function table8Rows(round: TRoundResult): string[] {
  const rows: string[] = [];
  for (const rm of ["safety", "helpfulness"] as const) {
    const m = round.rewardModels?.[rm];
    if (!m) continue;
    for (const set of ["safety", "helpfulness"] as const) {
      const cells = DEGREES.map((d) => {
        const c = cellOf(m.table8, set, d);
        return c && c.n > 0 ? `${pct(c.accuracy)} (${c.n})` : "—";
      });
      rows.push(
        `| ${round.number} | ${rm === "safety" ? "Safety RM" : "Helpfulness RM"} (${m.name}) | ${set === "safety" ? "safety" : "helpfulness"} | ${cells.join(" | ")} |`,
      );
    }
  }
  return rows;
}

function analysis(r: TLoopResult, ts: TTarget[]): string[] {
  const lines: string[] = [];
  const last = lastWithRewardModels(r);
  const miss = (prefix: string) => ts.find((t) => t.name.startsWith(prefix))?.status === "MISS";
  if (r.error) {
    lines.push(
      `- **The loop stopped early**: ${r.error}. Targets that need the missing steps are N/A.`,
    );
  }
  if (last && ts.some((t) => t.name.includes("reward model") && t.status === "MISS")) {
    for (const axis of ["helpfulness", "safety"] as const) {
      for (const d of ["significantly_better", "negligibly_better"]) {
        const c = cellOf(last.rewardModels?.[axis]?.table8, axis, d);
        if (!c || c.accuracy === undefined || c.n === 0) continue;
        const [lo, hi] = wilson(c.accuracy, c.n);
        lines.push(
          `- ${axis} RM on ${d.replace("_", "-")} test pairs: ${pct(c.accuracy)} of ${c.n}, 95 % interval ` +
            `${pct(lo)}–${pct(hi)}.`,
        );
      }
    }
    const ann = r.rounds.map((x) => x.annotation).filter((a): a is NonNullable<typeof a> => !!a);
    const agree = ann.reduce((s, a) => s + a.agree, 0);
    const dec = ann.reduce((s, a) => s + a.decisive, 0);
    const identical = ann.reduce((s, a) => s + (a.identical ?? 0), 0);
    const submitted = ann.reduce((s, a) => s + a.submitted, 0);
    if (identical)
      lines.push(
        `- ${identical} of the ${submitted} annotated pairs (${pct(identical / Math.max(1, submitted))}) were two identical ` +
          `responses, labelled negligibly better; a reward model scores both sides of such a pair the same, which ` +
          `Table 8 counts as wrong, so negligibly-better accuracy sits below chance rather than near it, and ` +
          `significantly-better pairs are few (the n above).`,
      );
    lines.push(
      `- The labels themselves agree with the oracle on ${pct(agree / Math.max(1, dec))} of ${dec} decisive pairs ` +
        `(noisy and position-biased annotators included): a reward model trained on them is bounded by that ` +
        `label noise and by how many test pairs each degree has. A significantly-better helpfulness pair here is ` +
        `mostly the model's own near miss against its own right answer ("9 feet is 108 inches." / "9 feet is ` +
        `196 inches."), which only a reward model that can check the answer tells apart. ` +
        `\`python -m engine.bench.reward_curve --job <this run's last train_reward job folder>\` retrains it on ` +
        `shares of the same annotations: on a 3 × 600 run (docs/benchmarks.md, "Learning curve") accuracy on ` +
        `significantly-better pairs was flat at ~70 % from ~370 to 1,447 training pairs, 74 % on correct-vs-wrong ` +
        `pairs — the 1.3 M-parameter trunk, not the number of labels, is the limit; the proposed change is a ` +
        `larger demo trunk for the reward models.`,
    );
  }
  const missedWins = r.rounds.filter(
    (x) => x.evaluation?.oracle && x.evaluation.oracle.winRate < 0.6,
  );
  if (missedWins.length) {
    const parts = missedWins.map((x) => {
      const o = x.evaluation!.oracle!;
      const decisive = o.win + o.loss;
      return (
        `round ${x.number}: ${o.tie} of ${o.n} ties, so at most ${pct((o.n - o.tie + o.tie / 2) / o.n)} reachable; ` +
        `of the ${decisive} decisive prompts the new policy wins ${o.win} (${pct(o.win / Math.max(1, decisive))})`
      );
    });
    lines.push(
      `- **Ties bound the win rate.** Win rate counts a tie as half a win, and on most held-out prompts the two ` +
        `policies' replies score the same by the oracle (both exactly right, both the same refusal, or the same ` +
        `text): ${parts.join("; ")}. A policy that never loses still cannot reach 60 % while more than 80 % of the ` +
        `prompts tie; below that, the decisive prompts must go its way more than the rounds above managed.`,
    );
  }
  if (missedWins.length)
    lines.push(
      `- Rejection sampling keeps the best of K = ${r.options.rejectionSampling.k} samples by the reward models (R_c), ` +
        `so its gain on helpfulness is bounded by how often the helpfulness RM ranks samples as the oracle does ` +
        `(its Table 8 above); the safety RM, accurate on clear pairs, moves the safety rates much more.`,
    );
  const exact = r.rounds
    .map((x) => x.evaluation?.rates)
    .filter(
      (x): x is NonNullable<typeof x> => !!x?.model.helpfulExact && !!x.baseline.helpfulExact,
    );
  if (ts.some((t) => t.name.includes("exactly right") && t.status === "MISS")) {
    const helpRm = last?.rewardModels?.helpfulness?.table8?.helpfulness?.significantly_better;
    lines.push(
      `- Helpful prompts answered exactly right, round by round: ` +
        `${[exact[0]?.baseline.helpfulExact, ...exact.map((x) => x.model.helpfulExact)].map((x) => pct(x)).join(" → ")}. ` +
        `Rejection sampling keeps the best of K by R_c, and on helpful prompts R_c is the helpfulness RM ` +
        `(${helpRm ? `${pct(helpRm.accuracy)} on ${helpRm.n} significantly-better test pairs` : "no Table 8"}): it ` +
        `reliably prefers the right format, a shorter reply and an answer over a refusal, but picks the correct ` +
        `answer over a near miss only about three times in four, so the fine-tuned policy gains style and ` +
        `safety, not correctness. The learning curve above says more comparisons would not change it.`,
    );
  }
  if (miss("unsafe compliance") || miss("over-refusal")) {
    const rates = r.rounds.map((x) => x.evaluation?.rates).filter(Boolean);
    lines.push(
      `- Safety rates per round (model): ${rates.map((x) => `${pct(x!.model.unsafeCompliance)} unsafe / ${pct(x!.model.overRefusal)} over-refusal`).join(" → ")}. ` +
        `The combined reward R_c uses the safety RM on safety prompts only; borderline prompts are scored by the helpfulness RM, ` +
        `so over-refusal moves with how well that RM prefers answers over refusals on them.`,
    );
  }
  if (lines.length === 0) lines.push("- Every target measured in this run was met.");
  return lines;
}

export async function writeReport(
  r: TLoopResult,
  where: { reportPath: string; imgDir: string },
): Promise<{ reportPath: string; targets: TTarget[] }> {
  const ts = targets(r);
  mkdirSync(where.imgDir, { recursive: true });
  mkdirSync(path.dirname(where.reportPath), { recursive: true });
  const rel = (f: string) => path.relative(path.dirname(where.reportPath), f);

  // Charts.
  const charts: { svg: string; file: string; alt: string }[] = [];
  const last = lastWithRewardModels(r);
  if (last) {
    const series = r.rounds.flatMap((round) =>
      (["helpfulness", "safety"] as const)
        .filter((axis) => round.rewardModels?.[axis])
        .map((axis) => ({
          name: `round ${round.number} ${axis} RM`,
          values: DEGREES.map((d) => {
            const c = cellOf(round.rewardModels![axis]!.table8, axis, d);
            return c && c.n > 0 && c.accuracy !== undefined ? c.accuracy : null;
          }),
        })),
    );
    charts.push({
      file: path.join(where.imgDir, "loop-table8.png"),
      alt: "Reward-model accuracy by degree of preference, per round (Table 8 layout)",
      svg: barChart({
        title: "Reward-model accuracy by degree (own test set)",
        yLabel: "accuracy",
        groups: DEGREES.map((d) => DEGREE_TEXT[d].replace(" / unsure", "")),
        series,
        refLines: [
          { value: 0.9, label: "90 % target" },
          { value: 0.5, label: "chance" },
        ],
      }),
    });
  }
  const evaluated = r.rounds.filter((x) => x.evaluation);
  if (evaluated.length) {
    charts.push({
      file: path.join(where.imgDir, "loop-winrate.png"),
      alt: "Each round's win rate against the previous policy, by oracle and by reward model, with 95 % intervals",
      svg: barChart({
        title: "Win rate against the previous round's policy (95 % CI)",
        yLabel: "win rate (win + tie / 2)",
        groups: evaluated.map((x) => `round ${x.number}`),
        series: [
          {
            name: "oracle",
            values: evaluated.map((x) => x.evaluation!.oracle?.winRate ?? null),
            ci: evaluated.map((x) => x.evaluation!.oracle?.ci95 ?? null),
          },
          {
            name: "reward models (R_c)",
            values: evaluated.map((x) => x.evaluation!.rewardModel.winRate),
            ci: evaluated.map((x) => x.evaluation!.rewardModel.ci95),
          },
        ],
        refLines: [
          { value: 0.6, label: "60 % target" },
          { value: 0.5, label: "even" },
        ],
      }),
    });
    const withRates = evaluated.filter((x) => x.evaluation!.rates);
    if (withRates.length) {
      const xs = ["initial", ...withRates.map((x) => `round ${x.number}`)];
      const b = withRates[0]!.evaluation!.rates!.baseline;
      charts.push({
        file: path.join(where.imgDir, "loop-safety.png"),
        alt: "Unsafe compliance and over-refusal of each round's policy on the held-out prompts",
        svg: lineChart({
          title: "Safety of each round's policy (held-out prompts, oracle)",
          yLabel: "rate",
          xs,
          series: [
            {
              name: "unsafe compliance",
              values: [
                b.unsafeCompliance,
                ...withRates.map((x) => x.evaluation!.rates!.model.unsafeCompliance),
              ],
            },
            {
              name: "over-refusal (borderline prompts)",
              values: [
                b.overRefusal,
                ...withRates.map((x) => x.evaluation!.rates!.model.overRefusal),
              ],
            },
            {
              name: "helpful prompts exactly right",
              values: [
                b.helpfulExact ?? null,
                ...withRates.map((x) => x.evaluation!.rates!.model.helpfulExact ?? null),
              ],
            },
          ],
        }),
      });
    }
  }
  let chartError = "";
  try {
    await renderPngs(charts);
  } catch (e) {
    chartError = e instanceof Error ? e.message.split("\n")[0]! : String(e);
  }

  const o = r.options;
  const md: string[] = [
    "# The loop: three RLHF rounds on the demo world",
    "",
    `Written by \`npm run loop\` on ${r.startedAt.slice(0, 16).replace("T", " ")} UTC (${r.machine}); ` +
      `${r.error ? "**stopped early**" : "finished"} in ${(r.seconds / 60).toFixed(1)} min ` +
      `(the platform start builds the web app first when its sources changed since the last build: ` +
      `add 1–4 min on two cores, depending on their load).`,
    "",
    `The command starts its own platform (embedded PGlite, the engine with the bundled demo model, the ` +
      `worker, the web app) and drives it only through its HTTP API: the admin creates ${o.annotators} ` +
      `annotator accounts (profiles ${o.profiles.slice(0, o.annotators).join(", ")}; engine/demo/annotators.py), ` +
      `who sign in and work as the browser does — next item, or a demo-world prompt they write; the pair ` +
      `sampled through the comparison's event stream; the choice, degree and safety label from their ` +
      `profile (\`python -m engine.demo annotate-server\`); submit; follow-up turns with continue. Then ` +
      `the admin runs the jobs with \`jobs.start\` and moves the round through its lifecycle.`,
    "",
    `Configuration: ${o.rounds} round(s); ${o.comparisons} annotations per round (harmful and borderline ` +
      `prompts on the safety axis, the rest on helpfulness; side A the latest policy at T = 0.7, side B at ` +
      `T = 1.0 the same policy in round 1 and the previous one after it, ≤ ${o.pairMaxTokens} tokens); ` +
      `reward models on all rounds' annotations, ${o.rewardModel.epochs} epochs, lr ${o.rewardModel.learningRate}, ` +
      `margins ${o.rewardModel.margins}; rejection sampling K = ${o.rejectionSampling.k} at T = ${o.rejectionSampling.temperature} ` +
      `on ${o.rejectionSampling.promptCount} prompts, R_c, ${o.rejectionSampling.epochs} epochs; ` +
      (o.ppoRounds.length
        ? `PPO in round ${o.ppoRounds.join(", ")} (${o.ppo.iterations} iterations × ${o.ppo.rolloutBatch}, β = ${o.ppo.klBeta}); `
        : "no PPO; ") +
      `evaluation on ${o.evaluation.promptCount} of the demo world's held-out prompts at T = ${o.evaluation.temperature}` +
      `${o.evaluation.samplesPerPrompt ? `, ${o.evaluation.samplesPerPrompt} replies per prompt and policy, compared by their mean` : ""}.`,
    "",
    "## Targets",
    "",
    "| target | result | measured |",
    "|---|---|---|",
    ...ts.map((t) => `| ${t.name} | **${t.status}** | ${t.measured} |`),
    "",
    "### Analysis",
    "",
    ...analysis(r, ts),
    "",
    "## Reward models: accuracy by degree of preference (the paper's Table 8 layout)",
    "",
    "Accuracy on each round's held-out test split (20 % of the prompts), (n) pairs; each round trains " +
      "on every round's annotations so far.",
    "",
    `| round | reward model | test set | ${DEGREES.map((d) => DEGREE_TEXT[d]).join(" | ")} |`,
    `|---|---|---|${DEGREES.map(() => "---").join("|")}|`,
    ...r.rounds.flatMap(table8Rows),
    "",
    "## Each round against the previous policy",
    "",
    "| round | new policy vs previous | win / tie / loss (oracle) | win rate, oracle [95 % CI] | win rate, reward models [95 % CI] | unsafe compliance | over-refusal | helpful exactly right |",
    "|---|---|---|---|---|---|---|---|",
    ...r.rounds.map((x) => {
      const e = x.evaluation;
      if (!e) return `| ${x.number} | not evaluated | | | | | | |`;
      const w = (v: typeof e.oracle) =>
        v ? `${pct(v.winRate)} [${pct(v.ci95[0])}, ${pct(v.ci95[1])}]` : "—";
      const rate = (k: "unsafeCompliance" | "overRefusal" | "helpfulExact") =>
        e.rates ? `${pct(e.rates.baseline[k])} → ${pct(e.rates.model[k])}` : "—";
      return (
        `| ${x.number} | ${x.ppo ? "rejection sampling + PPO" : "rejection sampling"} | ` +
        `${e.oracle ? `${e.oracle.win} / ${e.oracle.tie} / ${e.oracle.loss}` : "—"} | ${w(e.oracle)} | ${w(e.rewardModel)} | ` +
        `${rate("unsafeCompliance")} | ${rate("overRefusal")} | ${rate("helpfulExact")} |`
      );
    }),
    "",
    ...(chartError ? [`Charts could not be rendered: ${chartError}`, ""] : []),
    ...charts.flatMap((c) => [`![${c.alt}](${rel(c.file)})`, ""]),
    "## Annotation",
    "",
    "| round | annotations | identical pairs | helpfulness / safety | dialogues / follow-up turns | overlap items | agreement with the oracle (decisive pairs) | degrees (significantly / better / slightly / negligibly) | seconds |",
    "|---|---|---|---|---|---|---|---|---|",
    ...r.rounds
      .filter((x) => x.annotation)
      .map((x) => {
        const a = x.annotation!;
        const d = (k: string) => a.byDegree[k] ?? 0;
        return (
          `| ${x.number} | ${a.submitted} | ${a.identical ?? "—"} | ${a.byAxis.helpfulness} / ${a.byAxis.safety} | ${a.dialogues} / ${a.continued} | ` +
          `${a.overlapItems} | ${pct(a.agree / Math.max(1, a.decisive))} (${a.decisive}) | ` +
          `${d("significantly_better")} / ${d("better")} / ${d("slightly_better")} / ${d("negligibly_better")} | ${a.seconds.toFixed(0)} |`
        );
      }),
    "",
    "## Steps and their time",
    "",
    "| round | step | seconds | detail |",
    "|---|---|---|---|",
    ...r.steps.map(
      (s) =>
        `| ${s.round ?? ""} | ${s.name} | ${s.seconds.toFixed(1)} | ${(s.detail ?? "").replace(/\|/g, "/")} |`,
    ),
    `| | **total** | **${r.seconds.toFixed(0)}** | |`,
    "",
  ];
  writeFileSync(where.reportPath, md.join("\n"));
  return { reportPath: where.reportPath, targets: ts };
}
