"""Supervised fine-tuning of a policy on closed dialogues, loss on assistant tokens only, packed.

Used by the `sft` job (demonstrations) and by `rejection_sampling` (the best samples). Each
dialogue is encoded in the Llama 2 chat format with a 0/1 mask on the assistant replies and their
EOS (engine/demo/train.py encode_sft). An optimizer step covers `batch_size` dialogues; they are
packed first-fit-decreasing into as few rows of at most `pack_len` tokens as hold them, each
dialogue restarting its rotary positions at 0 and attending only to itself (block-diagonal causal
mask), so packing changes the compute, not the loss. The loss is the mean cross-entropy over the
step's answer tokens.

AdamW (β 0.9/0.95, ε 1e-5, weight decay 0.1 on matrices), gradient clip 1.0; linear warm-up over
max(3, 3 % of the steps), then cosine to 10 % of the peak. bf16 autocast on CUDA, float32 on CPU;
on CPU a run is reproducible for a seed (same machine and thread count).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import torch

from engine.demo.train import encode_sft, masked_lm_loss
from engine import distributed
from engine.lora import adamw
from engine.model import Llama
from engine.reward.train import Cancelled, lr_at, warmup_steps
from engine.tokenizer import Message, Tokenizer

Example = tuple[list[int], list[int]]  # tokens, answer mask
Report = Callable[..., None]


@dataclass(frozen=True)
class FinetuneConfig:
    epochs: int
    learning_rate: float
    batch_size: int  # dialogues per optimizer step
    seed: int = 0
    pack_len: Optional[int] = None  # None = the model's context
    warmup_ratio: float = 0.03
    min_warmup_steps: int = 3
    final_lr_ratio: float = 0.1
    weight_decay: float = 0.1


def encode_examples(tokenizer: Tokenizer, dialogues: Sequence[Sequence[Message]], max_len: int) -> tuple[list[Example], int]:
    """Encoded dialogues, each cut from the left to `max_len` tokens (the answer stays); and how
    many were cut. Dialogues without a single answer token left are dropped."""
    out, cut = [], 0
    for d in dialogues:
        tokens, mask = encode_sft(tokenizer, list(d))
        if len(tokens) > max_len:
            tokens, mask, cut = tokens[-max_len:], mask[-max_len:], cut + 1
        if any(mask[1:]):
            out.append((tokens, mask))
    return out, cut


def pack(examples: Sequence[Example], pack_len: int) -> list[list[int]]:
    """Indices of examples per row: first-fit decreasing by length, each row ≤ pack_len tokens."""
    rows: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(examples)), key=lambda i: -len(examples[i][0])):
        n = len(examples[i][0])
        for r, free in enumerate(room):
            if n <= free:
                rows[r].append(i)
                room[r] -= n
                break
        else:
            rows.append([i])
            room.append(pack_len - n)
    return rows


def packed_batch(examples: Sequence[Example], rows: Sequence[Sequence[int]], device: torch.device):
    """-> tokens (R, T), answer mask (R, T), rotary positions (R, T), attention mask (R, 1, T, T)."""
    width = max(sum(len(examples[i][0]) for i in row) for row in rows)
    tokens = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.long)
    positions = torch.zeros(len(rows), width, dtype=torch.long)
    segment = torch.full((len(rows), width), -1, dtype=torch.long)  # padding: its own segment
    for r, row in enumerate(rows):
        at = 0
        for s, i in enumerate(row):
            t, m = examples[i]
            tokens[r, at:at + len(t)] = torch.tensor(t)
            mask[r, at:at + len(t)] = torch.tensor(m)
            positions[r, at:at + len(t)] = torch.arange(len(t))
            segment[r, at:at + len(t)] = s
            at += len(t)
        positions[r, at:] = torch.arange(width - at)
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    attn = (segment[:, :, None] == segment[:, None, :]) & causal  # (R, T, T)
    return tokens.to(device), mask.to(device), positions.to(device), attn[:, None].to(device)


def steps_per_epoch(n_examples: int, batch_size: int) -> int:
    return math.ceil(n_examples / batch_size)


def finetune(model: Llama, examples: Sequence[Example], cfg: FinetuneConfig, device: torch.device,
             report: Optional[Report] = None, should_stop: Callable[[], bool] = lambda: False,
             progress: tuple[float, float] = (0.0, 1.0), phase: str = "fine-tuning",
             metrics: Optional[dict] = None, params: Optional[Sequence[torch.nn.Parameter]] = None) -> dict:
    """Train `model` in place. report(phase, progress (mapped into `progress`), eta_seconds,
    metrics={step, total_steps, epoch, loss, lr, loss_curve, **metrics}) after every step.
    -> {train_steps, final_loss (mean of the last 10 steps), loss_curve, tokens, answer_tokens,
    seconds, tokens_per_second}."""
    if not examples:
        raise ValueError("nothing to fine-tune on: no dialogue with an answer token")
    pack_len = min(cfg.pack_len or model.args.max_seq_len, model.args.max_seq_len)
    per_epoch = steps_per_epoch(len(examples), cfg.batch_size)
    total = per_epoch * cfg.epochs
    warmup = warmup_steps(total, cfg.warmup_ratio, cfg.min_warmup_steps)
    # `params`: what trains (a LoRA adapter's; default every parameter of the model).
    params = [p for p in (params if params is not None else model.parameters()) if p.requires_grad]
    opt = adamw(params, cfg.learning_rate, cfg.weight_decay, device)
    torch.manual_seed(cfg.seed)
    dist = distributed.current()
    dist.broadcast_parameters(params)
    model.train()
    curve: list[list[float]] = []
    step, tokens_seen, answer_tokens = 0, 0, 0
    start = time.time()
    lo, hi = progress
    extra = metrics or {}
    try:
        for epoch in range(cfg.epochs):
            order = list(range(len(examples)))
            random.Random(f"{cfg.seed}:{epoch}").shuffle(order)
            for b in range(0, len(order), cfg.batch_size):
                if should_stop():
                    raise Cancelled()
                group = [examples[i] for i in order[b:b + cfg.batch_size]]
                lr = lr_at(step, total, cfg.learning_rate, warmup, cfg.final_lr_ratio)
                for g in opt.param_groups:
                    g["lr"] = lr
                opt.zero_grad(set_to_none=True)
                # The step's loss is the mean over all its answer targets; with several ranks
                # (engine/distributed.py) each packs every world-th dialogue and divides its sum
                # by the whole step's count, and the gradients are summed over ranks.
                local = dist.shard(group)
                local_loss = 0.0
                packed = packed_batch(local, pack(local, pack_len), device) if local else None
                local_targets = int(packed[1][:, 1:].sum().item()) if packed is not None else 0
                n_targets = int(dist.sum_float(local_targets)) if dist.world > 1 else local_targets
                if packed is not None:
                    tokens, mask, positions, attn = packed
                    if device.type == "cuda":
                        with torch.autocast("cuda", dtype=torch.bfloat16):
                            logits = model(tokens, positions, attn)
                    else:
                        logits = model(tokens, positions, attn)
                    if dist.world == 1:
                        loss = masked_lm_loss(logits, tokens, mask)
                    else:
                        loss = masked_lm_loss(logits, tokens, mask) * (max(1, local_targets) / max(1, n_targets))
                    loss.backward()
                    local_loss = loss.item()
                dist.sum_gradients(params)
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                step += 1
                tokens_seen += int(sum(len(t) for t, _ in group))
                answer_tokens += int(n_targets)
                curve.append([step, round(dist.sum_float(local_loss), 6)])
                if report:
                    per_step = (time.time() - start) / step
                    report(phase=phase, progress=lo + (hi - lo) * step / total,
                           eta_seconds=round(per_step * (total - step), 1),
                           metrics={**extra, "step": step, "total_steps": total, "epoch": epoch + 1,
                                    "loss": curve[-1][1], "lr": lr, "loss_curve": curve})
    finally:
        model.eval()
    seconds = time.time() - start
    tail = curve[-10:]
    return {"train_steps": total, "final_loss": round(sum(c[1] for c in tail) / len(tail), 6), "loss_curve": curve,
            "tokens": tokens_seen, "answer_tokens": answer_tokens, "seconds": round(seconds, 3),
            "tokens_per_second": round(tokens_seen / max(seconds, 1e-9), 1)}


@torch.no_grad()
def answer_logprob(model: Llama, examples: Sequence[Example], device: torch.device, batch_rows: int = 32) -> float:
    """Mean log-likelihood per answer token of the examples under `model` (no packing)."""
    was = model.training
    model.eval()
    total, count = 0.0, 0
    for b in range(0, len(examples), batch_rows):
        group = examples[b:b + batch_rows]
        tokens, mask, positions, attn = packed_batch(group, [[i] for i in range(len(group))], device)
        logits = model(tokens, positions, attn).float()
        lp = torch.log_softmax(logits[:, :-1], dim=-1).gather(2, tokens[:, 1:, None]).squeeze(2)
        w = mask[:, 1:].float()
        total += float((lp * w).sum())
        count += int(w.sum())
    model.train(was)
    return total / max(1, count)
