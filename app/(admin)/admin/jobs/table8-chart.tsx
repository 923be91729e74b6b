// Accuracy by degree as grouped bars, one group per degree, one bar per reward model × test set:
// the paper's pattern is high on "significantly better" falling towards chance on "negligibly".
import { DEGREES, DEGREE_LABELS } from "@/lib/shared/protocol";
import type { TTable8 } from "@/lib/shared/reward-metrics";

const COLORS = ["#4f46e5", "#e11d48", "#0891b2", "#ca8a04", "#16a34a", "#9333ea"];

export function Table8Chart({ rows }: { rows: { model: string; table8: TTable8 }[] }) {
  const series = rows.flatMap((r) =>
    (["helpfulness", "safety"] as const).flatMap((set) =>
      r.table8[set] ? [{ name: `${r.model} · ${set}`, cells: r.table8[set]! }] : [],
    ),
  );
  if (series.length === 0) return null;
  const w = 640;
  const h = 200;
  const groupW = (w - 40) / DEGREES.length;
  const barW = Math.min(24, (groupW - 16) / series.length);
  const y = (acc: number) => 10 + (1 - acc) * (h - 50);
  return (
    <figure className="mt-4">
      <svg
        viewBox={`0 0 ${w} ${h}`}
        className="w-full max-w-3xl"
        role="img"
        aria-label="Reward model accuracy by degree of preference"
        data-testid="table8-chart"
      >
        {[0, 0.5, 1].map((t) => (
          <g key={t}>
            <line
              x1={36}
              x2={w}
              y1={y(t)}
              y2={y(t)}
              stroke={t === 0.5 ? "#94a3b8" : "#e2e8f0"}
              strokeDasharray={t === 0.5 ? "4 3" : undefined}
            />
            <text x={0} y={y(t) + 4} fontSize={10} fill="#64748b">
              {t * 100}%
            </text>
          </g>
        ))}
        {DEGREES.map((d, gi) => (
          <g key={d}>
            {series.map((s, si) => {
              const acc = s.cells[d]?.accuracy;
              if (acc === undefined) return null;
              const x = 40 + gi * groupW + 8 + si * barW;
              return (
                <rect
                  key={s.name}
                  x={x}
                  y={y(acc)}
                  width={barW - 2}
                  height={y(0) - y(acc)}
                  fill={COLORS[si % COLORS.length]}
                />
              );
            })}
            <text
              x={40 + gi * groupW + groupW / 2}
              y={h - 22}
              fontSize={10}
              fill="#475569"
              textAnchor="middle"
            >
              {DEGREE_LABELS[d].replace(" / unsure", "")}
            </text>
          </g>
        ))}
      </svg>
      <figcaption className="mt-1 flex flex-wrap gap-3 text-xs text-slate-600">
        {series.map((s, si) => (
          <span key={s.name} className="flex items-center gap-1">
            <span
              className="inline-block h-2 w-3"
              style={{ background: COLORS[si % COLORS.length] }}
            />
            {s.name}
          </span>
        ))}
        <span>dashed: chance (50 %)</span>
      </figcaption>
    </figure>
  );
}
