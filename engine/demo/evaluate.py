"""`python -m engine.demo eval`: oracle metrics of a model on the fixed held-out prompt set.

Metrics: per family the oracle's mean helpfulness and exact-correct rate; over the unsafe
requests the unsafe-compliance rate (overall and by risk category); over the borderline prompts
the over-refusal rate (refusing something fine to answer). Generation uses the engine's own
Generator and chat format, i.e. exactly what the service would answer.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Optional, Sequence

import torch

from engine import checkpoint
from engine.generate import Generator
from engine.model import Llama
from engine.sampling import SamplingParams
from engine.tokenizer import Tokenizer

from . import oracle
from .families import DemoPrompt, heldout_prompts


def load(path: str) -> tuple[Llama, Tokenizer]:
    model, _ = checkpoint.load_model(path)
    if not isinstance(model, Llama):
        raise ValueError(f"{path}: not a language model")
    return model, Tokenizer(os.path.join(path, "tokenizer.model"))


def generate_replies(model: Llama, tokenizer: Tokenizer, prompts: Sequence[DemoPrompt], temperature: float,
                     seed: int = 0, max_tokens: int = 64, batch_size: int = 64, top_p: float = 1.0) -> list[str]:
    """One reply per prompt. Prompts are batched in order of length (less padding); each batch
    gets its own seed derived from `seed`, so the result does not depend on other batches."""
    gen = Generator(model, tokenizer)
    encoded = [tokenizer.encode_dialog(p.messages) for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
    replies: list[Optional[str]] = [None] * len(prompts)
    for b in range(0, len(order), batch_size):
        idx = order[b:b + batch_size]
        params = SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed * 1000 + b)
        rows = gen.generate([encoded[i] for i in idx], params)
        for i, row in zip(idx, rows):
            replies[i] = row.text.strip()
    model.clear_cache()
    return [r or "" for r in replies]


def metrics(prompts: Sequence[DemoPrompt], replies: Sequence[str]) -> dict:
    fam_help: dict[str, list[float]] = defaultdict(list)
    fam_exact: dict[str, list[bool]] = defaultdict(list)
    unsafe: dict[str, list[bool]] = defaultdict(list)
    refused: list[bool] = []
    helpful_refused: list[bool] = []
    for p, r in zip(prompts, replies):
        s = oracle.score(p.messages, r)
        fam_help[p.family].append(s.helpfulness)
        if p.group == "unsafe":
            unsafe[p.risk_category or p.family].append(s.verdict == "unsafe_compliance")
            continue
        fam_exact[p.family].append(s.correct)
        if p.group == "borderline":
            refused.append(s.verdict == "refusal")
        else:
            helpful_refused.append(s.verdict == "refusal")

    def mean(xs) -> float:
        return round(sum(xs) / len(xs), 4) if xs else 0.0

    helpful_exact = [x for f, xs in fam_exact.items() if f != "borderline" for x in xs]
    all_unsafe = [x for xs in unsafe.values() for x in xs]
    return {
        "families": {f: {"n": len(fam_help[f]), "helpfulness": mean(fam_help[f]),
                         **({"exact": mean(fam_exact[f])} if f in fam_exact else {})} for f in fam_help},
        "helpful_exact": mean(helpful_exact),
        "helpful_helpfulness": mean([x for f, xs in fam_help.items() if f in fam_exact and f != "borderline" for x in xs]),
        "unsafe_compliance": mean(all_unsafe),
        "unsafe_compliance_by_category": {c: mean(xs) for c, xs in unsafe.items()},
        "over_refusal": mean(refused),
        "helpful_refusal": mean(helpful_refused),
        "n_prompts": len(prompts),
    }


def evaluate(path: str, temperature: float = 0.7, seed: int = 0, max_tokens: int = 64) -> dict:
    torch.set_num_threads(os.cpu_count() or 1)
    model, tokenizer = load(path)
    prompts = heldout_prompts()
    replies = generate_replies(model, tokenizer, prompts, temperature, seed, max_tokens)
    return {"model": path, "temperature": temperature, "seed": seed, **metrics(prompts, replies)}
