"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/client/trpc";
import type { TLineageNode } from "@/lib/server/models/lineage";
import { metricLabel } from "@/lib/shared/messages";
import { Table8 } from "../jobs/table8";
import { pct } from "@/lib/shared/format";
import { tooFewHeldOut } from "@/lib/shared/reward-metrics";

const KIND_LABEL: Record<TLineageNode["kind"], string> = {
  policy: "policy",
  reward_helpfulness: "helpfulness RM",
  reward_safety: "safety RM",
};
const KIND_STYLE: Record<TLineageNode["kind"], string> = {
  policy: "bg-indigo-100 text-indigo-800",
  reward_helpfulness: "bg-emerald-100 text-emerald-800",
  reward_safety: "bg-amber-100 text-amber-800",
};

/** A test set's average accuracy with its n, or why it has none. */
function testSet(cell: { accuracy?: number | null; n: number } | undefined): string {
  if (!cell) return "not measured";
  return tooFewHeldOut(cell.n) ?? `${pct(cell.accuracy)} (n ${cell.n})`;
}

function Summary({ node }: { node: TLineageNode }) {
  if (node.kind !== "policy") {
    if (!node.table8) return <span className="text-slate-500">not evaluated</span>;
    return (
      <span>
        Table 8 average: helpfulness set {testSet(node.table8.helpfulness)}, safety set{" "}
        {testSet(node.table8.safety)}
      </span>
    );
  }
  const e = node.evaluation;
  if (!e)
    return (
      <span className="text-slate-500">
        {node.parentId ? "no evaluation yet" : "the first policy (the baseline of round 1)"}
      </span>
    );
  return (
    <span>
      Round {e.round} win rate vs its baseline: {pct(e.rewardModel.winRate)} by the reward models
      (95% CI {pct(e.rewardModel.ci95[0])}–{pct(e.rewardModel.ci95[1])}, n {e.rewardModel.n})
      {e.oracle && <>, {pct(e.oracle.winRate)} by the demo oracle</>}
      {e.rates && (
        <>
          ; unsafe compliance {pct(e.rates.model.unsafeCompliance)}, over-refusal{" "}
          {pct(e.rates.model.overRefusal)}
        </>
      )}
    </span>
  );
}

function Node({ node, canDownload }: { node: TLineageNode; canDownload: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <li
      role="treeitem"
      aria-selected={false}
      aria-expanded={node.children.length ? true : undefined}
    >
      <div
        data-testid={`model-${node.name}`}
        data-model-id={node.id}
        className="rounded-lg border border-slate-200 bg-white p-3 text-sm"
      >
        <div className="flex flex-wrap items-baseline gap-2">
          <span className={`rounded px-1.5 py-0.5 text-xs ${KIND_STYLE[node.kind]}`}>
            {KIND_LABEL[node.kind]}
          </span>
          <strong className="font-mono">{node.name}</strong>
          <span className="text-slate-600">
            {node.round !== null ? `round ${node.round}` : "no round"} · created{" "}
            {node.createdAt.toLocaleString()}
            {node.parentName && ` · from ${node.parentName}`}
          </span>
        </div>
        <div className="mt-1">
          <Summary node={node} />
        </div>
        {node.numbers.length > 0 && (
          <div className="mt-1 flex flex-wrap gap-x-4 text-xs text-slate-600">
            {node.numbers.map((n) => (
              <span key={n.key}>
                {metricLabel(n.key)}:{" "}
                <span className="tabular-nums">{Number(n.value.toPrecision(4))}</span>
              </span>
            ))}
          </div>
        )}
        <div className="mt-1 flex flex-wrap items-center gap-3 text-xs">
          {node.trainingMethod && (
            <span className="rounded bg-slate-100 px-1.5 py-0.5 text-slate-700">
              {node.trainingMethod === "lora" ? "LoRA adapter" : "full fine-tune"}
            </span>
          )}
          <code
            className="break-all text-slate-600"
            title={node.trainingMethod === "lora" ? "PEFT adapter folder" : "artifact path"}
          >
            {node.artifactPath}
          </code>
          {node.notDownloadable ? (
            <span className="text-slate-500">not downloadable: {node.notDownloadable}</span>
          ) : canDownload ? (
            <a
              href={`/api/admin/models/${node.id}/download`}
              download
              className="rounded-md border border-slate-300 px-2 py-0.5 hover:bg-slate-100"
            >
              {node.trainingMethod === "lora"
                ? "Download PEFT adapter (.tar)"
                : "Download checkpoint (.tar)"}
            </a>
          ) : null}
          {node.merged &&
            (node.merged.notDownloadable ? (
              <span className="text-slate-500">
                merged checkpoint not downloadable: {node.merged.notDownloadable}
              </span>
            ) : canDownload ? (
              <a
                href={`/api/admin/models/${node.id}/download?variant=merged`}
                download
                className="rounded-md border border-slate-300 px-2 py-0.5 hover:bg-slate-100"
              >
                Download merged checkpoint (.tar)
              </a>
            ) : null)}
          {(node.table8 || node.evaluation || node.metrics !== null) && (
            <button
              onClick={() => setOpen((o) => !o)}
              aria-expanded={open}
              className="rounded-md border border-slate-300 px-2 py-0.5 hover:bg-slate-100"
            >
              {open ? "Hide details" : "Details"}
            </button>
          )}
        </div>
        {open && (
          <div className="mt-3 space-y-3">
            {node.kind !== "policy" && node.table8 && (
              <Table8 rows={[{ model: node.name, metrics: node.metrics }]} />
            )}
            <pre className="max-h-64 overflow-auto rounded bg-slate-50 p-2 text-xs">
              {JSON.stringify(node.evaluation ?? node.metrics, null, 2)}
            </pre>
          </div>
        )}
      </div>
      {node.children.length > 0 && (
        <ul role="group" className="mt-2 ml-6 space-y-2 border-l border-slate-200 pl-4">
          {node.children.map((c) => (
            <Node key={c.id} node={c} canDownload={canDownload} />
          ))}
        </ul>
      )}
    </li>
  );
}

export function ModelsPanel({ canDownload }: { canDownload: boolean }) {
  const trpc = useTRPC();
  const lineage = useQuery(trpc.lineage.tree.queryOptions());
  return (
    <section aria-labelledby="models-title" className="space-y-4">
      <div>
        <h1 id="models-title" className="text-2xl font-semibold">
          Models
        </h1>
        <p className="mt-1 text-sm text-slate-600">
          Every model version as a lineage tree from the first policy: under each policy, the reward
          models trained while it was current and the policies fine-tuned from it. Reward models
          show their Table 8 average accuracy; policies the win rate of their round&apos;s
          evaluation. Checkpoints inside the data directory can be downloaded as a tar (also through
          the export API).
        </p>
      </div>
      {lineage.isLoading && <p className="text-sm text-slate-600">Loading…</p>}
      {lineage.error && (
        <p role="alert" className="text-sm text-red-700">
          {lineage.error.message}
        </p>
      )}
      {lineage.data?.count === 0 && (
        <p className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-600">
          No model versions yet. The engine&apos;s model is registered as the first policy when a
          round first generates responses or a training job starts; train reward models from the
          Jobs page.
        </p>
      )}
      {lineage.data && lineage.data.count > 0 && (
        <ul
          role="tree"
          aria-label="Model lineage"
          data-testid="model-lineage"
          className="space-y-2"
        >
          {lineage.data.roots.map((n) => (
            <Node key={n.id} node={n} canDownload={canDownload} />
          ))}
        </ul>
      )}
    </section>
  );
}
