"""Benchmark: seconds per PPO iteration of the bundled tiny chat model, split into rollout / scoring / update.

    python -m engine.bench.ppo                                  # CPU: rollout_batch 32, 48 new tokens
    python -m engine.bench.ppo --rollout-batch 64 --device cuda

Runs the `ppo` job's own function (engine/rlhf/ppo.py) from `engine/models/pairwise-tiny-chat`
on demo-world prompts, with two reward models built on the same trunk (random scalar heads: the
compute does not depend on what a head learned), and prints one table: per stage its mean
seconds per iteration over the iterations after the first (a warm-up), its share, and tokens/s.

  rollout  sampling the replies (Generator, KV cache) + one full pass over prompt + reply through
           the policy, the reference and the value model (log-probs, entropies, values);
           tokens/s = generated reply tokens / rollout seconds;
  scoring  both reward models over the closed dialogues; tokens/s = dialogue tokens scored (x2);
  update   ppo_epochs passes of minibatches: forward + backward + AdamW for policy and value model;
           tokens/s = (prompt + reply) tokens trained on, over all epochs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile

import torch

from engine import checkpoint
from engine.demo.families import sample_prompt
from engine.reward.train import init_reward_model
from engine.rlhf.common import read_prompts
from engine.rlhf.ppo import parse_ppo, run_ppo
from engine.runtime import BUNDLED_MODEL
from engine.tokenizer import Tokenizer


def reward_model(path: str, seed: int) -> str:
    model = init_reward_model(BUNDLED_MODEL, torch.device("cpu"), seed)
    with torch.no_grad():
        model.score.weight.normal_(0.0, 0.05, generator=torch.Generator().manual_seed(seed))
    checkpoint.save_hf(model, path, tokenizer_path=os.path.join(BUNDLED_MODEL, "tokenizer.model"))
    return path


def run(iterations: int, rollout_batch: int, minibatch: int, epochs: int, max_tokens: int,
        device: torch.device) -> tuple[list[dict], dict]:
    work = tempfile.mkdtemp(prefix="pairwise-bench-ppo-")
    rng = random.Random("bench-ppo")
    prompts_file = os.path.join(work, "prompts.jsonl")
    with open(prompts_file, "w") as f:
        for i in range(max(256, rollout_batch * iterations)):
            p = sample_prompt(rng)
            f.write(json.dumps({"id": f"b{i}", "messages": [{"role": m.role, "content": m.content} for m in p.messages],
                                "is_safety": p.is_safety}) + "\n")
    out = os.path.join(work, "out")
    spec = parse_ppo({"base_model": BUNDLED_MODEL, "output_dir": out, "prompts_file": prompts_file,
                      "reward_models": {"helpfulness": reward_model(os.path.join(work, "rm-h"), 1),
                                        "safety": reward_model(os.path.join(work, "rm-s"), 2)},
                      "iterations": iterations, "rollout_batch": rollout_batch, "minibatch_size": minibatch,
                      "ppo_epochs": epochs, "max_tokens": max_tokens, "learning_rate": 1e-5, "kl_stop": 1000,
                      "seed": 0})
    result = run_ppo(spec, device, lambda **f: None)
    with open(os.path.join(out, "ppo.json")) as f:
        hist = json.load(f)["iterations"]
    timed = hist[1:] or hist  # the first iteration warms up allocators and the KV cache
    tok = Tokenizer(os.path.join(BUNDLED_MODEL, "tokenizer.model"))
    prompt_tokens = sum(len(tok.encode_dialog(list(p.messages))) for p in read_prompts(prompts_file)) / \
        len(read_prompts(prompts_file))
    reply = sum(e["response_tokens"] for e in timed) / len(timed)  # mean reply tokens per sequence
    mean = {k: sum(e["seconds"][k] for e in timed) / len(timed) for k in ("rollout", "scoring", "update")}
    total = sum(mean.values())
    rows = [
        {"stage": "rollout", "seconds": mean["rollout"], "tokens": rollout_batch * reply},
        {"stage": "scoring (2 RMs)", "seconds": mean["scoring"], "tokens": 2 * rollout_batch * (prompt_tokens + reply)},
        {"stage": f"update ({epochs} epochs, minibatch {minibatch})", "seconds": mean["update"],
         "tokens": epochs * rollout_batch * (prompt_tokens + reply)},
        {"stage": "iteration", "seconds": total, "tokens": rollout_batch * reply},
    ]
    info = {"reply_tokens": reply, "prompt_tokens": prompt_tokens, "timed_iterations": len(timed),
            "seconds": result["seconds"], "kl": result["final"]["kl"]}
    return rows, info


def table(rows: list[dict]) -> str:
    total = rows[-1]["seconds"]
    lines = ["| stage | s / iteration | share | tokens/s |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['stage']} | {r['seconds']:.2f} | {100 * r['seconds'] / total:.0f} % | "
                     f"{r['tokens'] / r['seconds']:,.0f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--iterations", type=int, default=4)
    ap.add_argument("--rollout-batch", type=int, default=32)
    ap.add_argument("--minibatch", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=48)
    args = ap.parse_args()
    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# PPO: {args.iterations} iterations of rollout_batch {args.rollout_batch}, max_tokens {args.max_tokens}, "
          f"{args.epochs} epochs of minibatch {args.minibatch}; pairwise-tiny-chat (policy, reference, value model); "
          f"{device} ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, load {load:.1f})", flush=True)
    rows, info = run(args.iterations, args.rollout_batch, args.minibatch, args.epochs, args.max_tokens, device)
    print(table(rows))
    print(f"\nmean reply {info['reply_tokens']:.1f} tokens, prompt {info['prompt_tokens']:.1f} tokens; "
          f"means over {info['timed_iterations']} iterations after the first; job total {info['seconds']:.1f} s")


if __name__ == "__main__":
    main()
