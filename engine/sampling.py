"""Token sampling on the model's device, with no host synchronisation.

Everything here is tensor arithmetic on (B, V) logits, so a CUDA decode loop never waits for the
host: the sample is drawn with the exponential-race trick (argmax of p / E with E ~ Exp(1) is a
draw from p) instead of torch.multinomial, and filtering uses masks rather than Python branches
on tensor values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch


@dataclass
class SamplingParams:
    temperature: float = 1.0  # 0 = greedy
    top_p: float = 1.0  # keep the smallest set of tokens whose probability mass reaches top_p
    top_k: int = 0  # 0 = no limit
    repetition_penalty: float = 1.0  # CTRL-style: divide positive / multiply negative logits of seen tokens
    max_tokens: int = 128
    seed: Optional[int] = None
    stop: tuple[str, ...] = field(default_factory=tuple)
    logprobs: bool = False
    ignore_eos: bool = False  # benchmarks: always generate max_tokens

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
        if self.top_k < 0:
            raise ValueError("top_k must be >= 0")
        if self.repetition_penalty <= 0:
            raise ValueError("repetition_penalty must be > 0")
        if self.max_tokens < 1:
            raise ValueError("max_tokens must be >= 1")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0 or self.top_k == 1


def apply_repetition_penalty(logits: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    """logits (B, V) float32; seen (B, V) bool: tokens already in the prompt or the output."""
    if penalty == 1.0:
        return logits
    penalised = torch.where(logits > 0, logits / penalty, logits * penalty)
    return torch.where(seen, penalised, logits)


def filter_logits(logits: torch.Tensor, temperature: float, top_k: int, top_p: float) -> torch.Tensor:
    """Temperature, then top-k, then top-p; removed tokens get -inf. logits: (B, V) float32."""
    logits = logits / max(temperature, 1e-5)
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = sorted_logits.softmax(dim=-1)
        mass_before = probs.cumsum(dim=-1) - probs  # mass of strictly more likely tokens
        # Drop a token once the tokens before it already reach top_p; the first is always kept.
        drop_sorted = mass_before >= top_p
        drop_sorted[:, 0] = False
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def sample(logits: torch.Tensor, params: SamplingParams, generator: Optional[torch.Generator],
           seen: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """logits (B, V) -> (tokens (B,) int64, logprobs (B,) float32).

    The log-probability is the model's own (raw logits, temperature 1, no filtering or penalty):
    what PPO's importance ratios and KL penalties need.
    """
    logits = logits.float()
    raw_logprobs = torch.log_softmax(logits, dim=-1)
    if seen is not None:
        logits = apply_repetition_penalty(logits, seen, params.repetition_penalty)
    if params.greedy:
        tokens = logits.argmax(dim=-1)
    else:
        probs = filter_logits(logits, params.temperature, params.top_k, params.top_p).softmax(dim=-1)
        race = torch.empty_like(probs).exponential_(1.0, generator=generator)
        tokens = (probs / race).argmax(dim=-1)
    return tokens, raw_logprobs.gather(-1, tokens[:, None]).squeeze(-1)
