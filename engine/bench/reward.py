"""Benchmark: reward-model training throughput (pairs/s, tokens/s) and model FLOPs utilisation.

    python -m engine.bench.reward                       # CPU: demo-world pairs through the real trainer
    python -m engine.bench.reward --device cuda --synthetic --config 1B --seq 512 --batch 16

The default mode runs `train_reward` (the job's code path: tokenised demo-world pairs, padded
micro-batches, AdamW, evaluation excluded) from the bundled chat model and from a random
`tiny`-config model, at several batch sizes. `--synthetic` times only the training step on random
tokens of a fixed length (no padding) for a named shape, and reports MFU against the device's
peak: model FLOPs per token = 6 · parameters (forward + backward) + 12 · layers · dim · seq
(attention scores and values; Chinchilla/PaLM convention, no recomputation counted).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import torch

from engine import checkpoint
from engine.config import CONFIGS, named_config
from engine.model import Llama, LlamaScalar, init_weights
from engine.reward.data import write_pairs
from engine.reward.demo_data import demo_pairs
from engine.reward.spec import parse_train_reward
from engine.reward.train import batch_rewards, reward_loss, train_reward
from engine.runtime import BUNDLED_MODEL
from engine.tokenizer import train_tokenizer

SHAPES = {"1B": dict(dim=2048, n_layers=16, n_heads=16, n_kv_heads=16, vocab_size=32000, multiple_of=256,
                     max_seq_len=4096)}
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12}  # dense bf16 tensor-core FLOP/s


def demo_rows(pairs: int, batches: list[int], epochs: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        train = os.path.join(tmp, "train.jsonl")
        write_pairs(train, demo_pairs(pairs, seed=0))
        bases = []
        if os.path.isfile(os.path.join(BUNDLED_MODEL, "config.json")):
            bases.append(("pairwise-tiny-chat", BUNDLED_MODEL))
        tok = os.path.join(tmp, "tokenizer.model")
        train_tokenizer(tok, 512)
        random_dir = os.path.join(tmp, "random-tiny")
        model = Llama(named_config("tiny"))
        init_weights(model, seed=0)
        checkpoint.save_hf(model, random_dir, tokenizer_path=tok)
        bases.append(("random tiny", random_dir))
        for name, base in bases:
            params = sum(p.numel() for p in checkpoint.load_model(base)[0].model.parameters())
            for batch in batches:
                spec = parse_train_reward({"base_model": base, "output_dir": os.path.join(tmp, "out"),
                                           "train_file": train, "axis": "helpfulness", "margins": [1, 2 / 3, 1 / 3, 0],
                                           "epochs": epochs, "learning_rate": 1e-4, "batch_size": batch, "seed": 0})
                r = train_reward(spec, torch.device("cpu"), lambda **f: None)
                rows.append({"model": name, "trunk params": f"{params / 1e6:.2f} M", "batch (pairs)": batch,
                             "pairs/s": f"{r['pairs_per_second']:.0f}", "tokens/s": f"{r['tokens_per_second']:,.0f}"})
                print(rows[-1], flush=True)
    return rows


def synthetic_rows(config: str, device: torch.device, seq: int, batch: int, steps: int) -> list[dict]:
    args = named_config(config) if config in CONFIGS else named_config("7B", **SHAPES[config])
    model = LlamaScalar(args).to(device)
    init_weights(model, seed=0)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), eps=1e-5)
    seqs = torch.randint(3, args.vocab_size, (2 * batch, seq)).tolist()
    margin = torch.ones(batch, device=device)

    def step() -> None:
        r = batch_rewards(model, seqs, device).view(-1, 2)
        reward_loss(r[:, 0], r[:, 1], margin).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = (time.perf_counter() - t) / steps
    tokens = 2 * batch * seq
    flops = tokens * (6 * params + 12 * args.n_layers * args.dim * seq)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = next((v for k, v in PEAK_BF16.items() if k in name), None)
    row = {"shape": config, "params": f"{params / 1e9:.2f} B", "seq": seq, "batch (pairs)": batch,
           "pairs/s": f"{batch / dt:.1f}", "tokens/s": f"{tokens / dt:,.0f}", "TFLOP/s": f"{flops / dt / 1e12:.1f}",
           "MFU": f"{flops / dt / peak:.1%}" if peak else "n/a"}
    print(row, flush=True)
    return [row]


def table(rows: list[dict]) -> str:
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batches", default="8,16,32")
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--config", default="1B")
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    device = torch.device(a.device)
    if device.type == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, threads {torch.get_num_threads()}")
    if a.synthetic:
        if device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True
        rows = synthetic_rows(a.config, device, a.seq, a.batch, a.steps)
    else:
        rows = demo_rows(a.pairs, [int(b) for b in a.batches.split(",")], a.epochs)
    print(table(rows))


if __name__ == "__main__":
    main()
