"""Language-model training: pretraining on packed text and SFT with the loss on assistant tokens.

Reusable beyond the demo world: rejection-sampling fine-tuning is `sft` on the best samples.
Everything is seeded (data order from `random.Random(seed)`, parameters from `init_weights`),
so a run on the same machine and thread count reproduces bit for bit.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence

import torch
import torch.nn.functional as F

from engine.model import Llama
from engine.tokenizer import B_INST, E_INST, Message, Tokenizer, fold_system

Log = Callable[[str], None]


@dataclass(frozen=True)
class TrainConfig:
    steps: int
    batch_size: int = 64
    lr: float = 2e-3  # peak; cosine decay to min_lr_ratio · lr after a linear warm-up
    min_lr_ratio: float = 0.1
    warmup: int = 50
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    seq_len: int = 128  # packed pretraining rows; SFT dialogues longer than this are cut
    seed: int = 0
    log_every: int = 100


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def masked_lm_loss(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """logits (B, T, V) predict tokens[:, 1:]; mask (B, T) marks tokens that count as targets.
    Mean cross-entropy over the counted targets."""
    targets, weight = tokens[:, 1:], mask[:, 1:].float()  # (B, T-1)
    ce = F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), targets.flatten(), reduction="none")
    return (ce * weight.flatten()).sum() / weight.sum().clamp(min=1)


def encode_sft(tokenizer: Tokenizer, dialog: Sequence[Message]) -> tuple[list[int], list[int]]:
    """Tokens of a closed dialogue (Llama 2 chat format) and a 0/1 mask that is 1 on every
    assistant reply's tokens and its EOS: the model learns to answer, not to ask."""
    turns = fold_system(dialog)
    if len(turns) % 2:
        raise ValueError("an SFT dialogue must end with an assistant turn")
    tokens: list[int] = []
    mask: list[int] = []
    for i in range(0, len(turns), 2):
        user, answer = turns[i].content.strip(), turns[i + 1].content.strip()
        exchange = tokenizer.encode(f"{B_INST} {user} {E_INST} {answer} ", bos=True, eos=True)
        prompt = tokenizer.encode(f"{B_INST} {user} {E_INST}", bos=True)
        if exchange[:len(prompt)] != prompt:  # a merge across "[/INST] " would blur the boundary
            raise ValueError(f"prompt tokens are not a prefix of the exchange: {user!r}")
        tokens += exchange
        mask += [0] * len(prompt) + [1] * (len(exchange) - len(prompt))
    return tokens, mask


def pack_text(tokenizer: Tokenizer, lines: Sequence[str], seq_len: int) -> torch.Tensor:
    """Lines as BOS … EOS documents, concatenated and cut into (N, seq_len) rows."""
    stream: list[int] = []
    for line in lines:
        stream += tokenizer.encode(line, bos=True, eos=True)
    n = len(stream) // seq_len
    return torch.tensor(stream[:n * seq_len], dtype=torch.long).view(n, seq_len)


def packed_batches(rows: torch.Tensor, batch_size: int, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless epochs over packed rows in a seeded order; every token is a target."""
    rng = random.Random(seed)
    order: list[int] = []
    while True:
        if len(order) < batch_size:
            more = list(range(rows.shape[0]))
            rng.shuffle(more)
            order += more
        idx, order = order[:batch_size], order[batch_size:]
        batch = rows[idx]
        yield batch, torch.ones_like(batch)


def padded_batches(examples: Sequence[tuple[list[int], list[int]]], batch_size: int, seed: int,
                   seq_len: int, pad_id: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless epochs of right-padded (tokens, mask) batches. Examples are grouped by similar
    length (sorted within windows of 16 batches) so padding wastes little compute."""
    rng = random.Random(seed)
    while True:
        order = list(range(len(examples)))
        rng.shuffle(order)
        window = batch_size * 16
        batches = []
        for w in range(0, len(order), window):
            chunk = sorted(order[w:w + window], key=lambda i: len(examples[i][0]))
            batches += [chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size)]
        rng.shuffle(batches)
        for idx in batches:
            if len(idx) < batch_size:
                continue
            width = min(seq_len, max(len(examples[i][0]) for i in idx))
            tokens = torch.full((len(idx), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for r, i in enumerate(idx):
                t, m = examples[i][0][:width], examples[i][1][:width]
                tokens[r, :len(t)] = torch.tensor(t)
                mask[r, :len(m)] = torch.tensor(m)
            yield tokens, mask


def train(model: Llama, batches: Iterator[tuple[torch.Tensor, torch.Tensor]], cfg: TrainConfig,
          log: Optional[Log] = None, tag: str = "train") -> list[float]:
    """AdamW with warm-up and cosine decay; weight decay on matrices only. -> loss per step."""
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=cfg.betas)
    model.train()
    losses: list[float] = []
    start = time.time()
    for step in range(cfg.steps):
        tokens, mask = next(batches)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        loss = masked_lm_loss(model(tokens), tokens, mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        losses.append(loss.item())
        if log and ((step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps):
            recent = losses[-cfg.log_every:]
            log(f"{tag} step {step + 1}/{cfg.steps} loss {sum(recent) / len(recent):.4f} "
                f"lr {lr_at(step, cfg):.2e} {time.time() - start:.0f}s")
    model.eval()
    return losses


def sft(model: Llama, tokenizer: Tokenizer, dialogues: Sequence[Sequence[Message]], cfg: TrainConfig,
        log: Optional[Log] = None) -> list[float]:
    """Supervised fine-tuning on closed dialogues, loss on assistant tokens only."""
    examples = [encode_sft(tokenizer, d) for d in dialogues]
    return train(model, padded_batches(examples, cfg.batch_size, cfg.seed, cfg.seq_len), cfg, log, "sft")


def pretrain(model: Llama, tokenizer: Tokenizer, lines: Sequence[str], cfg: TrainConfig,
             log: Optional[Log] = None) -> list[float]:
    rows = pack_text(tokenizer, lines, cfg.seq_len)
    return train(model, packed_batches(rows, cfg.batch_size, cfg.seed), cfg, log, "pretrain")
