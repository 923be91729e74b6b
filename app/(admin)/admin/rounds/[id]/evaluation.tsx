"use client";
// The round's evaluation (Round.evaluation, ZRoundEvaluation): the new policy against the previous
// one, win / tie / loss by the reward models and by the oracle with 95 % intervals, and the oracle's
// unsafe-compliance and over-refusal rates of both policies. With k samples per prompt the
// headline rows compare per-prompt mean scores (policy level), with the mean difference and its
// bootstrap interval; the single-draw rows (first sample of each prompt) are shown below them.
import type { TRoundEvaluation, TSafetyRates, TWinTieLoss } from "@/lib/shared/rlhf";
import { WinTieLossChart } from "../../components/round-charts";
import { pct } from "@/lib/shared/format";

const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(3)}`;

function Row({ judge, w, muted }: { judge: string; w: TWinTieLoss; muted?: boolean }) {
  const verdict = w.ci95[0] > 0.5 ? "better" : w.ci95[1] < 0.5 ? "worse" : "no clear difference";
  return (
    <tr className={`border-t border-slate-100 ${muted ? "text-slate-500" : ""}`}>
      <td className="px-3 py-2 text-left">{judge}</td>
      <td className="px-3 py-2">{w.n}</td>
      <td className="px-3 py-2">{w.win}</td>
      <td className="px-3 py-2">{w.tie}</td>
      <td className="px-3 py-2">{w.loss}</td>
      <td className="px-3 py-2 font-medium">{pct(w.winRate)}</td>
      <td className="px-3 py-2">
        {pct(w.ci95[0])} – {pct(w.ci95[1])}
      </td>
      <td className="px-3 py-2" data-testid="mean-diff">
        {w.meanDiff === undefined ? (
          "—"
        ) : (
          <>
            {signed(w.meanDiff)}
            {w.meanDiffCi95 ? (
              <span className="text-slate-500">
                {" "}
                [{signed(w.meanDiffCi95[0])}, {signed(w.meanDiffCi95[1])}]
              </span>
            ) : null}
          </>
        )}
      </td>
      <td className="px-3 py-2">{w.signTestP === undefined ? "—" : w.signTestP.toPrecision(2)}</td>
      <td className="px-3 py-2 text-left">{verdict}</td>
    </tr>
  );
}

function RateCell({ model, baseline }: { model: number; baseline: number }) {
  const delta = model - baseline;
  return (
    <td className="px-3 py-2">
      {pct(model)}{" "}
      <span
        className={delta < 0 ? "text-green-700" : delta > 0 ? "text-red-700" : "text-slate-500"}
      >
        ({delta >= 0 ? "+" : ""}
        {(delta * 100).toFixed(1)})
      </span>
    </td>
  );
}

export function EvaluationView({
  evaluation,
  modelName,
}: {
  evaluation: TRoundEvaluation | null;
  modelName: (id: string) => string;
}) {
  if (!evaluation) {
    return (
      <p
        className="rounded-md bg-slate-50 px-3 py-6 text-center text-sm text-slate-600"
        data-testid="evaluation-empty"
      >
        Not evaluated yet. Once this round has a new policy (rejection sampling or PPO), start an
        evaluation above; its results appear here.
      </p>
    );
  }
  const e = evaluation;
  const k = e.samplesPerPrompt ?? 1;
  const level = k > 1 ? `, mean of ${k}` : "";
  const judges: { judge: string; w: TWinTieLoss }[] = [
    { judge: `reward models${level}`, w: e.rewardModel },
    ...(e.oracle ? [{ judge: `oracle${level}`, w: e.oracle }] : []),
  ];
  const singleDraw: { judge: string; w: TWinTieLoss }[] = e.singleDraw
    ? [
        { judge: "reward models, single draw", w: e.singleDraw.rewardModel },
        ...(e.singleDraw.oracle ? [{ judge: "oracle, single draw", w: e.singleDraw.oracle }] : []),
      ]
    : [];
  const rates: [string, TSafetyRates][] = e.rates
    ? [
        [`new: ${modelName(e.modelId)}`, e.rates.model],
        [`baseline: ${modelName(e.baselineId)}`, e.rates.baseline],
      ]
    : [];
  return (
    <div className="space-y-4" data-testid="evaluation">
      <p className="text-sm text-slate-600">
        {modelName(e.modelId)} against {modelName(e.baselineId)} on{" "}
        {e.promptSet === "demo_heldout"
          ? "the demo world's held-out prompts"
          : "this round's unused prompts"}
        , {new Date(e.evaluatedAt).toLocaleString()}.{" "}
        <span data-testid="evaluation-k">
          {k > 1
            ? `${k} samples per prompt and policy: each prompt is judged on the mean score of its ${k} replies (policy level); the single-draw rows use the first reply alone.`
            : "One reply per prompt and policy (single draw)."}
        </span>{" "}
        Win rate = (win + ½ tie) / n over prompts, 95 % Wilson interval; mean Δ = mean over prompts
        of (new − baseline) score with a bootstrap 95 % interval; sign test = one-sided p of the
        wins against the losses.
      </p>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-right text-sm" data-testid="evaluation-table">
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              {[
                "Judge",
                "n",
                "Win",
                "Tie",
                "Loss",
                "Win rate",
                "95 % CI",
                "Mean Δ [95 % CI]",
                "Sign test p",
                "New policy is",
              ].map((h, i, all) => (
                <th
                  key={h}
                  className={`px-3 py-2 font-medium ${i === 0 || i === all.length - 1 ? "text-left" : ""}`}
                >
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {judges.map((j) => (
              <Row key={j.judge} {...j} />
            ))}
            {singleDraw.map((j) => (
              <Row key={j.judge} {...j} muted />
            ))}
          </tbody>
        </table>
      </div>
      <div className="grid gap-4 md:grid-cols-2">
        <WinTieLossChart
          rows={judges.map((j) => ({ judge: j.judge, win: j.w.win, tie: j.w.tie, loss: j.w.loss }))}
        />
        {e.rates ? (
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table className="w-full text-right text-sm" data-testid="safety-rates">
              <caption className="px-3 pt-3 text-left text-sm text-slate-600">
                Oracle rates (lower is better for the first two)
                {k > 1 ? ` over all ${k} replies per prompt` : ""}; new policy&apos;s change in
                points.
              </caption>
              <thead className="bg-slate-50 text-slate-600">
                <tr>
                  <th className="px-3 py-2 text-left font-medium">Policy</th>
                  <th className="px-3 py-2 font-medium">Unsafe compliance</th>
                  <th className="px-3 py-2 font-medium">Over-refusal</th>
                  <th className="px-3 py-2 font-medium">Helpful (exact)</th>
                </tr>
              </thead>
              <tbody>
                {rates.map(([name, r], i) => (
                  <tr key={name} className="border-t border-slate-100">
                    <td className="px-3 py-2 text-left">{name}</td>
                    {i === 0 ? (
                      <>
                        <RateCell
                          model={r.unsafeCompliance}
                          baseline={e.rates!.baseline.unsafeCompliance}
                        />
                        <RateCell model={r.overRefusal} baseline={e.rates!.baseline.overRefusal} />
                      </>
                    ) : (
                      <>
                        <td className="px-3 py-2">{pct(r.unsafeCompliance)}</td>
                        <td className="px-3 py-2">{pct(r.overRefusal)}</td>
                      </>
                    )}
                    <td className="px-3 py-2">
                      {r.helpfulExact === undefined ? "—" : pct(r.helpfulExact)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="text-sm text-slate-600">
            No oracle rates: they exist for the demo world&apos;s held-out prompts only.
          </p>
        )}
      </div>
    </div>
  );
}
