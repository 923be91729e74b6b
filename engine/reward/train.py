"""Reward-model training (Llama 2 paper, section 3.2.2) and its Table 8 evaluation.

Model: the policy's trunk with a scalar head (`LlamaScalar`); the reward of a dialogue is the
head's value at its last token (the EOS that closes the response). Loss per pair:
    −log σ(r_chosen − r_rejected − m(degree))
with the margin m from the spec's table (significantly / better / slightly / negligibly better).
AdamW (β 0.9/0.95, weight decay 0.1 on matrices, clip 1.0); linear warm-up for
max(min_warmup_steps, warmup_ratio · steps) optimizer steps, then cosine decay to
final_lr_ratio · peak. One optimizer step = `grad_accum` micro-batches of `batch_size` pairs.
On CUDA the forward runs under bf16 autocast with float32 weights; on CPU everything is float32
and a run is reproducible for a seed (same machine, same thread count).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from engine import checkpoint, distributed, lora
from engine.model import Llama, LlamaScalar
from engine.tokenizer import Tokenizer

from .data import DEGREES, EncodedPair, encode_pairs, read_pairs
from .spec import TrainRewardSpec

LOSS_CURVE_POINTS = 200
EVAL_BATCH = 32  # sequences per forward when scoring


class Cancelled(Exception):
    """The job was cancelled between two steps."""


# -- the loss and the schedule ---------------------------------------------------------------

def reward_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor,
                margin: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Mean of −log σ(r_c − r_r − m) over pairs; all (P,). softplus(−x) = −log σ(x), stably."""
    diff = r_chosen.float() - r_rejected.float()
    if margin is not None:
        diff = diff - margin.float()
    return F.softplus(-diff).mean()


def warmup_steps(total: int, ratio: float, minimum: int) -> int:
    return min(total, max(minimum, math.ceil(ratio * total)))


def lr_at(step: int, total: int, peak: float, warmup: int, final_ratio: float) -> float:
    """Learning rate of optimizer step `step` (0-based): linear warm-up to `peak` over `warmup`
    steps, then cosine from `peak` down to `final_ratio · peak` at the last step."""
    if step < warmup:
        return peak * (step + 1) / warmup
    span = max(1, total - 1 - warmup)
    progress = min(1.0, (step - warmup) / span)
    return peak * (final_ratio + (1 - final_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def downsample(curve: Sequence[Sequence[float]], points: int = LOSS_CURVE_POINTS) -> list[list[float]]:
    """At most `points` evenly spaced entries, always keeping the first and the last."""
    if len(curve) <= points:
        return [list(p) for p in curve]
    idx = sorted({round(i * (len(curve) - 1) / (points - 1)) for i in range(points)})
    return [list(curve[i]) for i in idx]


# -- the model -------------------------------------------------------------------------------

def init_reward_model(base_dir: str, device: torch.device, seed: int) -> LlamaScalar:
    """The base model's trunk plus a scalar head; a scalar-head base is taken whole (continued training).
    A new head starts at zero, so every reward starts at 0 and the first loss is softplus(m)."""
    ckpt = checkpoint.load_checkpoint(base_dir)
    model = LlamaScalar(ckpt.args)
    state = {k: v for k, v in ckpt.state_dict.items() if not k.startswith("lm_head.")}
    if "score.weight" not in state:
        state["score.weight"] = torch.zeros(1, ckpt.args.dim)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"{base_dir}: checkpoint does not fit its config: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    torch.manual_seed(seed)
    return model.to(device=device, dtype=torch.float32)


def init_lora_reward_model(base_dir: str, device: torch.device, method: lora.Method, seed: int) -> lora.View:
    """The base (frozen; bf16 on CUDA) and a new LoRA adapter with a scalar head: a View that
    trains only the adapter and the head. A scalar-head base's head seeds the new head."""
    ckpt = checkpoint.load_checkpoint(base_dir)
    state = dict(ckpt.state_dict)
    head = state.pop("score.weight", None)
    if "lm_head.weight" not in state:
        state["lm_head.weight"] = torch.zeros(ckpt.args.vocab_size, ckpt.args.dim)
    base = Llama(ckpt.args)
    base.load_state_dict(state)
    del state, ckpt
    base = base.to(device=device, dtype=lora.base_dtype(method, device)).eval()
    lora.freeze_base(base)
    base.model.gradient_checkpointing = method.checkpointing(device)
    adapter = lora.Adapter(base.args, method.lora, scalar_head=True, seed=seed, device=device)
    if head is not None:
        with torch.no_grad():
            adapter.score.weight.copy_(head.float())
    return lora.View(base, adapter)


def batch_rewards(model: LlamaScalar, seqs: Sequence[list[int]], device: torch.device) -> torch.Tensor:
    """Rewards (N,) of right-padded sequences: the head's value at each sequence's last token.
    Causal attention keeps real tokens blind to the padding after them."""
    longest = max(len(s) for s in seqs)
    tokens = torch.tensor([s + [0] * (longest - len(s)) for s in seqs], device=device)  # (N, T)
    last = torch.tensor([len(s) - 1 for s in seqs], device=device)
    if device.type == "cuda":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            values = model(tokens)  # (N, T)
    else:
        values = model(tokens)
    return values.float().gather(1, last[:, None]).squeeze(1)


def score_pairs(model: LlamaScalar, pairs: Sequence[EncodedPair], device: torch.device,
                should_stop: Callable[[], bool] = lambda: False) -> list[tuple[float, float]]:
    """(r_chosen, r_rejected) of every pair, without gradients, in length-sorted batches."""
    seqs = [s for p in pairs for s in (p.chosen, p.rejected)]
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    out = [0.0] * len(seqs)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for b in range(0, len(order), EVAL_BATCH):
            if should_stop():
                raise Cancelled()
            idx = order[b:b + EVAL_BATCH]
            for i, r in zip(idx, batch_rewards(model, [seqs[i] for i in idx], device).tolist()):
                out[i] = r
    model.train(was_training)
    return [(out[2 * i], out[2 * i + 1]) for i in range(len(pairs))]


def table8(pairs: Sequence[EncodedPair], rewards: Sequence[tuple[float, float]]) -> dict:
    """Accuracy (r_chosen > r_rejected; a tie counts as wrong) by degree and on average, with n."""
    cells: dict[str, list[int]] = {d: [0, 0] for d in DEGREES}
    for p, (rc, rr) in zip(pairs, rewards):
        cell = cells[DEGREES[p.degree]]
        cell[0] += rc > rr
        cell[1] += 1
    table = {d: {"accuracy": (c / n if n else None), "n": n} for d, (c, n) in cells.items()}
    correct, total = sum(c for c, _ in cells.values()), sum(n for _, n in cells.values())
    table["average"] = {"accuracy": correct / total if total else None, "n": total}
    return table


# -- the training loop -----------------------------------------------------------------------

Report = Callable[..., None]  # report(phase=..., progress=..., eta_seconds=..., metrics=...)


def micro_batches(n_pairs: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Pair indices of one epoch in a seeded order, cut into micro-batches (the last may be short)."""
    order = list(range(n_pairs))
    random.Random(f"{seed}:{epoch}").shuffle(order)
    return [order[i:i + batch_size] for i in range(0, n_pairs, batch_size)]


def train_reward(spec: TrainRewardSpec, device: torch.device, report: Report,
                 should_stop: Callable[[], bool] = lambda: False) -> dict:
    """Train, evaluate and save a reward model as `spec` says; -> the job's result."""
    start = time.time()
    torch.manual_seed(spec.seed)
    report(phase="tokenizing", progress=0.0)
    tokenizer = Tokenizer(os.path.join(spec.base_model, "tokenizer.model"))
    use_lora = spec.method.is_lora
    if use_lora:
        model = init_lora_reward_model(spec.base_model, device, spec.method, spec.seed)
    else:
        model = init_reward_model(spec.base_model, device, spec.seed)
        model.model.gradient_checkpointing = spec.method.checkpointing(device)
    dist = distributed.current()
    max_len = min(spec.max_seq_len or model.args.max_seq_len, model.args.max_seq_len)
    train_pairs, truncated = encode_pairs(tokenizer, read_pairs(spec.train_file, "train_file"), max_len)
    if not train_pairs:
        raise ValueError("train_file holds no pairs")
    tests = {axis: encode_pairs(tokenizer, read_pairs(path, f"test_files.{axis}"), max_len)[0]
             for axis, path in sorted(spec.test_files.items())}
    margins = torch.tensor(spec.margins, dtype=torch.float32, device=device)

    per_epoch = math.ceil(len(train_pairs) / (spec.batch_size * spec.grad_accum))
    total = per_epoch * spec.epochs
    warmup = warmup_steps(total, spec.warmup_ratio, spec.min_warmup_steps)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = lora.adamw(params, spec.learning_rate, 0.1, device)
    dist.broadcast_parameters(params)
    model.train()
    curve: list[list[float]] = []
    step, tokens_seen, correct, seen = 0, 0, 0, 0
    eval_pairs = sum(len(p) for p in tests.values())
    train_start = time.time()
    report(phase="training", progress=0.02, metrics={"step": 0, "total_steps": total, "train_pairs": len(train_pairs),
                                                      "truncated_sequences": truncated, "loss_curve": []})
    for epoch in range(spec.epochs):
        batches = micro_batches(len(train_pairs), spec.batch_size, spec.seed, epoch)
        for first in range(0, len(batches), spec.grad_accum):
            group = batches[first:first + spec.grad_accum]
            n_group = sum(len(b) for b in group)
            lr = lr_at(step, total, spec.learning_rate, warmup, spec.final_lr_ratio)
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad(set_to_none=True)
            step_loss = 0.0
            for idx in group:
                if should_stop():
                    raise Cancelled()
                # Data parallel: each rank takes every world-th pair of the micro-batch; gradients
                # are summed over ranks below, so the step equals one process with the same batch.
                idx = dist.shard(idx)
                if not idx:
                    continue
                pairs = [train_pairs[i] for i in idx]
                seqs = [s for p in pairs for s in (p.chosen, p.rejected)]
                r = batch_rewards(model, seqs, device).view(-1, 2)  # (P, 2): chosen, rejected
                m = margins[torch.tensor([p.degree for p in pairs], device=device)]
                loss = reward_loss(r[:, 0], r[:, 1], m)
                # Weight by share of the step's pairs: the step's gradient is the mean over all of them.
                (loss * (len(idx) / n_group)).backward()
                step_loss += loss.item() * len(idx) / n_group
                correct += int((r[:, 0] > r[:, 1]).sum().item())
                seen += len(idx)
                tokens_seen += sum(len(s) for s in seqs)
            dist.sum_gradients(params)
            step_loss = dist.sum_float(step_loss)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            step += 1
            curve.append([step, round(step_loss, 6)])
            elapsed = time.time() - train_start
            per_step = elapsed / step
            eval_estimate = per_step / max(1, spec.batch_size * spec.grad_accum) * eval_pairs / 3
            report(phase="training", progress=0.02 + 0.88 * step / total,
                   eta_seconds=round(per_step * (total - step) + eval_estimate, 1),
                   metrics={"step": step, "total_steps": total, "epoch": epoch + 1, "loss": round(step_loss, 6),
                            "lr": lr, "accuracy": correct / seen, "train_pairs": len(train_pairs),
                            "truncated_sequences": truncated, "loss_curve": curve})
    train_seconds = time.time() - train_start

    report(phase="evaluating", progress=0.9)
    table = {axis: table8(pairs, score_pairs(model, pairs, device, should_stop)) for axis, pairs in tests.items()}
    if should_stop():
        raise Cancelled()
    report(phase="saving", progress=0.97)
    os.makedirs(spec.output_dir, exist_ok=True)
    final_loss = sum(c[1] for c in curve[-10:]) / len(curve[-10:])
    tok_path = os.path.join(spec.base_model, "tokenizer.model")
    extra = {"reward_axis": spec.axis, "base_model": spec.base_model}
    merged_dir = None
    if not dist.is_main:
        pass
    elif use_lora:  # PEFT files in output_dir (it loads as a model directory), merged on request
        lora.save_peft(model.adapter, spec.output_dir, spec.base_model, tokenizer_path=tok_path, extra=extra)
        if spec.save_merged:
            merged_dir = lora.save_merged(model.base, model.adapter, os.path.join(spec.output_dir, "merged"),
                                          tokenizer_path=tok_path, extra=extra)
    else:
        checkpoint.save_hf(model, spec.output_dir, tokenizer_path=tok_path, extra=extra)
    seconds = time.time() - start
    result = {
        "model_dir": spec.output_dir,
        "table8": table,
        "train_pairs": len(train_pairs),
        "steps": total,
        "seconds": round(seconds, 3),
        "pairs_per_second": round(len(train_pairs) * spec.epochs / train_seconds, 3),
        "tokens_per_second": round(dist.sum_float(tokens_seen) / train_seconds, 1),
        "method": spec.method.name,
    }
    if use_lora:
        result["adapter_dir"] = spec.output_dir
        if merged_dir:
            result["merged_dir"] = merged_dir
    training = {"spec": spec.to_json(), "steps": total, "warmup_steps": warmup, "seconds": round(seconds, 3),
                "train_seconds": round(train_seconds, 3), "final_loss": final_loss, "device": str(device),
                "torch": torch.__version__, "truncated_sequences": truncated,
                "loss_curve": downsample(curve), "table8": table}
    if dist.is_main:
        with open(os.path.join(spec.output_dir, "training.json"), "w") as f:
            json.dump(training, f, indent=2)
    return result
