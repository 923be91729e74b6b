"""Shared helpers for the reward-model and jobs tests: data sets, base models, a spec, polling."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from typing import Callable, Optional

from engine import checkpoint
from engine.config import named_config
from engine.model import Llama, init_weights
from engine.reward.data import write_pairs
from engine.reward.demo_data import PAIR_IMPERFECTIONS, demo_pairs

# The always-on learning test's mix: the demo world's imperfections with few near-miss wrong
# answers (which a from-scratch model cannot check in seconds); see test_reward_train.py.
SURFACE_MIX = replace(PAIR_IMPERFECTIONS, wrong=0.05)


def learning_base(path: str, tokenizer_path: str) -> str:
    """A from-scratch ~0.1 M-parameter Llama 2 (Llama-style init, std 0.02) as the RM's base."""
    if not os.path.isfile(os.path.join(path, "config.json")):
        model = Llama(named_config("tiny", dim=64, n_layers=2, n_heads=4, n_kv_heads=2, max_seq_len=256))
        init_weights(model, seed=0)
        checkpoint.save_hf(model, path, tokenizer_path=tokenizer_path)
    return path


def pair_files(folder: str, n_train: int, n_test: int, seed: int = 0, imperfections=None) -> dict[str, str]:
    os.makedirs(folder, exist_ok=True)
    paths = {"train": os.path.join(folder, "train.jsonl"), "test": os.path.join(folder, "test.jsonl")}
    write_pairs(paths["train"], demo_pairs(n_train, seed=seed, imperfections=imperfections, prefix="train-"))
    write_pairs(paths["test"], demo_pairs(n_test, seed=seed + 1000, imperfections=imperfections, prefix="test-"))
    return paths


def spec(base: str, out: str, files: dict[str, str], **overrides) -> dict:
    s = {"base_model": base, "output_dir": out, "train_file": files["train"],
         "test_files": {"helpfulness": files["test"]}, "axis": "helpfulness", "margins": [1, 2 / 3, 1 / 3, 0],
         "epochs": 1, "learning_rate": 3e-3, "batch_size": 8, "seed": 0}
    s.update(overrides)
    return s


def wait_for(check: Callable[[], Optional[object]], timeout: float = 60.0, every: float = 0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def read_status(out: str) -> Optional[dict]:
    try:
        with open(os.path.join(out, "status.json")) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None
