"""The `rejection_sampling` job (Llama 2 paper, section 3.2.3): best-of-K, then fine-tune on the best.

1. sampling: K replies to every prompt from the base policy at the spec's temperature / top-p;
2. scoring: each reply's reward (R_c by default) from the reward models; the best per prompt
   (the first of equal maxima) goes to `<output_dir>/best.jsonl`;
3. fine-tuning: the base policy is fine-tuned (loss on the answer only) on the pool — this
   round's best plus the rows of `pool_files` (earlier rounds' best.jsonl), one row per
   prompt_id, the higher reward winning — and saved to `<output_dir>/model`.
"""

from __future__ import annotations

import json
import os
import time
from typing import Callable, Iterable, Sequence

import torch

from engine.reward.data import DataError
from engine.reward.train import Cancelled, downsample
from engine.tokenizer import Message

from . import common
from .finetune import FinetuneConfig, encode_examples, finetune
from .spec import RejectionSamplingSpec

Report = Callable[..., None]


def best_of(rewards: Sequence[float]) -> int:
    """Index of the highest reward (the first one among equals)."""
    return max(range(len(rewards)), key=lambda i: (rewards[i], -i))


def read_pool(path: str, label: str) -> list[dict]:
    """Rows of an earlier round's best.jsonl: {prompt_id, messages (ending with user), response, reward}."""
    rows = []
    for n, obj in common._jsonl(path, label):
        where = f"{label} line {n}"
        if not isinstance(obj.get("prompt_id"), str) or not obj["prompt_id"]:
            raise DataError(f"{where}: 'prompt_id' must be a non-empty string")
        if not isinstance(obj.get("response"), str):
            raise DataError(f"{where}: 'response' must be a string")
        reward = obj.get("reward")
        if isinstance(reward, bool) or not isinstance(reward, (int, float)):
            raise DataError(f"{where}: 'reward' must be a number")
        msgs = common.parse_messages(obj.get("messages"), where, "user")
        rows.append({**obj, "messages": common.messages_json(msgs), "reward": float(reward)})
    return rows


def pool_rows(groups: Iterable[Iterable[dict]]) -> list[dict]:
    """One row per prompt_id over all groups: the one with the higher reward (the earlier on a tie)."""
    best: dict[str, dict] = {}
    for rows in groups:
        for row in rows:
            kept = best.get(row["prompt_id"])
            if kept is None or row["reward"] > kept["reward"]:
                best[row["prompt_id"]] = row
    return list(best.values())


def write_jsonl(path: str, rows: Iterable[dict]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    os.replace(tmp, path)


def run_rejection_sampling(spec: RejectionSamplingSpec, device: torch.device, report: Report,
                           should_stop: Callable[[], bool] = lambda: False) -> dict:
    start = time.time()
    torch.manual_seed(spec.seed)
    os.makedirs(spec.output_dir, exist_ok=True)
    report(phase="sampling", progress=0.0, metrics={})
    prompts = common.read_prompts(spec.prompts_file)
    if not prompts:
        raise DataError("prompts_file holds no prompts")
    earlier = [read_pool(p, f"pool_files[{i}]") for i, p in enumerate(spec.pool_files)]
    model, tokenizer, adapter, params = common.load_trainable_policy(spec.base_model, device, spec.method, spec.seed)

    t = time.time()
    k = spec.k

    def sampled(done: int, total: int) -> None:
        rate = (time.time() - t) / done
        report(phase="sampling", progress=0.45 * done / total, eta_seconds=round(rate * (total - done) * 1.6, 1),
               metrics={"prompts": total, "sampled_prompts": done})

    samples = common.sample(model, tokenizer, prompts, k, spec.temperature, spec.top_p, spec.max_tokens, spec.seed,
                            should_stop=should_stop, on_batch=sampled)
    sampling_s = time.time() - t
    n_tokens = sum(len(s.token_ids) for row in samples for s in row)

    if should_stop():
        raise Cancelled()
    report(phase="scoring", progress=0.45, metrics={"prompts": len(prompts), "samples": len(prompts) * k})
    t = time.time()
    # Reward models that are LoRA adapters on this policy's base score on it: no second base in memory.
    rms = common.load_reward_models(spec.reward_models, device, spec.reward, shared=(spec.base_model, model))
    flat_prompts = [p for p in prompts for _ in range(k)]
    flat_replies = [s.text for row in samples for s in row]
    rewards = common.score(rms, flat_prompts, flat_replies, spec.reward, should_stop)
    rms_shared = list(rms.shared)
    del rms
    scoring_s = time.time() - t
    best_rows = []
    for i, p in enumerate(prompts):
        rs = rewards[i * k:(i + 1) * k]
        j = best_of(rs)
        best_rows.append({"prompt_id": p.id, "messages": p.messages_json(), "response": samples[i][j].text,
                          "reward": rs[j], "rewards": rs})
    best_file = os.path.join(spec.output_dir, "best.jsonl")
    write_jsonl(best_file, best_rows)
    mean_reward = sum(rewards) / len(rewards)
    mean_best = sum(r["reward"] for r in best_rows) / len(best_rows)
    summary = {"prompts": len(prompts), "samples": len(rewards), "mean_reward": round(mean_reward, 6),
               "mean_best_reward": round(mean_best, 6)}

    if should_stop():
        raise Cancelled()
    pool = pool_rows(earlier + [best_rows])
    dialogues = [tuple(Message(m["role"], m["content"]) for m in row["messages"]) + (Message("assistant", row["response"]),)
                 for row in pool]
    examples, truncated = encode_examples(tokenizer, dialogues, model.args.max_seq_len)
    cfg = FinetuneConfig(epochs=spec.epochs, learning_rate=spec.learning_rate, batch_size=spec.batch_size, seed=spec.seed)
    report(phase="fine-tuning", progress=0.5, metrics={**summary, "pool_size": len(pool), "loss_curve": []})
    trained = finetune(model, examples, cfg, device, report, should_stop, progress=(0.5, 0.97),
                       metrics={**summary, "pool_size": len(pool)}, params=params)
    if should_stop():
        raise Cancelled()
    report(phase="saving", progress=0.98)
    saved = common.save_trained_policy(model, adapter, spec.base_model, os.path.join(spec.output_dir, "model"),
                                       extra={"base_model": spec.base_model, "job": "rejection_sampling",
                                              "seed": spec.seed}, save_merged=spec.save_merged)
    seconds = time.time() - start
    curve = downsample(trained["loss_curve"])
    result = {**saved, "method": spec.method.name, "shared_reward_models": rms_shared, "best_file": best_file, **summary, "pool_size": len(pool),
              "train_steps": trained["train_steps"], "final_loss": trained["final_loss"], "seconds": round(seconds, 3)}
    timings = {"sampling_s": round(sampling_s, 3), "scoring_s": round(scoring_s, 3),
               "fine_tuning_s": trained["seconds"], "generated_tokens": n_tokens,
               "train_tokens_per_second": trained["tokens_per_second"], "truncated_dialogues": truncated}
    report(metrics={"loss_curve": curve, "mean_reward": summary["mean_reward"],
                    "mean_best_reward": summary["mean_best_reward"], **timings})
    with open(os.path.join(spec.output_dir, "training.json"), "w") as f:
        json.dump({"spec": spec.to_json(), **result, **timings, "device": str(device), "torch": torch.__version__,
                   "loss_curve": curve}, f, indent=2)
    return result
