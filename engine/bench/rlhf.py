"""Benchmark: one rejection-sampling round of the bundled tiny chat model, phase by phase.

    python -m engine.bench.rlhf                         # CPU: 128 demo-world prompts, K = 8
    python -m engine.bench.rlhf --prompts 256 --k 4 --device cuda

Runs the `rejection_sampling` job's own function (engine/rlhf/rejection_sampling.py) from
`engine/models/pairwise-tiny-chat`, with two reward models built on the same trunk (a zero-init
scalar head: the compute of scoring does not depend on what the head learned), and prints a
table: per phase its seconds, samples/s (samples generated or scored; examples fine-tuned, per
epoch) and tokens/s (generated tokens; tokens scored by both reward models; tokens trained on).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time

import torch

from engine import checkpoint
from engine.demo.families import sample_prompt
from engine.reward.train import init_reward_model
from engine.rlhf.common import read_prompts
from engine.rlhf.rejection_sampling import run_rejection_sampling
from engine.rlhf.spec import parse_rejection_sampling
from engine.runtime import BUNDLED_MODEL
from engine.tokenizer import Tokenizer


def run(prompts: int, k: int, max_tokens: int, epochs: int, batch_size: int, device: torch.device) -> list[dict]:
    work = tempfile.mkdtemp(prefix="pairwise-bench-rlhf-")
    rm_dir = os.path.join(work, "rm")
    checkpoint.save_hf(init_reward_model(BUNDLED_MODEL, torch.device("cpu"), 0), rm_dir,
                       tokenizer_path=os.path.join(BUNDLED_MODEL, "tokenizer.model"))
    rng = random.Random("bench-rlhf")
    prompts_file = os.path.join(work, "prompts.jsonl")
    with open(prompts_file, "w") as f:
        for i in range(prompts):
            p = sample_prompt(rng)
            f.write(json.dumps({"id": f"b{i}", "messages": [{"role": m.role, "content": m.content} for m in p.messages],
                                "is_safety": p.is_safety}) + "\n")
    spec = parse_rejection_sampling({"base_model": BUNDLED_MODEL, "output_dir": os.path.join(work, "out"),
                                     "prompts_file": prompts_file, "reward_models": {"helpfulness": rm_dir, "safety": rm_dir},
                                     "k": k, "max_tokens": max_tokens, "epochs": epochs, "batch_size": batch_size,
                                     "temperature": 1.0, "learning_rate": 1e-3, "seed": 0})
    marks: list[tuple[str, float]] = []

    def report(**fields) -> None:
        phase = fields.get("phase")
        if phase and (not marks or marks[-1][0] != phase):
            marks.append((phase, time.perf_counter()))

    t0 = time.perf_counter()
    result = run_rejection_sampling(spec, device, report)
    end = time.perf_counter()
    marks.append(("end", end))
    span = {a: b_t - a_t for (a, a_t), (_, b_t) in zip(marks, marks[1:])}
    with open(os.path.join(spec.output_dir, "training.json")) as f:
        info = json.load(f)
    tok = Tokenizer(os.path.join(BUNDLED_MODEL, "tokenizer.model"))
    best = [json.loads(line) for line in open(result["best_file"])]
    scored_tokens = 0  # both reward models read every closed dialogue
    for p in read_prompts(prompts_file):
        ctx = len(tok.encode_dialog(list(p.messages)))
        scored_tokens += 2 * k * ctx
    gen_tokens = info["generated_tokens"]
    scored_tokens += 2 * gen_tokens
    samples = prompts * k
    train_tokens = info["train_tokens_per_second"] * info["fine_tuning_s"]
    rows = [
        {"phase": "sampling", "seconds": span.get("sampling", 0.0), "samples": samples, "tokens": gen_tokens},
        {"phase": "scoring (2 RMs)", "seconds": span.get("scoring", 0.0), "samples": samples, "tokens": scored_tokens},
        {"phase": f"fine-tuning ({epochs} epochs)", "seconds": span.get("fine-tuning", 0.0), "samples": len(best) * epochs,
         "tokens": train_tokens},
        {"phase": "saving", "seconds": span.get("saving", 0.0), "samples": 0, "tokens": 0},
        {"phase": "round total", "seconds": end - t0, "samples": samples, "tokens": gen_tokens},
    ]
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| phase | seconds | samples/s | tokens/s |", "|---|---|---|---|"]
    for r in rows:
        sps = f"{r['samples'] / r['seconds']:,.0f}" if r["samples"] and r["seconds"] else "—"
        tps = f"{r['tokens'] / r['seconds']:,.0f}" if r["tokens"] and r["seconds"] else "—"
        lines.append(f"| {r['phase']} | {r['seconds']:.1f} | {sps} | {tps} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--prompts", type=int, default=128)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=16)
    args = ap.parse_args()
    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# rejection sampling round: {args.prompts} prompts x K={args.k}, max_tokens {args.max_tokens}, "
          f"{args.epochs} epochs at batch {args.batch_size}; pairwise-tiny-chat; {device} "
          f"({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"load {load:.1f})")
    print(table(run(args.prompts, args.k, args.max_tokens, args.epochs, args.batch_size, device)))


if __name__ == "__main__":
    main()
