// Simulated annotators working through the platform's HTTP API exactly as the browser does:
// annotation.next (a pool or overlap item) or, when there is none, annotation.start with a prompt
// the annotator writes (a demo-world prompt); the pair is sampled by reading the comparison's
// server-sent-events stream; the decision comes from the sidecar's profile; annotation.submit;
// for a multi-turn prompt, annotation.continue with the next user turn, then annotation.finish.
import { sameResponses } from "@/lib/shared/pairs";
import type { TPlatformClient } from "../bench/http-client";
import type { AnnotatorSidecar, TProfile } from "./sidecar";

export type TSimAnnotator = {
  email: string;
  profile: TProfile;
  seed: number;
  client: TPlatformClient;
  cookie: string;
};

export type TAnnotateStats = {
  submitted: number;
  byAxis: { helpfulness: number; safety: number };
  byProfile: Record<string, number>;
  byDegree: Record<string, number>;
  skipped: number;
  /** Pair streams retried after a retryable error (sampling limit, busy engine). */
  retries: number;
  dialogues: number;
  continued: number;
  overlapItems: number;
  /** Submitted pairs whose two responses are the same text (a tiny model often repeats itself). */
  identical: number;
  /** Comparisons the platform dropped because their responses stayed identical after resampling. */
  dropped: number;
  /** Oracle agreement of submitted choices where the oracle is not tied. */
  agree: number;
  decisive: number;
  errors: string[];
};

type TItem = NonNullable<Awaited<ReturnType<TPlatformClient["annotation"]["next"]["mutate"]>>>;

/** Reads the pair stream to the end and returns the two responses as displayed. */
export async function samplePair(
  baseUrl: string,
  cookie: string,
  comparisonId: string,
): Promise<
  { left: string; right: string } | { error: string; retryable: boolean } | { dropped: string }
> {
  const res = await fetch(`${baseUrl}/api/comparisons/${comparisonId}/stream`, {
    headers: { cookie },
  });
  const text = await res.text();
  let out:
    { left: string; right: string } | { error: string; retryable: boolean } | { dropped: string } =
    {
      error: `stream ended without a result (${res.status}): ${text.slice(-200)}`,
      retryable: res.status >= 500,
    };
  for (const chunk of text.split("\n\n")) {
    const line = chunk.trim();
    if (!line.startsWith("data:")) continue;
    const ev = JSON.parse(line.slice(5)) as {
      type: string;
      left?: string;
      right?: string;
      message?: string;
      retryable?: boolean;
    };
    if (ev.type === "done") out = { left: ev.left!, right: ev.right! };
    else if (ev.type === "error")
      out = { error: ev.message ?? "error", retryable: ev.retryable ?? false };
    // The two responses stayed identical: the server set the item aside and let the holder go.
    else if (ev.type === "dropped") out = { dropped: ev.message ?? "dropped" };
  }
  return out;
}

export function emptyStats(): TAnnotateStats {
  return {
    submitted: 0,
    byAxis: { helpfulness: 0, safety: 0 },
    byProfile: {},
    byDegree: {},
    skipped: 0,
    retries: 0,
    identical: 0,
    dropped: 0,
    dialogues: 0,
    continued: 0,
    overlapItems: 0,
    agree: 0,
    decisive: 0,
    errors: [],
  };
}

/**
 * Runs the annotators concurrently until `target` annotations are submitted in total (an item
 * already started is finished, so the count can end slightly above the target).
 */
export async function annotateUntil(opts: {
  baseUrl: string;
  annotators: TSimAnnotator[];
  sidecar: AnnotatorSidecar;
  target: number;
  /** Seeds of the prompts the annotators write: a distinct range per round. */
  promptSeedBase: number;
  onProgress?: (stats: TAnnotateStats) => void;
}): Promise<TAnnotateStats> {
  const stats = emptyStats();
  let promptSeed = opts.promptSeedBase;
  let keyN = 0;
  const done = () => stats.submitted >= opts.target;

  async function label(a: TSimAnnotator, item: TItem): Promise<boolean> {
    let left = item.left;
    let right = item.right;
    if (item.status !== "ready") {
      let pair = await samplePair(opts.baseUrl, a.cookie, item.comparisonId);
      // A retryable error (the per-annotator sampling limit, a busy engine): wait, as a person would.
      for (let attempt = 1; "error" in pair && pair.retryable && attempt <= 8; attempt++) {
        stats.retries += 1;
        await new Promise((r) => setTimeout(r, 2000 * attempt));
        pair = await samplePair(opts.baseUrl, a.cookie, item.comparisonId);
      }
      if ("dropped" in pair) {
        stats.dropped += 1;
        return false;
      }
      if ("error" in pair) {
        stats.errors.push(`pair ${item.comparisonId}: ${pair.error}`);
        await a.client.annotation.skip.mutate({
          assignmentId: item.assignmentId,
          reason: "responses_broken",
          note: pair.error.slice(0, 400),
        });
        stats.skipped += 1;
        return false;
      }
      left = pair.left;
      right = pair.right;
    }
    const d = await opts.sidecar.annotate({
      profile: a.profile,
      seed: a.seed,
      axis: item.axis,
      messages: item.context,
      left,
      right,
    });
    const safety = d.chosen_unsafe_other_safe ? "chosen_unsafe_other_safe" : d.safety_label;
    await a.client.annotation.submit.mutate({
      assignmentId: item.assignmentId,
      idempotencyKey: `loop-${a.seed}-${keyN++}-${item.assignmentId}`,
      chosenSide: d.choice,
      degree: d.degree,
      ...(safety ? { safety } : {}),
      flags: [],
      timeSpentMs: d.time_spent_ms,
    });
    stats.submitted += 1;
    if (sameResponses(left, right)) stats.identical += 1;
    stats.byAxis[item.axis] += 1;
    stats.byProfile[a.profile] = (stats.byProfile[a.profile] ?? 0) + 1;
    stats.byDegree[d.degree] = (stats.byDegree[d.degree] ?? 0) + 1;
    const sl = d.oracle.left.axis_score;
    const sr = d.oracle.right.axis_score;
    if (sl !== sr) {
      stats.decisive += 1;
      if (sl > sr === (d.choice === "left")) stats.agree += 1;
    }
    opts.onProgress?.(stats);
    return true;
  }

  async function work(a: TSimAnnotator) {
    while (!done()) {
      try {
        const next = await a.client.annotation.next.mutate();
        if (next) {
          stats.overlapItems += 1;
          await label(a, next);
          continue;
        }
        const p = await opts.sidecar.prompt(promptSeed++);
        // Safety annotators get the adversarial prompts: harmful requests and borderline ones.
        const axis = p.is_safety || p.group === "borderline" ? "safety" : "helpfulness";
        let item: TItem = await a.client.annotation.start.mutate({
          axis,
          source: {
            kind: "write",
            prompt: {
              text: p.text,
              taskCategory: p.task_category as never,
              ...(p.risk_category ? { riskCategory: p.risk_category as never } : {}),
              adversarial: p.adversarial,
            },
          },
        });
        stats.dialogues += 1;
        const dialogueId = item.dialogueId!;
        let ok = await label(a, item);
        for (const followup of p.followups) {
          if (!ok || done() || !item.canContinue) break;
          item = await a.client.annotation.continue.mutate({ dialogueId, message: followup });
          stats.continued += 1;
          ok = await label(a, item);
        }
        await a.client.annotation.finish.mutate({ dialogueId });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        stats.errors.push(`${a.email}: ${msg}`);
        if (stats.errors.length > 50) throw new Error(`too many annotation errors; last: ${msg}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  await Promise.all(opts.annotators.map((a) => work(a)));
  return stats;
}
