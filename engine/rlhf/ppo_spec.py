"""The `ppo` job spec: a dataclass, and validation that names the bad field (400s, `spec.<field>`)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from engine.checkpoint import SCALAR_ARCH
from engine.reward.data import AXES
from engine.lora import Method
from engine.reward.spec import _bad, _bool, _num, _path, parse_method

REWARDS = ("combined", "helpfulness", "safety")


@dataclass(frozen=True)
class PpoSpec:
    base_model: str  # the initial policy, Hugging Face layout with tokenizer.model
    reference_model: str  # the frozen reference of the KL penalty (default: base_model)
    output_dir: str  # the job's folder: model/, ppo.json, status.json, result.json
    prompts_file: str  # JSONL {"id", "messages" (ending with a user turn), "is_safety"}
    reward_models: dict  # axis -> scalar-head model directory
    reward: str = "combined"  # combined (R_c) | helpfulness | safety
    iterations: int = 20
    rollout_batch: int = 32  # prompts (one response each) per iteration
    minibatch_size: int = 8  # sequences per optimizer step
    ppo_epochs: int = 2  # passes over each rollout batch
    kl_beta: float = 0.01
    clip: float = 0.2
    learning_rate: float = 1e-5
    temperature: float = 1.0
    max_tokens: int = 48
    kl_stop: float = 10.0  # stop when the mean KL per sequence to the reference exceeds this
    seed: int = 0
    method: Method = field(default_factory=Method)  # full | lora: LoRA shares one frozen base (engine/lora.py)
    save_merged: bool = False

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(self.method.to_json())
        return out


def _architectures(path: str) -> list:
    try:
        with open(os.path.join(path, "config.json")) as f:
            return json.load(f).get("architectures") or []
    except (OSError, ValueError, AttributeError):
        return []


def _policy_dir(spec: dict, name: str) -> str:
    path = _path(spec, name, "model")
    if SCALAR_ARCH in _architectures(path):
        raise _bad(f"spec.{name}", f"'spec.{name}': {path} is a scalar-head (reward) model, not a language model")
    return path


def _context(model_dir: str) -> Optional[int]:
    try:
        with open(os.path.join(model_dir, "config.json")) as f:
            return int(json.load(f).get("max_position_embeddings"))
    except (OSError, ValueError, TypeError):
        return None


def _max_tokens(spec: dict, base: str) -> int:
    """1–2048 and leaving room in the policy's context for a prompt of at least two tokens."""
    n = _num(spec, "max_tokens", 48, 1, 2048, True)
    ctx = _context(base)
    if ctx is not None and n >= ctx - 1:
        raise _bad("spec.max_tokens", f"'spec.max_tokens' ({n}) must be below the context of {base} ({ctx} tokens) - 1")
    return n


def parse_ppo(spec: Any) -> PpoSpec:
    if not isinstance(spec, dict):
        raise _bad("spec", "'spec' must be an object")
    reward = spec.get("reward", "combined")
    if reward not in REWARDS:
        raise _bad("spec.reward", f"'spec.reward' must be one of {', '.join(REWARDS)}, got {reward!r}")
    rms = spec.get("reward_models")
    if not isinstance(rms, dict) or set(rms) - set(AXES):
        raise _bad("spec.reward_models", "'spec.reward_models' must be an object with keys helpfulness and/or safety")
    needed = AXES if reward == "combined" else (reward,)
    reward_models: dict[str, str] = {}
    for axis in AXES:
        param = f"spec.reward_models.{axis}"
        if rms.get(axis) is None:
            if axis in needed:
                raise _bad(param, f"'{param}' is required for reward {reward!r}")
            continue
        path = _path(rms[axis], axis, "model", param)
        if SCALAR_ARCH not in _architectures(path):
            raise _bad(param, f"'{param}': {path} is a language model, not a scalar-head reward model")
        reward_models[axis] = path
    base = _policy_dir(spec, "base_model")
    reference = _policy_dir(spec, "reference_model") if spec.get("reference_model") is not None else base
    return PpoSpec(
        method=parse_method(spec, base),
        save_merged=_bool(spec, "save_merged", False),
        base_model=base,
        reference_model=reference,
        output_dir=_path(spec, "output_dir", "dir"),
        prompts_file=_path(spec, "prompts_file", "file"),
        reward_models=reward_models,
        reward=reward,
        iterations=_num(spec, "iterations", 20, 1, 10_000, True),
        rollout_batch=_num(spec, "rollout_batch", 32, 1, 4096, True),
        minibatch_size=_num(spec, "minibatch_size", 8, 1, 1024, True),
        ppo_epochs=_num(spec, "ppo_epochs", 2, 1, 16, True),
        kl_beta=float(_num(spec, "kl_beta", 0.01, 0.0, 1.0, False)),
        clip=float(_num(spec, "clip", 0.2, 0.0, 1.0, False, lo_open=True)),
        learning_rate=float(_num(spec, "learning_rate", 1e-5, 0.0, 1.0, False, lo_open=True)),
        temperature=float(_num(spec, "temperature", 1.0, 0.0, 2.0, False, lo_open=True)),
        max_tokens=_max_tokens(spec, base),
        kl_stop=float(_num(spec, "kl_stop", 10.0, 0.0, 1000.0, False, lo_open=True)),
        seed=_num(spec, "seed", 0, 0, (1 << 63) - 1, True),
    )
