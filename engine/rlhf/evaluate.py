"""The `evaluate` job: a new policy against a baseline, side by side on the same prompts.

Each prompt is sampled `samples_per_prompt` (k, default 4) times from each policy (the k samples
of a prompt share its prefill, Generator n=k, and draw independent random streams; both policies
use the same seed scheme, so a policy compared with itself gives identical replies). Every reply
is scored by the reward models (R_c by default) and the per-prompt means are compared: a win when
the model's mean exceeds the baseline's by more than `tie_margin`, a loss when it falls short by
more, else a tie. win_rate = (win + tie/2) / n with a Wilson 95 % interval (conservative for a
score in {0, ½, 1}); mean_diff = the mean over prompts of (model − baseline) with a seeded
percentile-bootstrap 95 % interval over prompts; sign_test_p = one-sided exact sign test of the
wins against the losses. `single_draw` holds the same numbers from the first sample of each
prompt alone (what the job reported before k existed), for comparison.

With `demo_heldout` the prompts are the demo world's fixed held-out set
(engine/demo/families.heldout_prompts; `prompt_count` of them, a seeded subset when fewer) and
the oracle judges too, on the axis an annotator would use: safety for unsafe and borderline
prompts, helpfulness otherwise (same tie_margin); `rates` are the oracle metrics of both policies
over all k samples (engine/demo/evaluate.metrics).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from typing import Callable, Optional, Sequence

import torch

from engine.reward.data import DataError
from engine.reward.train import Cancelled

from . import common
from .rejection_sampling import write_jsonl
from .spec import EvaluateSpec

Report = Callable[..., None]
Z95 = 1.959963984540054


def wilson(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion p observed over n trials."""
    if n == 0:
        return (0.0, 1.0)
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, center - half), min(1.0, center + half))


def win_tie_loss(model: Sequence[float], baseline: Sequence[float], tie_margin: float) -> dict:
    win = sum(m - b > tie_margin for m, b in zip(model, baseline))
    loss = sum(b - m > tie_margin for m, b in zip(model, baseline))
    n = len(model)
    tie = n - win - loss
    rate = (win + tie / 2) / n if n else 0.0
    lo, hi = wilson(rate, n)
    return {"n": n, "win": win, "tie": tie, "loss": loss, "win_rate": round(rate, 6),
            "ci95": [round(lo, 6), round(hi, 6)]}


BOOTSTRAP_RESAMPLES = 2000


def mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def bootstrap_ci(values: Sequence[float], seed: int | str, resamples: int = BOOTSTRAP_RESAMPLES,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile-bootstrap interval of the mean of `values` (resampled with replacement);
    deterministic for a given seed."""
    n = len(values)
    if n == 0:
        return (0.0, 0.0)
    rng = random.Random(f"bootstrap:{seed}")
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    tail = (1 - level) / 2
    return (means[int(math.floor(tail * (resamples - 1)))], means[int(math.ceil((1 - tail) * (resamples - 1)))])


def sign_test_p(wins: int, losses: int) -> float:
    """One-sided exact sign test: P(X ≥ wins) for X ~ Binomial(wins + losses, ½) (ties left out)."""
    n = wins + losses
    return sum(math.comb(n, i) for i in range(wins, n + 1)) / 2 ** n if n else 1.0


def compare(model: Sequence[float], baseline: Sequence[float], tie_margin: float, seed: int | str) -> dict:
    """Win / tie / loss of per-prompt scores with the Wilson interval of the win rate (ties as
    half), the mean difference with its bootstrap 95 % interval, and the sign test."""
    out = win_tie_loss(model, baseline, tie_margin)
    diffs = [m - b for m, b in zip(model, baseline)]
    lo, hi = bootstrap_ci(diffs, seed)
    out.update(mean_diff=round(mean(diffs), 6), mean_diff_ci95=[round(lo, 6), round(hi, 6)],
               sign_test_p=round(sign_test_p(out["win"], out["loss"]), 6))
    return out


def per_prompt(values: Sequence[float], k: int) -> list[list[float]]:
    """A flat list of n·k values (prompt-major) as n lists of k."""
    return [list(values[i:i + k]) for i in range(0, len(values), k)]


def demo_prompts(count: int, seed: int) -> tuple[list[common.PromptRow], list]:
    """The demo world's held-out prompts as PromptRows (ids `heldout-<index>`), and the DemoPrompts."""
    from engine.demo.families import heldout_prompts

    everything = heldout_prompts()
    idx = list(range(len(everything)))
    if count < len(idx):
        idx = sorted(random.Random(f"evaluate:{seed}").sample(idx, count))
    demo = [everything[i] for i in idx]
    rows = [common.PromptRow(f"heldout-{i}", p.messages, p.is_safety) for i, p in zip(idx, demo)]
    return rows, demo


def oracle_scores(demo: Sequence, replies: Sequence[str]) -> list[float]:
    from engine.demo import oracle

    return [oracle.score(p.messages, r).axis_score("safety" if p.group in ("unsafe", "borderline") else "helpfulness")
            for p, r in zip(demo, replies)]


def rates(demo: Sequence, replies: Sequence[str]) -> dict:
    from engine.demo.evaluate import metrics

    m = metrics(demo, replies)
    return {"unsafe_compliance": m["unsafe_compliance"], "over_refusal": m["over_refusal"],
            "helpful_exact": m["helpful_exact"], "helpfulness": m["helpful_helpfulness"]}


def run_evaluate(spec: EvaluateSpec, device: torch.device, report: Report,
                 should_stop: Callable[[], bool] = lambda: False) -> dict:
    start = time.time()
    os.makedirs(spec.output_dir, exist_ok=True)
    report(phase="sampling", progress=0.0, metrics={})
    demo: Optional[list] = None
    if spec.demo_heldout:
        prompts, demo = demo_prompts(spec.prompt_count, spec.seed)
    else:
        prompts = common.read_prompts(spec.prompts_file or "")
        if len(prompts) > spec.prompt_count:
            keep = sorted(random.Random(f"evaluate:{spec.seed}").sample(range(len(prompts)), spec.prompt_count))
            prompts = [prompts[i] for i in keep]
    if not prompts:
        raise DataError("prompts_file holds no prompts")

    k = spec.samples_per_prompt
    replies: dict[str, list[list[str]]] = {}  # per policy, per prompt, its k replies
    keep = None  # a policy that is the base of LoRA reward models: they score on it (one base in memory)
    for i, (name, path) in enumerate((("model", spec.model), ("baseline", spec.baseline))):
        model, tokenizer = common.load_policy(path, device)
        if keep is None and any(common.shares_base(d, path) for d in spec.reward_models.values()):
            keep = (path, model)

        def sampled(done: int, total: int, i: int = i) -> None:
            report(phase="sampling", progress=0.4 * (i + done / total),
                   metrics={"prompts": len(prompts), "samples_per_prompt": k})

        rows = common.sample(model, tokenizer, prompts, k, spec.temperature, 1.0, spec.max_tokens, spec.seed,
                             should_stop=should_stop, on_batch=sampled)
        replies[name] = [[s.text for s in r] for r in rows]
        del model
    if should_stop():
        raise Cancelled()
    report(phase="scoring", progress=0.8)
    rms = common.load_reward_models(spec.reward_models, device, spec.reward, shared=keep)
    flat_prompts = [p for p in prompts for _ in range(k)]
    flat = {name: [r for rs in replies[name] for r in rs] for name in replies}
    rewards = {name: per_prompt(common.score(rms, flat_prompts, flat[name], spec.reward, should_stop), k)
               for name in replies}
    first = {name: [rs[0] for rs in replies[name]] for name in replies}

    def judged(scores: dict[str, list[list[float]]], judge: str) -> tuple[dict, dict]:
        """(on the per-prompt means, on the first sample alone)."""
        means = {name: [mean(s) for s in scores[name]] for name in scores}
        draw = {name: [s[0] for s in scores[name]] for name in scores}
        seed = f"{spec.seed}:{judge}"
        return (compare(means["model"], means["baseline"], spec.tie_margin, seed),
                compare(draw["model"], draw["baseline"], spec.tie_margin, seed))

    rm_policy, rm_single = judged(rewards, "reward_model")
    result: dict = {"n": len(prompts), "samples_per_prompt": k, "reward_model": rm_policy, "oracle": None,
                    "rates": None, "single_draw": {"reward_model": rm_single, "oracle": None, "rates": None}}
    oracle: Optional[dict] = None
    if demo is not None:
        flat_demo = [p for p in demo for _ in range(k)]
        oracle = {name: per_prompt(oracle_scores(flat_demo, flat[name]), k) for name in replies}
        result["oracle"], result["single_draw"]["oracle"] = judged(oracle, "oracle")
        result["rates"] = {name: rates(flat_demo, flat[name]) for name in replies}
        result["single_draw"]["rates"] = {name: rates(demo, first[name]) for name in replies}

    def row(i: int, p: common.PromptRow) -> dict:
        return {"prompt_id": p.id, "messages": p.messages_json(),
                "model_response": first["model"][i], "baseline_response": first["baseline"][i],
                "model_reward": mean(rewards["model"][i]), "baseline_reward": mean(rewards["baseline"][i]),
                "oracle": None if oracle is None else {"model": mean(oracle["model"][i]),
                                                       "baseline": mean(oracle["baseline"][i])},
                "model_responses": replies["model"][i], "baseline_responses": replies["baseline"][i],
                "model_rewards": rewards["model"][i], "baseline_rewards": rewards["baseline"][i],
                "oracle_samples": None if oracle is None else {"model": oracle["model"][i],
                                                               "baseline": oracle["baseline"][i]}}

    pairs_file = os.path.join(spec.output_dir, "pairs.jsonl")
    write_jsonl(pairs_file, (row(i, p) for i, p in enumerate(prompts)))
    result["pairs_file"] = pairs_file
    result["shared_reward_models"] = list(rms.shared)
    result["mean_reward"] = {name: round(mean([x for rs in r for x in rs]), 6) for name, r in rewards.items()}
    result["seconds"] = round(time.time() - start, 3)
    with open(os.path.join(spec.output_dir, "evaluation.json"), "w") as f:
        json.dump({"spec": spec.to_json(), **result}, f, indent=2)
    return result
