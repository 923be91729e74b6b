// The paper's Table 8: reward-model accuracy by degree of preference, per model × test set.
import { DEGREES, DEGREE_LABELS } from "@/lib/shared/protocol";
import { ZTable8, tooFewHeldOut } from "@/lib/shared/reward-metrics";
import { Table8Chart } from "./table8-chart";
import { num, pct as share } from "@/lib/shared/format";

/** Table 8 prints accuracies as the paper does: percent, the sign in the header. */
const pct = (x: number | undefined) => share(x).replace(" %", "");

export function Table8({ rows }: { rows: { model: string; metrics: unknown }[] }) {
  const parsed = rows.flatMap((r) => {
    const t = ZTable8.safeParse((r.metrics as { table8?: unknown } | null)?.table8);
    return t.success ? [{ model: r.model, table8: t.data }] : [];
  });
  if (parsed.length === 0) {
    return (
      <p className="text-sm text-slate-600">
        No reward model has been evaluated yet. Train one above.
      </p>
    );
  }
  return (
    <>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-right text-sm" data-testid="table8">
          <caption className="px-3 pt-3 text-left text-sm text-slate-600">
            Accuracy (%) on held-out comparisons by degree of preference, as in the Llama 2
            paper&apos;s Table 8.
          </caption>
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th className="px-3 py-2 text-left font-medium">Reward model</th>
              <th className="px-3 py-2 text-left font-medium">Test set</th>
              {DEGREES.map((d) => (
                <th key={d} className="px-3 py-2 font-medium">
                  {DEGREE_LABELS[d]}
                </th>
              ))}
              <th className="px-3 py-2 font-medium">Avg</th>
            </tr>
          </thead>
          <tbody>
            {parsed.flatMap((r) =>
              (["helpfulness", "safety"] as const).flatMap((set) => {
                const cells = r.table8[set];
                if (!cells) return [];
                const tooFew = tooFewHeldOut(cells.average?.n);
                return [
                  <tr key={`${r.model}-${set}`} className="border-t border-slate-100">
                    <td className="px-3 py-2 text-left">{r.model}</td>
                    <td className="px-3 py-2 text-left">{set}</td>
                    {tooFew ? (
                      <td
                        colSpan={DEGREES.length + 1}
                        className="px-3 py-2 text-left text-slate-600"
                        data-testid="table8-too-few"
                      >
                        {tooFew}
                      </td>
                    ) : (
                      [...DEGREES, "average" as const].map((d) => (
                        <td key={d} className={`px-3 py-2 ${d === "average" ? "font-medium" : ""}`}>
                          {pct(cells[d]?.accuracy)}
                          <span className="block text-xs font-normal text-slate-500">
                            n = {num(cells[d]?.n ?? 0)}
                          </span>
                        </td>
                      ))
                    )}
                  </tr>,
                ];
              }),
            )}
          </tbody>
        </table>
      </div>
      <Table8Chart rows={parsed} />
    </>
  );
}
