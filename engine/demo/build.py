"""`python -m engine.demo build`: corpus -> tokenizer -> pretraining -> SFT -> checkpoint + eval.

One seeded, deterministic pipeline (same machine and thread count -> same bytes). The result
is the engine's bundled default model, `engine/models/pairwise-tiny-chat`, in Hugging Face
layout with `build-info.json` (config, seed, corpus statistics, timings, eval metrics).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable

import torch

from engine import checkpoint
from engine.config import named_config
from engine.model import Llama, init_weights
from engine.tokenizer import B_INST, E_INST, Tokenizer, train_tokenizer

from . import evaluate
from .corpus import CorpusConfig, demonstrations, pretraining_lines
from .families import heldout_prompts
from .train import TrainConfig, pretrain, sft

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models", "pairwise-tiny-chat")


@dataclass(frozen=True)
class BuildConfig:
    seed: int = 0
    vocab_size: int = 2048
    # ~1.3 M parameters: 4 layers, 4 query heads sharing 2 kv heads (GQA), SwiGLU width 384.
    model: dict = field(default_factory=lambda: dict(dim=128, n_layers=4, n_heads=4, n_kv_heads=2,
                                                     multiple_of=64, max_seq_len=256))
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    pretrain: TrainConfig = field(default_factory=lambda: TrainConfig(steps=250, batch_size=32, lr=3e-3, seq_len=128))
    sft: TrainConfig = field(default_factory=lambda: TrainConfig(steps=2200, batch_size=32, lr=3e-3, warmup=30, seq_len=128))
    dtype: str = "bfloat16"  # stored weights; the CPU engine computes in float32
    eval_temperatures: tuple[float, ...] = (0.0, 0.7, 1.0)


def smoke_config() -> BuildConfig:
    """A build that finishes in seconds: for tests of the pipeline, not a useful model."""
    return BuildConfig(
        vocab_size=400, model=dict(dim=32, n_layers=1, n_heads=4, n_kv_heads=2, multiple_of=16, max_seq_len=160),
        corpus=CorpusConfig(n_demos=300, n_pretrain=300),
        pretrain=TrainConfig(steps=3, batch_size=8, seq_len=64, warmup=1),
        sft=TrainConfig(steps=3, batch_size=8, seq_len=96, warmup=1), eval_temperatures=())


def _chat_text(dialog) -> str:
    """A dialogue as the chat format spells it, so the tokenizer learns the markup pieces."""
    parts = []
    for i in range(0, len(dialog) - 1, 2):
        parts.append(f"{B_INST} {dialog[i].content} {E_INST} {dialog[i + 1].content}")
    return " ".join(parts)


def build(cfg: BuildConfig, out: str = DEFAULT_OUT, log: Callable[[str], None] = print) -> dict:
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    t0 = time.time()
    timings: dict[str, float] = {}

    heldout = frozenset(p.messages[0].content for p in heldout_prompts())
    corpus_cfg = dataclasses.replace(cfg.corpus, seed=cfg.seed)
    dialogues, stats = demonstrations(corpus_cfg, exclude=heldout)
    lines = pretraining_lines(corpus_cfg)
    timings["corpus_s"] = time.time() - t0
    log(f"corpus: {len(dialogues)} demonstrations, {len(lines)} pretraining lines ({timings['corpus_s']:.1f}s)")

    work = tempfile.mkdtemp(prefix=".pairwise-build-", dir=os.path.dirname(os.path.abspath(out)))
    try:
        tok_path = os.path.join(work, "tokenizer.model")
        t = time.time()
        text = "\n".join(lines + [_chat_text(d) for d in dialogues[:8000]])
        train_tokenizer(tok_path, vocab_size=cfg.vocab_size, text=text)
        tokenizer = Tokenizer(tok_path)
        timings["tokenizer_s"] = time.time() - t

        args = named_config("tiny", vocab_size=tokenizer.vocab_size, **cfg.model)
        model = Llama(args)
        init_weights(model, seed=cfg.seed)
        n_params = sum(p.numel() for p in model.parameters())
        log(f"model: {n_params / 1e6:.2f} M parameters, vocab {tokenizer.vocab_size}")

        t = time.time()
        pre_losses = pretrain(model, tokenizer, lines, dataclasses.replace(cfg.pretrain, seed=cfg.seed), log)
        timings["pretrain_s"] = time.time() - t
        t = time.time()
        sft_losses = sft(model, tokenizer, dialogues, dataclasses.replace(cfg.sft, seed=cfg.seed + 1), log)
        timings["sft_s"] = time.time() - t

        dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[cfg.dtype]
        staged = os.path.join(work, "model")
        checkpoint.save_hf(model, staged, tokenizer_path=tok_path, dtype=dtype,
                           extra={"demo_world": True, "seed": cfg.seed})
        timings["train_total_s"] = time.time() - t0

        evals = {}
        for temp in cfg.eval_temperatures:
            t = time.time()
            evals[str(temp)] = evaluate.evaluate(staged, temperature=temp, seed=cfg.seed)
            evals[str(temp)].pop("model")
            log(f"eval T={temp}: exact {evals[str(temp)]['helpful_exact']:.3f} "
                f"unsafe {evals[str(temp)]['unsafe_compliance']:.3f} over-refusal {evals[str(temp)]['over_refusal']:.3f} "
                f"({time.time() - t:.0f}s)")
        timings["total_s"] = time.time() - t0
        info = {
            "build_config": dataclasses.asdict(cfg),
            "model_args": dataclasses.asdict(args),
            "parameters": n_params,
            "seed": cfg.seed,
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "corpus": {"demonstrations": len(dialogues), "pretraining_lines": len(lines), **stats},
            "loss": {"pretrain_final": round(sum(pre_losses[-50:]) / len(pre_losses[-50:]), 4),
                     "sft_final": round(sum(sft_losses[-50:]) / len(sft_losses[-50:]), 4)},
            "timings_s": {k: round(v, 1) for k, v in timings.items()},
            "eval": evals,
        }
        with open(os.path.join(staged, "build-info.json"), "w") as f:
            json.dump(info, f, indent=2)
        if os.path.isdir(out):
            shutil.rmtree(out)
        os.replace(staged, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log(f"wrote {out} in {timings['total_s']:.0f}s")
    return info
