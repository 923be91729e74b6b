// The whole RLHF loop on the demo world, driven through the platform's real HTTP API:
// start the platform (own data folder and ports), create annotator accounts as the admin, and for
// each round: simulated annotators label helpfulness and safety comparisons, both reward models are
// trained, rejection sampling (and PPO in the last round) makes the next policy, it is evaluated
// against the previous one on the demo world's held-out prompts, and the round is published.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startService, type TService } from "@/lib/platform/services";
import { defaultRoundConfig, type TRoundConfig } from "@/lib/shared/round-config";
import { ZRoundEvaluation, type TRoundEvaluation } from "@/lib/shared/rlhf";
import type { TTable8 } from "@/lib/shared/reward-metrics";
import { platformClient, signIn } from "../bench/http-client";
import { annotateUntil, type TAnnotateStats, type TSimAnnotator } from "./annotate";
import { AnnotatorSidecar, type TProfile } from "./sidecar";
import { rawTrpc, TrpcError, type TRawTrpc } from "./trpc";
import { pct } from "@/lib/shared/format";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export type TLoopOptions = {
  rounds: number;
  /** Annotations per round (both axes; the prompt mix decides the split, about 60/40). */
  comparisons: number;
  /** Simulated annotators working at once, with their profiles in this order (cycled). */
  annotators: number;
  profiles: TProfile[];
  port: number;
  dataDir?: string;
  rewardModel: { epochs: number; learningRate: number; batchSize: number; margins: "small" };
  rejectionSampling: {
    promptCount: number;
    k: number;
    temperature: number;
    epochs: number;
    learningRate: number;
    batchSize: number;
    maxTokens: number;
  };
  /** PPO after rejection sampling in these rounds (1-based); the paper's round order. */
  ppoRounds: number[];
  ppo: {
    iterations: number;
    rolloutBatch: number;
    minibatchSize: number;
    ppoEpochs: number;
    klBeta: number;
    learningRate: number;
    maxTokens: number;
    promptCount: number;
  };
  evaluation: {
    promptCount: number;
    temperature: number;
    maxTokens: number;
    /** Replies per prompt and policy; the per-prompt means are compared. */
    samplesPerPrompt: number;
  };
  /** Sampling length of the annotation pairs. */
  pairMaxTokens: number;
  log: (line: string) => void;
};

export const FULL_OPTIONS: Omit<TLoopOptions, "log"> = {
  rounds: 3,
  comparisons: 400,
  annotators: 8,
  // Mostly careful, some noisy and position-biased (docs/demo-world.md's profiles).
  profiles: [
    "careful",
    "careful",
    "noisy",
    "careful",
    "position_biased",
    "careful",
    "careful",
    "noisy",
  ],
  port: 3731,
  rewardModel: { epochs: 2, learningRate: 3e-3, batchSize: 16, margins: "small" },
  rejectionSampling: {
    promptCount: 600,
    k: 8,
    temperature: 0.7,
    epochs: 2,
    learningRate: 1e-4,
    batchSize: 16,
    maxTokens: 64,
  },
  ppoRounds: [3],
  ppo: {
    iterations: 10,
    rolloutBatch: 32,
    minibatchSize: 8,
    ppoEpochs: 2,
    klBeta: 0.01,
    learningRate: 1e-5,
    maxTokens: 48,
    promptCount: 256,
  },
  evaluation: { promptCount: 480, temperature: 0.7, maxTokens: 64, samplesPerPrompt: 8 },
  pairMaxTokens: 64,
};

export type TStep = { round: number | null; name: string; seconds: number; detail?: string };

export type TRewardModelInfo = {
  name: string;
  table8: TTable8;
  datasets?: unknown;
};

export type TRoundResult = {
  number: number;
  roundId: string;
  annotation?: TAnnotateStats & { seconds: number };
  rewardModels?: { helpfulness?: TRewardModelInfo; safety?: TRewardModelInfo };
  rejectionSampling?: Record<string, unknown>;
  ppo?: Record<string, unknown>;
  evaluation?: TRoundEvaluation;
  published: boolean;
};

export type TLoopResult = {
  options: Omit<TLoopOptions, "log">;
  startedAt: string;
  seconds: number;
  steps: TStep[];
  rounds: TRoundResult[];
  /** The first failure that stopped the loop, if any. */
  error?: string;
  machine: string;
};

const ADMIN = { email: "admin@loop.test", password: "loop-admin-password-1" };
const ANNOTATOR_PASSWORD = "loop-annotator-password-1";

type TJobRow = {
  id: string;
  state: string;
  phase: string | null;
  progress: number;
  error: string | null;
  result: unknown;
};

export async function runLoop(opts: TLoopOptions): Promise<TLoopResult> {
  const t0 = performance.now();
  const { log, ...options } = opts;
  const result: TLoopResult = {
    options,
    startedAt: new Date().toISOString(),
    seconds: 0,
    steps: [],
    rounds: [],
    machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg()[0]!.toFixed(1)} at start`,
  };
  const clock = () => {
    const s = (performance.now() - t0) / 1000;
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  };
  async function step<T>(
    round: number | null,
    name: string,
    fn: () => Promise<T>,
    detail?: (v: T) => string,
  ): Promise<T> {
    const s0 = performance.now();
    const label = round === null ? name : `round ${round} · ${name}`;
    log(`[${clock()}] ${label} …`);
    const v = await fn();
    const seconds = (performance.now() - s0) / 1000;
    const d = detail?.(v);
    result.steps.push({ round, name, seconds, ...(d ? { detail: d } : {}) });
    log(`[${clock()}] ${label}: ${seconds.toFixed(1)} s${d ? ` — ${d}` : ""}`);
    return v;
  }

  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "pairwise-loop-"));
  mkdirSync(dataDir, { recursive: true });
  const base = `http://127.0.0.1:${opts.port}`;
  const platformLog: string[] = [];
  let platform: TService | null = null;
  let sidecar: AnnotatorSidecar | null = null;
  try {
    platform = await step(
      null,
      "start the platform",
      () =>
        startService({
          name: "platform",
          command: path.join(ROOT, "node_modules/.bin/tsx"),
          args: ["scripts/start.ts"],
          cwd: ROOT,
          env: {
            ...process.env,
            OMP_WAIT_POLICY: "PASSIVE",
            PORT: String(opts.port),
            PAIRWISE_DATA_DIR: dataDir,
            PGLITE_PORT: String(opts.port + 1000),
            ENGINE_PORT: String(opts.port + 2000),
            ADMIN_EMAIL: ADMIN.email,
            ADMIN_PASSWORD: ADMIN.password,
          },
          readyPattern: /Pairwise is running at/,
          timeoutMs: 900_000,
          log: (l) => {
            platformLog.push(l);
            if (platformLog.length > 4000) platformLog.splice(0, 1000);
          },
        }),
      () => `${base}, data in ${dataDir}`,
    );
    sidecar = await step(null, "start the simulated annotators' sidecar", () =>
      AnnotatorSidecar.start(process.env.ENGINE_PYTHON || "/usr/bin/python3", ROOT),
    );

    const adminCookie = await signIn(base, ADMIN.email, ADMIN.password);
    const admin = platformClient(base, adminCookie);
    const api = rawTrpc(base, adminCookie);

    const annotators: TSimAnnotator[] = await step(
      null,
      `create and sign in ${opts.annotators} annotator accounts`,
      async () => {
        const out: TSimAnnotator[] = [];
        for (let i = 0; i < opts.annotators; i++) {
          const profile = opts.profiles[i % opts.profiles.length]!;
          const email = `annotator-${i + 1}-${profile.replace("_", "-")}@loop.test`;
          await admin.users.create.mutate({
            name: `Simulated ${profile} ${i + 1}`,
            email,
            password: ANNOTATOR_PASSWORD,
            role: "annotator",
          });
          const cookie = await signIn(base, email, ANNOTATOR_PASSWORD, `127.0.2.${i + 1}`);
          out.push({ email, profile, seed: i + 1, cookie, client: platformClient(base, cookie) });
        }
        return out;
      },
      (a) => a.map((x) => x.profile).join(", "),
    );

    // The paper's design once a previous policy exists: side A the latest policy, side B the
    // previous one (round 1 samples the bundled policy on both sides).
    const roundConfig = (n: number): TRoundConfig => {
      const c = defaultRoundConfig({ previousPolicy: n > 1 });
      return {
        ...c,
        variants: [
          { ...c.variants[0], maxTokens: opts.pairMaxTokens },
          { ...c.variants[1], maxTokens: opts.pairMaxTokens },
        ],
        targets: {
          helpfulness: Math.ceil(opts.comparisons * 0.6),
          safety: Math.ceil(opts.comparisons * 0.4),
        },
        promptSources: { queued: false, annotatorWritten: true },
      };
    };

    for (let n = 1; n <= opts.rounds; n++) {
      const round: TRoundResult = { number: n, roundId: "", published: false };
      result.rounds.push(round);
      round.roundId = await step(n, "open the round", async () => {
        const rounds = await admin.rounds.list.query();
        const existing = rounds.find((r) => r.number === n);
        if (existing && existing.status === "collecting") {
          await admin.rounds.updateConfig.mutate({ roundId: existing.id, config: roundConfig(n) });
          return existing.id;
        }
        const created = await admin.rounds.create.mutate({
          name: `Loop round ${n}`,
          config: roundConfig(n),
        });
        await admin.rounds.advance.mutate({ roundId: created.id });
        return created.id;
      });

      const stats = await step(
        n,
        `annotate ${opts.comparisons} comparisons (${opts.annotators} simulated annotators over HTTP)`,
        async () => {
          const s0 = performance.now();
          let shown = 0;
          const s = await annotateUntil({
            baseUrl: base,
            annotators,
            sidecar: sidecar!,
            target: opts.comparisons,
            promptSeedBase: n * 1_000_000,
            onProgress: (st) => {
              const tenth = Math.floor((10 * st.submitted) / opts.comparisons);
              if (tenth > shown && tenth < 10) {
                shown = tenth;
                log(
                  `           ${st.submitted}/${opts.comparisons} annotations (${(st.submitted / ((performance.now() - s0) / 1000)).toFixed(1)}/s)`,
                );
              }
            },
          });
          return { ...s, seconds: (performance.now() - s0) / 1000 };
        },
        (s) =>
          `${s.byAxis.helpfulness} helpfulness + ${s.byAxis.safety} safety, ${s.dialogues} dialogues, ` +
          `${s.continued} follow-up turns, ${s.overlapItems} overlap items, ${s.retries} streams retried, ${s.skipped} skipped, agreement with the oracle ` +
          `${pct(s.agree / Math.max(1, s.decisive))} of ${s.decisive} decisive pairs, ${s.errors.length} errors`,
      );
      round.annotation = stats;

      await step(n, "close collection (collecting → training_rewards)", () =>
        admin.rounds.advance.mutate({ roundId: round.roundId }),
      );

      const rm = await step(
        n,
        "train the helpfulness and safety reward models",
        () =>
          runJob(api, log, round.roundId, {
            kind: "train_reward",
            config: {
              roundIds: [],
              axes: ["helpfulness", "safety"],
              margins: opts.rewardModel.margins,
              epochs: opts.rewardModel.epochs,
              learningRate: opts.rewardModel.learningRate,
              batchSize: opts.rewardModel.batchSize,
            },
          }),
        (r) => rmSummary(r),
      );
      void rm;
      round.rewardModels = await rewardModelsOf(admin, n);
      await step(n, "advance (training_rewards → rlhf)", () =>
        admin.rounds.advance.mutate({ roundId: round.roundId }),
      );

      round.rejectionSampling = (await step(
        n,
        `rejection sampling (K = ${opts.rejectionSampling.k}, ${opts.rejectionSampling.promptCount} prompts)`,
        () =>
          runJob(api, log, round.roundId, {
            kind: "rejection_sampling",
            config: { ...opts.rejectionSampling, reward: "combined" },
          }),
        (r) => pick(r, ["prompts", "poolSize", "meanReward", "meanBestReward", "finalLoss"]),
      )) as Record<string, unknown>;

      if (opts.ppoRounds.includes(n)) {
        round.ppo = (await step(
          n,
          `PPO (${opts.ppo.iterations} iterations × ${opts.ppo.rolloutBatch} rollouts)`,
          () => runJob(api, log, round.roundId, { kind: "ppo", config: opts.ppo }),
          (r) => pick(r, ["iterationsRun", "stoppedEarly", "stopReason", "final"]),
        )) as Record<string, unknown>;
      }

      await step(n, "advance (rlhf → evaluating)", () =>
        admin.rounds.advance.mutate({ roundId: round.roundId }),
      );
      const evalResult = await step(
        n,
        `evaluate against the previous policy (${opts.evaluation.promptCount} held-out prompts)`,
        () =>
          runJob(api, log, round.roundId, {
            kind: "evaluate",
            config: { ...opts.evaluation, promptSet: "demo_heldout" },
          }),
      );
      // The job stores the evaluation on the round and returns it as its result.
      const parsed = ZRoundEvaluation.safeParse(evalResult.evaluation);
      if (!parsed.success)
        throw new Error(`the evaluation job returned no round evaluation: ${parsed.error.message}`);
      round.evaluation = parsed.data;
      if (round.evaluation) log(`           ${evalSummary(round.evaluation)}`);
      await step(n, "publish (evaluating → published)", () =>
        admin.rounds.advance.mutate({ roundId: round.roundId }),
      );
      round.published = true;
    }
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    log(`[${clock()}] STOPPED: ${result.error}`);
    writeFileSync(path.join(dataDir, "platform.log"), platformLog.join("\n"));
    log(`           platform log: ${path.join(dataDir, "platform.log")}`);
  } finally {
    await sidecar?.stop();
    await platform?.stop();
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** Starts a job for the round through jobs.start and follows it to the end, printing phases. */
async function runJob(
  api: TRawTrpc,
  log: (l: string) => void,
  roundId: string,
  spec: { kind: string; config: Record<string, unknown> },
): Promise<Record<string, unknown>> {
  let job: TJobRow;
  try {
    job = await api.mutate<TJobRow>("jobs.start", { roundId, spec });
  } catch (e) {
    if (e instanceof TrpcError && e.code === "NOT_FOUND" && /procedure/i.test(e.message))
      throw new Error(`the platform has no jobs.start procedure yet (${spec.kind})`);
    throw e;
  }
  let phase = "";
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    job = await api.query<TJobRow>("jobs.get", { jobId: job.id });
    const p = `${job.state}${job.phase ? ` · ${job.phase}` : ""}`;
    if (p !== phase) {
      phase = p;
      log(`           ${spec.kind}: ${p} (${Math.round(job.progress * 100)} %)`);
    }
    if (job.state === "succeeded") return (job.result ?? {}) as Record<string, unknown>;
    if (job.state === "failed" || job.state === "cancelled")
      throw new Error(`${spec.kind} job ${job.id} ${job.state}: ${job.error ?? "no reason"}`);
  }
}

async function rewardModelsOf(admin: ReturnType<typeof platformClient>, roundNumber: number) {
  const out: { helpfulness?: TRewardModelInfo; safety?: TRewardModelInfo } = {};
  for (const [axis, kind] of [
    ["helpfulness", "reward_helpfulness"],
    ["safety", "reward_safety"],
  ] as const) {
    const models = await admin.models.list.query({ kind });
    const m = models.find((x) => x.round?.number === roundNumber);
    if (!m) continue;
    const metrics = (m.metrics ?? {}) as { table8?: TTable8; datasets?: unknown };
    out[axis] = { name: m.name, table8: metrics.table8 ?? {}, datasets: metrics.datasets };
  }
  return out;
}

export { pct };

function pick(r: Record<string, unknown>, keys: string[]): string {
  return keys
    .filter((k) => r[k] !== undefined)
    .map(
      (k) =>
        `${k} ${typeof r[k] === "number" ? +(r[k] as number).toFixed(4) : JSON.stringify(r[k])}`,
    )
    .join(", ");
}

function rmSummary(r: Record<string, unknown>): string {
  const models = (r.models ?? {}) as Record<string, { table8?: TTable8 }>;
  return Object.entries(models)
    .map(([axis, m]) => {
      const t = m.table8?.[axis as "helpfulness" | "safety"];
      return `${axis}: significantly ${pct(t?.significantly_better?.accuracy)}, negligibly ${pct(t?.negligibly_better?.accuracy)}, average ${pct(t?.average?.accuracy)}`;
    })
    .join("; ");
}

export function evalSummary(e: TRoundEvaluation): string {
  const w = (x: TRoundEvaluation["oracle"]) =>
    x ? `${pct(x.winRate)} [${pct(x.ci95[0])}, ${pct(x.ci95[1])}]` : "—";
  return (
    `win rate by oracle ${w(e.oracle)}, by reward model ${w(e.rewardModel)}` +
    (e.rates
      ? `; unsafe compliance ${pct(e.rates.baseline.unsafeCompliance)} → ${pct(e.rates.model.unsafeCompliance)}, ` +
        `over-refusal ${pct(e.rates.baseline.overRefusal)} → ${pct(e.rates.model.overRefusal)}`
      : "")
  );
}
