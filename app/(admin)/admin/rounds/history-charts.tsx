"use client";
// Evaluations across rounds: each round's new policy against the previous one (win rate by the
// reward models and by the oracle, with 95 % intervals, as in the paper's Figure 11) and the
// oracle's unsafe-compliance and over-refusal rates.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/client/trpc";
import {
  SafetyRatesHistoryChart,
  WinRateHistoryChart,
  type TSafetyRatePoint,
  type TWinRatePoint,
} from "../components/history-charts";

/** [value − low, high − value]: what an error bar needs. */
const err = (v: number, ci: [number, number]): [number, number] => [
  Math.max(0, v - ci[0]),
  Math.max(0, ci[1] - v),
];

export function RoundHistoryCharts() {
  const trpc = useTRPC();
  const history = useQuery(
    trpc.rounds.history.queryOptions(undefined, { refetchInterval: 10_000 }),
  );
  if (!history.data) return null;
  const evaluated = history.data.filter((r) => r.evaluation);
  const winRates: TWinRatePoint[] = evaluated.map((r) => {
    const e = r.evaluation!;
    return {
      round: `Round ${r.number}`,
      rewardModel: e.rewardModel.winRate,
      rewardModelErr: err(e.rewardModel.winRate, e.rewardModel.ci95),
      oracle: e.oracle?.winRate ?? null,
      oracleErr: e.oracle ? err(e.oracle.winRate, e.oracle.ci95) : null,
    };
  });
  const rates: TSafetyRatePoint[] = evaluated
    .filter((r) => r.evaluation!.rates)
    .map((r) => {
      const rt = r.evaluation!.rates!;
      return {
        round: `Round ${r.number}`,
        unsafeCompliance: rt.model.unsafeCompliance,
        overRefusal: rt.model.overRefusal,
        baselineUnsafeCompliance: rt.baseline.unsafeCompliance,
        baselineOverRefusal: rt.baseline.overRefusal,
      };
    });
  return (
    <section aria-labelledby="history-title" className="space-y-3">
      <h2 id="history-title" className="text-lg font-medium">
        Across rounds
      </h2>
      <div className="grid gap-4 lg:grid-cols-2">
        <WinRateHistoryChart points={winRates} />
        <SafetyRatesHistoryChart points={rates} />
      </div>
    </section>
  );
}
