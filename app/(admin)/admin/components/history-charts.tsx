"use client";
// Charts over rounds: the new policy's win rate per round (like the paper's Figure 11) and the
// safety rates per round.
import {
  CartesianGrid,
  ErrorBar,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { pct } from "@/lib/shared/format";
import { COLORS, ChartCard } from "./charts";

export type TWinRatePoint = {
  round: string;
  rewardModel: number | null;
  rewardModelErr: [number, number] | null;
  oracle: number | null;
  oracleErr: [number, number] | null;
};

/** Win rate of each round's new policy against the previous one, with 95 % intervals
 * (the layout of the Llama 2 paper's Figure 11). */
export function WinRateHistoryChart({ points }: { points: TWinRatePoint[] }) {
  return (
    <ChartCard
      title="Win rate over rounds"
      description="Each round's new policy against the previous one (win + ½ tie), judged by the reward models and by the demo world's oracle; bars are 95 % intervals, the dashed line is a draw."
      testId="chart-win-rate-history"
      height={260}
      empty={
        points.length === 0
          ? "No round has been evaluated yet. Run an evaluation job from a round's page."
          : undefined
      }
    >
      <LineChart data={points} margin={{ left: -10, right: 20, top: 10 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="round" tick={{ fontSize: 11 }} padding={{ left: 20, right: 20 }} />
        <YAxis
          domain={[0, 1]}
          tickFormatter={(v: number) => `${v * 100}%`}
          tick={{ fontSize: 11 }}
        />
        <Tooltip formatter={(v) => (typeof v === "number" ? pct(v) : String(v))} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <ReferenceLine y={0.5} stroke="#94a3b8" strokeDasharray="4 3" />
        <Line
          dataKey="rewardModel"
          name="judged by reward models"
          stroke={COLORS.rewardModel}
          connectNulls
          isAnimationActive={false}
        >
          <ErrorBar dataKey="rewardModelErr" width={6} stroke={COLORS.rewardModel} />
        </Line>
        <Line
          dataKey="oracle"
          name="judged by the oracle"
          stroke={COLORS.oracle}
          connectNulls
          isAnimationActive={false}
        >
          <ErrorBar dataKey="oracleErr" width={6} stroke={COLORS.oracle} />
        </Line>
      </LineChart>
    </ChartCard>
  );
}

export type TSafetyRatePoint = {
  round: string;
  unsafeCompliance: number | null;
  overRefusal: number | null;
  baselineUnsafeCompliance: number | null;
  baselineOverRefusal: number | null;
};

/** Oracle unsafe-compliance and over-refusal of each round's new policy (solid) and the policy
 * it was compared with (dashed). */
export function SafetyRatesHistoryChart({ points }: { points: TSafetyRatePoint[] }) {
  return (
    <ChartCard
      title="Unsafe compliance and over-refusal over rounds"
      description="Oracle rates on the held-out prompts: the new policy (solid) against its baseline (dashed). Lower is better for both."
      testId="chart-safety-history"
      height={260}
      empty={
        points.length === 0
          ? "No oracle-judged evaluation yet. Evaluate a round on the demo world's held-out prompts."
          : undefined
      }
    >
      <LineChart data={points} margin={{ left: -10, right: 20, top: 10 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="round" tick={{ fontSize: 11 }} padding={{ left: 20, right: 20 }} />
        <YAxis
          domain={[0, "auto"]}
          tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
          tick={{ fontSize: 11 }}
        />
        <Tooltip formatter={(v) => (typeof v === "number" ? pct(v) : String(v))} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Line
          dataKey="unsafeCompliance"
          name="unsafe compliance"
          stroke={COLORS.safety}
          connectNulls
          isAnimationActive={false}
        />
        <Line
          dataKey="overRefusal"
          name="over-refusal"
          stroke="#ca8a04"
          connectNulls
          isAnimationActive={false}
        />
        <Line
          dataKey="baselineUnsafeCompliance"
          name="unsafe compliance (baseline)"
          stroke={COLORS.safety}
          strokeDasharray="4 3"
          strokeOpacity={0.6}
          connectNulls
          isAnimationActive={false}
        />
        <Line
          dataKey="baselineOverRefusal"
          name="over-refusal (baseline)"
          stroke="#ca8a04"
          strokeDasharray="4 3"
          strokeOpacity={0.6}
          connectNulls
          isAnimationActive={false}
        />
      </LineChart>
    </ChartCard>
  );
}
