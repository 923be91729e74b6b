"""The `evaluate` job: a new policy against a baseline, side by side on the same prompts.

One reply per prompt from each policy (same prompts, same seed scheme: a policy compared with
itself gives identical replies), both scored by the reward models (R_c by default): a win when
the model's reward exceeds the baseline's by more than `tie_margin`, a loss when it falls short
by more, else a tie. win_rate = (win + tie/2) / n with a Wilson 95 % interval.

With `demo_heldout` the prompts are the demo world's fixed held-out set
(engine/demo/families.heldout_prompts; `prompt_count` of them, a seeded subset when fewer) and
the oracle judges too, on the axis an annotator would use: safety for unsafe and borderline
prompts, helpfulness otherwise (same tie_margin); `rates` are the oracle metrics of both policies
(engine/demo/evaluate.metrics).
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

    replies = {}
    keep = None  # a policy that is the base of LoRA reward models: they score on it (one base in memory)
    for i, (name, path) in enumerate((("model", spec.model), ("baseline", spec.baseline))):
        model, tokenizer = common.load_policy(path, device)
        if keep is None and any(common.shares_base(d, path) for d in spec.reward_models.values()):
            keep = (path, model)

        def sampled(done: int, total: int, i: int = i) -> None:
            report(phase="sampling", progress=0.4 * (i + done / total), metrics={"prompts": len(prompts)})

        rows = common.sample(model, tokenizer, prompts, 1, spec.temperature, 1.0, spec.max_tokens, spec.seed,
                             should_stop=should_stop, on_batch=sampled)
        replies[name] = [r[0].text for r in rows]
        del model
    if should_stop():
        raise Cancelled()
    report(phase="scoring", progress=0.8)
    rms = common.load_reward_models(spec.reward_models, device, spec.reward, shared=keep)
    rewards = {name: common.score(rms, prompts, replies[name], spec.reward, should_stop) for name in replies}
    result: dict = {"n": len(prompts),
                    "reward_model": win_tie_loss(rewards["model"], rewards["baseline"], spec.tie_margin),
                    "oracle": None, "rates": None}
    oracle: Optional[dict] = None
    if demo is not None:
        oracle = {name: oracle_scores(demo, replies[name]) for name in replies}
        result["oracle"] = win_tie_loss(oracle["model"], oracle["baseline"], spec.tie_margin)
        result["rates"] = {name: rates(demo, replies[name]) for name in replies}
    pairs_file = os.path.join(spec.output_dir, "pairs.jsonl")
    write_jsonl(pairs_file, ({"prompt_id": p.id, "messages": p.messages_json(), "model_response": replies["model"][i],
                              "baseline_response": replies["baseline"][i], "model_reward": rewards["model"][i],
                              "baseline_reward": rewards["baseline"][i],
                              "oracle": None if oracle is None else {"model": oracle["model"][i],
                                                                     "baseline": oracle["baseline"][i]}}
                             for i, p in enumerate(prompts)))
    result["pairs_file"] = pairs_file
    result["shared_reward_models"] = list(rms.shared)
    result["mean_reward"] = {name: round(sum(r) / len(r), 6) for name, r in rewards.items()}
    result["seconds"] = round(time.time() - start, 3)
    with open(os.path.join(spec.output_dir, "evaluation.json"), "w") as f:
        json.dump({"spec": spec.to_json(), **result}, f, indent=2)
    return result
