"use client";
// The admin overview: the round under way (progress per axis and what blocks its next move), the
// running and failed jobs, the newest models, and the annotators who need a look, each linking to
// its page. One query (overview.get), refreshed while the page is open.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { formatSeconds, pct } from "@/lib/shared/format";
import { jobKindLabel } from "@/lib/shared/jobs";
import { modelKindLabel, roundStateLabel } from "@/lib/shared/messages";
import { NEXT_ACTION, STATUS_STYLE } from "./rounds/lifecycle";

function Card({
  title,
  testId,
  link,
  children,
}: {
  title: string;
  testId: string;
  link: { href: string; label: string };
  children: ReactNode;
}) {
  const id = `${testId}-title`;
  return (
    <section
      aria-labelledby={id}
      data-testid={testId}
      className="min-w-0 rounded-lg border border-slate-200 bg-white p-4"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id={id} className="font-medium">
          {title}
        </h2>
        <Link href={link.href} className="text-sm text-indigo-700 hover:underline">
          {link.label}
        </Link>
      </div>
      <div className="mt-3 text-sm">{children}</div>
    </section>
  );
}

const Empty = ({ children }: { children: ReactNode }) => (
  <p className="text-slate-600">{children}</p>
);

export function AdminOverview({ isAdmin }: { isAdmin: boolean }) {
  const trpc = useTRPC();
  const overview = useQuery(trpc.overview.get.queryOptions(undefined, { refetchInterval: 5_000 }));
  if (overview.error)
    return (
      <p role="alert" className="text-sm text-red-800">
        Could not load the overview: {overview.error.message}
      </p>
    );
  if (!overview.data) return <p className="text-sm text-slate-600">Loading…</p>;
  const { round, jobs, models, attention } = overview.data;

  return (
    <div className="mt-6 grid gap-4 lg:grid-cols-2">
      <Card
        title="Current round"
        testId="overview-round"
        link={
          round
            ? { href: `/admin/rounds/${round.id}`, label: "Open the round" }
            : { href: "/admin/rounds", label: "Rounds" }
        }
      >
        {!round ? (
          <Empty>
            No round is under way.{" "}
            <Link href="/admin/rounds" className="underline">
              Create one
            </Link>{" "}
            and start collecting.
          </Empty>
        ) : (
          <>
            <p className="flex flex-wrap items-center gap-2">
              <Link
                href={`/admin/rounds/${round.id}`}
                className="font-medium text-indigo-700 hover:underline"
              >
                Round {round.number}: {round.name}
              </Link>
              <span
                data-testid="overview-round-status"
                className={`rounded px-2 py-0.5 text-xs ${STATUS_STYLE[round.status] ?? ""}`}
              >
                {roundStateLabel(round.status)}
              </span>
            </p>
            <ul className="mt-3 space-y-2">
              {round.progress.map((p) => {
                const share = p.target > 0 ? Math.min(1, p.counted / p.target) : 0;
                return (
                  <li key={p.axis}>
                    <div className="flex justify-between gap-2">
                      <span className="capitalize">{p.axis}</span>
                      <span className="tabular-nums" data-testid={`overview-progress-${p.axis}`}>
                        {p.counted} / {p.target}
                      </span>
                    </div>
                    <div
                      role="progressbar"
                      aria-label={`${p.axis} annotations`}
                      aria-valuemin={0}
                      aria-valuemax={p.target}
                      aria-valuenow={p.counted}
                      className="mt-1 h-2 rounded bg-slate-100"
                    >
                      <div
                        className="h-2 rounded bg-indigo-500"
                        style={{ width: `${share * 100}%` }}
                      />
                    </div>
                    <p className="mt-0.5 text-xs text-slate-600">
                      {p.minimum} needed before reward-model training · {p.rejected} rejected
                    </p>
                  </li>
                );
              })}
            </ul>
            {round.next && (
              <p
                data-testid="overview-round-next"
                className={`mt-3 rounded-md px-3 py-2 ${round.blocker ? "bg-amber-50 text-amber-900" : "bg-green-50 text-green-900"}`}
              >
                {round.blocker
                  ? `${NEXT_ACTION[round.status] ?? "The next move"} waits: ${round.blocker}.`
                  : `Ready: “${NEXT_ACTION[round.status] ?? "move on"}” can be done now on the round's page.`}
              </p>
            )}
          </>
        )}
      </Card>

      <Card title="Jobs" testId="overview-jobs" link={{ href: "/admin/jobs", label: "All jobs" }}>
        {jobs.length === 0 ? (
          <Empty>No job is running or queued, and none failed in the last 7 days.</Empty>
        ) : (
          <ul className="space-y-3">
            {jobs.map((j) => (
              <li key={j.id} data-testid="overview-job" className="min-w-0">
                <div className="flex flex-wrap items-baseline justify-between gap-2">
                  <Link
                    href={j.roundId ? `/admin/rounds/${j.roundId}` : "/admin/jobs"}
                    className="text-indigo-700 hover:underline"
                  >
                    {jobKindLabel(j.kind)}
                    {j.round !== null && ` · round ${j.round}`}
                  </Link>
                  <span
                    data-testid="overview-job-state"
                    className={j.state === "failed" ? "font-medium text-red-800" : "text-slate-700"}
                  >
                    {j.state}
                    {j.state === "running" && ` · ${Math.round(j.progress * 100)} %`}
                    {j.state === "running" &&
                      j.etaSeconds !== null &&
                      ` · ETA ${formatSeconds(j.etaSeconds)}`}
                  </span>
                </div>
                {j.state === "running" && (
                  <div
                    role="progressbar"
                    aria-label={`${jobKindLabel(j.kind)} progress`}
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={Math.round(j.progress * 100)}
                    className="mt-1 h-2 rounded bg-slate-100"
                  >
                    <div
                      className="h-2 rounded bg-indigo-500"
                      style={{ width: `${j.progress * 100}%` }}
                    />
                  </div>
                )}
                {j.phase && j.state !== "failed" && (
                  <p className="text-xs text-slate-600">{j.phase}</p>
                )}
                {j.state === "failed" && j.error && (
                  <p className="text-xs break-words text-red-800">{j.error}</p>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card
        title="Latest models"
        testId="overview-models"
        link={{ href: "/admin/models", label: "All models" }}
      >
        {models.length === 0 ? (
          <Empty>
            No model versions yet: the first policy is registered when the worker starts.
          </Empty>
        ) : (
          <ul className="space-y-2">
            {models.map((m) => (
              <li key={m.id} data-testid={`overview-model-${m.name}`} className="min-w-0">
                <Link href="/admin/models" className="break-all text-indigo-700 hover:underline">
                  {m.name}
                </Link>
                <span className="text-slate-600">
                  {" "}
                  · {modelKindLabel(m.kind)}
                  {m.round !== null && ` · round ${m.round}`}
                </span>
                <p className="text-xs text-slate-700">
                  {m.kind === "policy"
                    ? m.winRate
                      ? `Win rate ${pct(m.winRate.rewardModel)} by the reward models` +
                        (m.winRate.oracle !== null
                          ? `, ${pct(m.winRate.oracle)} by the oracle`
                          : "") +
                        ` (round ${m.winRate.round}, ${m.winRate.n} prompts)`
                      : "Not evaluated yet"
                    : m.table8 && (m.table8.helpfulness || m.table8.safety)
                      ? "Table 8 average: " +
                        [
                          m.table8.helpfulness &&
                            `helpfulness set ${pct(m.table8.helpfulness.accuracy)} (n ${m.table8.helpfulness.n})`,
                          m.table8.safety &&
                            `safety set ${pct(m.table8.safety.accuracy)} (n ${m.table8.safety.n})`,
                        ]
                          .filter(Boolean)
                          .join(", ")
                      : "No held-out accuracy yet"}
                </p>
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card
        title="Annotators needing attention"
        testId="overview-attention"
        link={
          isAdmin
            ? { href: "/admin/annotators", label: "All annotators" }
            : { href: "/admin/review", label: "Review" }
        }
      >
        {attention.length === 0 ? (
          <Empty>Nobody is flagged: no position bias beyond chance and no low gold accuracy.</Empty>
        ) : (
          <ul className="space-y-2">
            {attention.map((a) => (
              <li key={a.id} data-testid={`overview-annotator-${a.email}`}>
                <Link
                  href={isAdmin ? "/admin/annotators" : "/admin/review"}
                  className="break-all text-indigo-700 hover:underline"
                >
                  {a.email}
                </Link>
                <span className="text-slate-600"> · {a.count} labels</span>
                <ul className="text-xs text-slate-700">
                  {a.lowGold && (
                    <li>
                      Low gold accuracy: {pct(a.goldAccuracy)} on {a.goldItems} gold items
                    </li>
                  )}
                  {a.biased && (
                    <li>
                      Position bias: picks the left response {pct(a.leftShare)} of the time, more
                      than chance explains
                    </li>
                  )}
                </ul>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
