// A small SVG line chart of [step, loss] points.
export function LossCurve({ points }: { points: [number, number][] }) {
  if (points.length < 2)
    return <p className="text-sm text-slate-600">The loss curve appears after a few steps.</p>;
  const w = 480;
  const h = 140;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => 30 + ((x - x0) / (x1 - x0 || 1)) * (w - 40);
  const sy = (y: number) => 10 + (1 - (y - y0) / (y1 - y0 || 1)) * (h - 30);
  const d = points
    .map((p, i) => `${i ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`)
    .join(" ");
  return (
    <svg
      viewBox={`0 0 ${w} ${h}`}
      className="w-full max-w-xl"
      role="img"
      aria-label={`Training loss from ${y1.toFixed(3)} to ${ys.at(-1)!.toFixed(3)}`}
      data-testid="loss-curve"
    >
      <line x1={30} y1={h - 20} x2={w - 10} y2={h - 20} stroke="#cbd5e1" />
      <line x1={30} y1={10} x2={30} y2={h - 20} stroke="#cbd5e1" />
      <text x={2} y={14} fontSize={10} fill="#64748b">
        {y1.toFixed(2)}
      </text>
      <text x={2} y={h - 22} fontSize={10} fill="#64748b">
        {y0.toFixed(2)}
      </text>
      <text x={w - 60} y={h - 5} fontSize={10} fill="#64748b">
        step {x1}
      </text>
      <path d={d} fill="none" stroke="#4f46e5" strokeWidth={2} />
    </svg>
  );
}
