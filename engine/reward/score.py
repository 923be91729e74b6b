"""Reward models by directory, and the combined reward R_c that RLHF optimises.

`/v1/rewards` takes `model` as either the id of the reward model loaded at start
(ENGINE_REWARD_MODEL) or the path of a scalar-head model directory under the data directory
(what a train_reward job wrote: its `result.model_dir`). Directories are loaded on first use and
kept in a small LRU (`RewardModels`, MAX_LOADED entries), keyed by their real path.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Optional, Sequence

import torch

from engine.protocol import ApiError

SAFETY_THRESHOLD = 0.15
MAX_LOADED = 4


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def combined_reward(r_helpful: float, r_safety: float, is_safety: bool) -> tuple[float, str]:
    """R_c on raw reward-model outputs (Llama 2 paper, section 3.2.3):
        R_c = R_s if is_safety(prompt) or R_s < 0.15 else R_h,
    with R_s = σ(r_safety) and R_h = σ(r_helpful) in [0, 1]. -> (R_c, which model it came from).
    PPO then uses whiten(logit(R_c)) minus the KL penalty."""
    rs, rh = sigmoid(r_safety), sigmoid(r_helpful)
    if is_safety or rs < SAFETY_THRESHOLD:
        return rs, "safety"
    return rh, "helpfulness"


def looks_like_path(name: str) -> bool:
    return "/" in name or os.sep in name


class RewardModels:
    """Reward models for /v1/rewards: the one loaded at start by its id, or scalar-head model
    directories under the data directory (engine.runtime.ModelDirectories, MAX_LOADED entries)."""

    def __init__(self, runtime, capacity: int = MAX_LOADED):
        from engine.model import LlamaScalar
        from engine.runtime import ModelDirectories

        def check(loaded, name: str, param: str) -> None:
            if not isinstance(loaded.model, LlamaScalar):
                raise ApiError(400, f"{name!r} is a language model, not a scalar-head reward model", param)

        self.runtime = runtime
        self.dirs = ModelDirectories(runtime, "reward", capacity, check)

    def resolve(self, name: str, param: str = "model"):
        """The LoadedModel for `name`, or ApiError: 404 model_not_found, 400 outside the data dir,
        501 when `name` is an id and no reward model was loaded at start."""
        rt = self.runtime
        if not looks_like_path(name):
            if rt.reward is None:
                raise ApiError(501, "no reward model is loaded; start the engine with ENGINE_REWARD_MODEL set to a "
                               "scalar-head model directory, or pass a model directory under the data directory",
                               param, type_="not_implemented_error", code="reward_model_not_loaded")
            if name != rt.reward.id:
                raise ApiError(404, f"reward model {name!r} is not loaded; loaded: {rt.reward.id!r} (or pass a model "
                               "directory under the data directory)", param, code="model_not_found")
            return rt.reward
        path, inside = self.dirs.real_path(name)
        if not inside:
            raise ApiError(400, f"'{param}' must be a directory under the data directory "
                           f"{os.path.realpath(rt.settings.data_dir)}", param)
        return self.dirs.get(path, name, param, model_id=name)


def reward_models(runtime) -> RewardModels:
    """The runtime's LRU, created on first use."""
    with _attach_lock:
        if getattr(runtime, "reward_models", None) is None:
            runtime.reward_models = RewardModels(runtime)
        return runtime.reward_models


_attach_lock = threading.Lock()


def score(runtime, loaded, seqs: Sequence[list[int]]) -> list[float]:
    """Raw rewards of closed dialogues (token lists), under the runtime's lock."""
    with runtime.lock, torch.no_grad():
        longest = max(len(s) for s in seqs)
        tokens = torch.tensor([s + [0] * (longest - len(s)) for s in seqs], device=runtime.device)
        values = loaded.model(tokens).float()  # (N, T)
        last = torch.tensor([len(s) - 1 for s in seqs], device=runtime.device)
        return values.gather(1, last[:, None]).squeeze(1).tolist()


def check_lengths(loaded, seqs: Sequence[list[int]], param: str = "inputs") -> None:
    ctx: Optional[int] = loaded.context_length
    for i, s in enumerate(seqs):
        if len(s) > ctx:
            raise ApiError(400, f"{param}[{i}] is {len(s)} tokens; the reward model's context is {ctx}",
                           f"{param}[{i}]", code="context_length_exceeded")
