"use client";
// Chart primitives for the admin pages (recharts): the titled card with its empty state, the
// colours, a line series chart and a bar comparison. Round charts: ./round-charts.tsx; charts
// over rounds: ./history-charts.tsx.
import type { ReactNode } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  LabelList,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
export const COLORS = {
  helpfulness: "#4f46e5",
  safety: "#e11d48",
  oracle: "#0891b2",
  rewardModel: "#4f46e5",
  muted: "#e2e8f0",
  win: "#16a34a",
  tie: "#94a3b8",
  loss: "#dc2626",
} as const;

const PALETTE = ["#4f46e5", "#e11d48", "#0891b2", "#ca8a04", "#16a34a", "#9333ea"];

/** A titled chart card; `empty` replaces the chart with what to do next. */
export function ChartCard({
  title,
  description,
  testId,
  empty,
  height = 220,
  children,
}: {
  title: string;
  description?: ReactNode;
  testId: string;
  /** When set, shown instead of the chart. */
  empty?: ReactNode;
  height?: number;
  children: ReactNode;
}) {
  return (
    <figure
      className="rounded-lg border border-slate-200 bg-white p-4"
      data-testid={testId}
      aria-label={title}
    >
      <figcaption>
        <h3 className="text-sm font-medium">{title}</h3>
        {description && <p className="mt-0.5 text-xs text-slate-600">{description}</p>}
      </figcaption>
      {empty ? (
        <p
          className="mt-3 rounded-md bg-slate-50 px-3 py-6 text-center text-sm text-slate-600"
          data-testid={`${testId}-empty`}
        >
          {empty}
        </p>
      ) : (
        <div className="mt-3" style={{ height }}>
          <ResponsiveContainer width="100%" height="100%">
            {children as React.ReactElement}
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}

export function SeriesChart({
  title,
  description,
  testId,
  data,
  x,
  xLabel,
  series,
  height = 180,
  empty,
}: {
  title: string;
  description?: string;
  testId: string;
  data: Record<string, number | null>[];
  x: string;
  xLabel: string;
  series: { key: string; label: string; color?: string }[];
  height?: number;
  empty?: string;
}) {
  return (
    <ChartCard
      title={title}
      description={description}
      testId={testId}
      height={height}
      empty={data.length < 2 ? (empty ?? "The curve appears after a few steps.") : undefined}
    >
      <LineChart data={data} margin={{ left: -10, right: 10 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey={x}
          type="number"
          domain={["dataMin", "dataMax"]}
          tick={{ fontSize: 11 }}
          label={{ value: xLabel, position: "insideBottomRight", offset: -2, fontSize: 11 }}
        />
        <YAxis
          domain={["auto", "auto"]}
          tick={{ fontSize: 11 }}
          tickFormatter={(v: number) =>
            Math.abs(v) < 0.01 && v !== 0 ? v.toExponential(1) : String(Math.round(v * 1000) / 1000)
          }
        />
        <Tooltip />
        {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
        {series.map((s, i) => (
          <Line
            key={s.key}
            dataKey={s.key}
            name={s.label}
            stroke={s.color ?? PALETTE[i % PALETTE.length]}
            dot={data.length < 25}
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ChartCard>
  );
}

/** Two numbers side by side as bars (e.g. mean reward against mean best-of-K reward). */
export function CompareBars({
  title,
  description,
  testId,
  bars,
}: {
  title: string;
  description?: string;
  testId: string;
  bars: { name: string; value: number }[];
}) {
  return (
    <ChartCard
      title={title}
      description={description}
      testId={testId}
      height={60 + bars.length * 34}
    >
      <BarChart data={bars} layout="vertical" margin={{ left: 10, right: 50 }}>
        <XAxis type="number" domain={[0, "auto"]} tick={{ fontSize: 11 }} />
        <YAxis type="category" dataKey="name" width={150} tick={{ fontSize: 11 }} />
        <Tooltip />
        <Bar dataKey="value" fill={COLORS.helpfulness} isAnimationActive={false}>
          <LabelList
            dataKey="value"
            position="right"
            fontSize={11}
            formatter={(v: unknown) => (typeof v === "number" ? v.toFixed(3) : String(v))}
          />
        </Bar>
      </BarChart>
    </ChartCard>
  );
}

/** Agreement on overlap pairs per axis: the share of pairs of annotators who chose alike. */
