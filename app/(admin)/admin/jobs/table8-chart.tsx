"use client";
// Accuracy by degree as grouped bars, one group per degree, one bar per reward model × test set:
// the paper's pattern is high on "significantly better" falling towards chance on "negligibly".
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { DEGREES, DEGREE_LABELS } from "@/lib/shared/protocol";
import { tooFewHeldOut, type TTable8 } from "@/lib/shared/reward-metrics";
import { pct } from "@/lib/shared/format";

const COLORS = ["#4f46e5", "#e11d48", "#0891b2", "#ca8a04", "#16a34a", "#9333ea"];

export function Table8Chart({ rows }: { rows: { model: string; table8: TTable8 }[] }) {
  const series = rows.flatMap((r) =>
    (["helpfulness", "safety"] as const).flatMap((set) =>
      // A test set too small to measure (tooFewHeldOut) is said so in the table, not drawn.
      r.table8[set] && !tooFewHeldOut(r.table8[set].average?.n)
        ? [{ name: `${r.model} · ${set}`, cells: r.table8[set] }]
        : [],
    ),
  );
  if (series.length === 0) return null;
  const data = DEGREES.map((d) => {
    const row: Record<string, string | number | null> = {
      degree: DEGREE_LABELS[d].replace(" / unsure", ""),
    };
    for (const s of series) row[s.name] = s.cells[d]?.accuracy ?? null;
    return row;
  });
  return (
    <figure className="mt-4 max-w-3xl" data-testid="table8-chart">
      <div style={{ height: 240 }}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ left: -10, right: 10, top: 10 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="degree" tick={{ fontSize: 11 }} interval={0} />
            <YAxis
              domain={[0, 1]}
              tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
              tick={{ fontSize: 11 }}
            />
            <Tooltip formatter={(v) => pct(typeof v === "number" ? v : null)} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <ReferenceLine y={0.5} stroke="#94a3b8" strokeDasharray="4 3" />
            {series.map((s, i) => (
              <Bar
                key={s.name}
                dataKey={s.name}
                fill={COLORS[i % COLORS.length]}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="text-xs text-slate-600">
        Reward model accuracy by degree of preference; dashed: chance (50 %).
      </figcaption>
    </figure>
  );
}
