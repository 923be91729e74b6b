"use client";
// A round's charts: collection progress per axis, the degree and safety-label distributions,
// annotations over time, agreement on overlap pairs, and the evaluation's win / tie / loss.
import {
  Bar,
  BarChart,
  CartesianGrid,
  LabelList,
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

/** Collected (counted) annotations per axis against the round's target, as filled bars. */
export function ProgressChart({
  progress,
}: {
  progress: { axis: string; counted: number; target: number; minimum: number }[];
}) {
  const data = progress.map((p) => ({
    axis: p.axis,
    counted: p.counted,
    remaining: Math.max(0, p.target - p.counted),
    label: `${p.counted} / ${p.target}`,
  }));
  return (
    <ChartCard
      title="Collection progress"
      description="Non-rejected annotations per axis against the round's targets."
      testId="chart-progress"
      height={130}
    >
      <BarChart data={data} layout="vertical" margin={{ left: 10, right: 90 }}>
        <XAxis type="number" hide allowDecimals={false} />
        <YAxis type="category" dataKey="axis" width={90} tick={{ fontSize: 12 }} />
        <Tooltip />
        <Bar
          dataKey="counted"
          name="collected"
          stackId="p"
          fill={COLORS.helpfulness}
          isAnimationActive={false}
        />
        <Bar
          dataKey="remaining"
          name="still to collect"
          stackId="p"
          fill={COLORS.muted}
          isAnimationActive={false}
        >
          <LabelList dataKey="label" position="right" fontSize={12} fill="#334155" />
        </Bar>
      </BarChart>
    </ChartCard>
  );
}

/** Annotations by degree of preference, one bar per axis. */
export function DegreeChart({
  degrees,
  labels,
}: {
  degrees: { degree: string; helpfulness: number; safety: number }[];
  labels: Record<string, string>;
}) {
  const total = degrees.reduce((a, d) => a + d.helpfulness + d.safety, 0);
  const data = degrees.map((d) => ({ ...d, name: labels[d.degree] ?? d.degree }));
  return (
    <ChartCard
      title="Degree of preference"
      description="How strongly annotators preferred the chosen response, per axis."
      testId="chart-degrees"
      empty={
        total === 0
          ? "No annotations yet. Start collecting; annotators label pairs in the Workspace."
          : undefined
      }
    >
      <BarChart data={data} margin={{ left: -10 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="name" tick={{ fontSize: 11 }} interval={0} />
        <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
        <Tooltip />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Bar dataKey="helpfulness" fill={COLORS.helpfulness} isAnimationActive={false} />
        <Bar dataKey="safety" fill={COLORS.safety} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}

const SAFETY_TEXT: Record<string, string> = {
  chosen_safe_other_unsafe: "chosen safe, other unsafe",
  both_safe: "both safe",
  both_unsafe: "both unsafe",
  chosen_unsafe_other_safe: "chosen unsafe, other safe (dropped)",
  none: "no label",
};

/** Safety-axis annotations by safety label. */
export function SafetyLabelChart({ labels }: { labels: { label: string; n: number }[] }) {
  const data = labels
    .filter((l) => l.label !== "none" || l.n > 0)
    .map((l) => ({ name: SAFETY_TEXT[l.label] ?? l.label, n: l.n }));
  const total = labels.reduce((a, l) => a + l.n, 0);
  return (
    <ChartCard
      title="Safety labels"
      description="Safety-axis annotations by bin; chosen-unsafe pairs are left out of the safety reward model."
      testId="chart-safety-labels"
      empty={
        total === 0
          ? "No safety annotations yet. Give the safety axis a share in the axis mix."
          : undefined
      }
    >
      <BarChart data={data} layout="vertical" margin={{ left: 10, right: 30 }}>
        <XAxis type="number" allowDecimals={false} tick={{ fontSize: 11 }} />
        <YAxis type="category" dataKey="name" width={170} tick={{ fontSize: 11 }} />
        <Tooltip />
        <Bar dataKey="n" name="annotations" fill={COLORS.safety} isAnimationActive={false}>
          <LabelList dataKey="n" position="right" fontSize={11} />
        </Bar>
      </BarChart>
    </ChartCard>
  );
}

/** Running totals per axis. */
function cumulative<T extends { helpfulness: number; safety: number }>(points: T[]): T[] {
  const out: T[] = [];
  for (const p of points) {
    const prev = out.at(-1);
    out.push({
      ...p,
      helpfulness: (prev?.helpfulness ?? 0) + p.helpfulness,
      safety: (prev?.safety ?? 0) + p.safety,
    });
  }
  return out;
}

/** Cumulative annotations over time, per axis. */
export function TimelineChart({
  points,
  bucket,
}: {
  points: { t: string; helpfulness: number; safety: number }[];
  bucket: "minute" | "hour" | "day";
}) {
  // The curve starts from zero one bucket before the first annotation, so even one bucket draws.
  const step = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[bucket];
  const start = points[0]
    ? [
        {
          t: new Date(new Date(points[0].t).getTime() - step).toISOString(),
          helpfulness: 0,
          safety: 0,
        },
      ]
    : [];
  const data = cumulative([...start, ...points]).map((p) => {
    const d = new Date(p.t);
    const name =
      bucket === "day"
        ? d.toISOString().slice(0, 10)
        : d
            .toISOString()
            .slice(bucket === "hour" ? 5 : 11, 16)
            .replace("T", " ");
    return { name, helpfulness: p.helpfulness, safety: p.safety };
  });
  return (
    <ChartCard
      title="Annotations over time"
      description={`Cumulative, per ${bucket} (UTC).`}
      testId="chart-timeline"
      empty={
        points.length === 0
          ? "Nothing collected yet: the curve starts with the first annotation."
          : undefined
      }
    >
      <LineChart data={data} margin={{ left: -10, right: 10 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="name" tick={{ fontSize: 11 }} />
        <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
        <Tooltip />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Line
          type="stepAfter"
          dataKey="helpfulness"
          stroke={COLORS.helpfulness}
          dot={data.length < 30}
          isAnimationActive={false}
        />
        <Line
          type="stepAfter"
          dataKey="safety"
          stroke={COLORS.safety}
          dot={data.length < 30}
          isAnimationActive={false}
        />
      </LineChart>
    </ChartCard>
  );
}

/** Win / tie / loss of the new policy against the baseline, one stacked bar per judge. */
export function WinTieLossChart({
  rows,
}: {
  rows: { judge: string; win: number; tie: number; loss: number }[];
}) {
  return (
    <ChartCard
      title="New policy against the previous one"
      description="Share of held-out prompts won, tied and lost."
      testId="chart-win-tie-loss"
      height={60 + rows.length * 40}
    >
      <BarChart data={rows} layout="vertical" stackOffset="expand" margin={{ left: 10, right: 20 }}>
        <XAxis
          type="number"
          tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
          tick={{ fontSize: 11 }}
        />
        <YAxis type="category" dataKey="judge" width={110} tick={{ fontSize: 12 }} />
        <Tooltip />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Bar dataKey="win" stackId="w" fill={COLORS.win} isAnimationActive={false} />
        <Bar dataKey="tie" stackId="w" fill={COLORS.tie} isAnimationActive={false} />
        <Bar dataKey="loss" stackId="w" fill={COLORS.loss} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}

/** A line chart of one or more series over a numeric x (steps, iterations). */
export function AgreementChart({
  agreement,
}: {
  agreement: { axis: string; pairs: number; agree: number; rate: number | null }[];
}) {
  const data = agreement.map((a) => ({
    axis: a.axis,
    rate: a.rate ?? 0,
    label: a.rate === null ? "no pairs yet" : `${pct(a.rate)} of ${a.pairs} pairs`,
  }));
  return (
    <ChartCard
      title="Agreement on overlap pairs"
      description="Share of pairs of annotators who chose the same response of the same comparison (gold items left out); 50 % is chance."
      testId="chart-agreement"
      height={130}
      empty={
        agreement.every((a) => a.pairs === 0)
          ? "No overlap pairs yet. Raise the overlap rate so some comparisons are labelled twice."
          : undefined
      }
    >
      <BarChart data={data} layout="vertical" margin={{ left: 10, right: 120 }}>
        <XAxis type="number" domain={[0, 1]} hide />
        <YAxis type="category" dataKey="axis" width={90} tick={{ fontSize: 12 }} />
        <ReferenceLine x={0.5} stroke="#94a3b8" strokeDasharray="4 3" />
        <Bar dataKey="rate" fill={COLORS.oracle} isAnimationActive={false}>
          <LabelList dataKey="label" position="right" fontSize={12} fill="#334155" />
        </Bar>
      </BarChart>
    </ChartCard>
  );
}
