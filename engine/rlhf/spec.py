"""Specs of the rejection_sampling, evaluate and sft jobs: dataclasses, and validation whose
400s name the field (`spec.k`, `spec.reward_models.safety`, `spec.pool_files[1]`, …).

Defaults are those of the contract (docs/engine-protocol.md) except the learning rates, which
suit the bundled ~1.3 M-parameter demo model (it was trained at 3e-3); the platform always
passes its own values.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import Any, Optional

from dataclasses import field

from engine.lora import Method
from engine.reward.spec import _bad, _bool, _num, _path, parse_method

from .common import REWARDS

MAX_SEED = (1 << 63) - 1
DEFAULT_LR = 1e-3  # the contract's platform default is 1e-4 (7B-sized); the tiny model wants more


@dataclass(frozen=True)
class RejectionSamplingSpec:
    base_model: str
    output_dir: str
    prompts_file: str
    reward_models: dict[str, str]
    pool_files: tuple[str, ...] = ()
    reward: str = "combined"
    k: int = 8
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 64
    epochs: int = 2
    learning_rate: float = DEFAULT_LR
    batch_size: int = 16
    seed: int = 0
    method: Method = field(default_factory=Method)  # full | lora for the fine-tuning (engine/lora.py)
    save_merged: bool = False  # LoRA: also a merged checkpoint at <output_dir>/model-merged

    def to_json(self) -> dict:
        out = asdict(self)
        out["pool_files"] = list(self.pool_files)
        out.update(self.method.to_json())
        return out


@dataclass(frozen=True)
class EvaluateSpec:
    model: str
    baseline: str
    reward_models: dict[str, str]
    output_dir: str
    prompts_file: Optional[str] = None
    demo_heldout: bool = False
    prompt_count: int = 200
    temperature: float = 0.7
    max_tokens: int = 64
    tie_margin: float = 0.02
    seed: int = 0
    reward: str = "combined"
    samples_per_prompt: int = 4  # k replies per prompt and policy; the per-prompt means are compared

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SftSpec:
    base_model: str
    output_dir: str
    train_file: str
    epochs: int = 3
    learning_rate: float = DEFAULT_LR
    batch_size: int = 16
    seed: int = 0
    method: Method = field(default_factory=Method)
    save_merged: bool = False

    def to_json(self) -> dict:
        out = asdict(self)
        out.update(self.method.to_json())
        return out


def _obj(spec: Any) -> dict:
    if not isinstance(spec, dict):
        raise _bad("spec", "'spec' must be an object")
    return spec


def _reward(spec: dict) -> str:
    reward = spec.get("reward", "combined")
    if reward not in REWARDS:
        raise _bad("spec.reward", f"'spec.reward' must be one of {', '.join(REWARDS)}, got {reward!r}")
    return reward


def _reward_models(spec: dict, reward: str) -> dict[str, str]:
    rms = spec.get("reward_models")
    if not isinstance(rms, dict) or set(rms) - {"helpfulness", "safety"}:
        raise _bad("spec.reward_models", "'spec.reward_models' must be an object {\"helpfulness\": dir, "
                   "\"safety\": dir}")
    needed = ("helpfulness", "safety") if reward == "combined" else (reward,)
    out = {}
    for axis in ("helpfulness", "safety"):
        if rms.get(axis) is None and axis not in needed:
            continue
        param = f"spec.reward_models.{axis}"
        if rms.get(axis) is None:
            raise _bad(param, f"'{param}' is required for the {reward} reward")
        out[axis] = _path(rms[axis], axis, "model", param)
    return out


def _float(spec: dict, name: str, default: float, lo: float, hi: float, lo_open: bool = False) -> float:
    return float(_num(spec, name, default, lo, hi, False, lo_open=lo_open))


def _context(model_dir: str) -> Optional[int]:
    try:
        with open(os.path.join(model_dir, "config.json")) as f:
            return int(json.load(f).get("max_position_embeddings"))
    except (OSError, ValueError, TypeError):
        return None


def _max_tokens(spec: dict, *models: str) -> int:
    """1–4096 and below every policy's context (room must remain for the prompt)."""
    n = _num(spec, "max_tokens", 64, 1, 4096, True)
    for m in models:
        ctx = _context(m)
        if ctx is not None and n >= ctx:
            raise _bad("spec.max_tokens", f"'spec.max_tokens' ({n}) must be below the context of {m} ({ctx} tokens)")
    return n


def parse_rejection_sampling(spec: Any) -> RejectionSamplingSpec:
    spec = _obj(spec)
    reward = _reward(spec)
    pools = spec.get("pool_files", [])
    if pools is None:
        pools = []
    if not isinstance(pools, list):
        raise _bad("spec.pool_files", "'spec.pool_files' must be a list of best.jsonl paths (may be empty)")
    pool_files = tuple(_path(p, "", "file", f"spec.pool_files[{i}]") for i, p in enumerate(pools))
    base_model = _path(spec, "base_model", "model")
    return RejectionSamplingSpec(
        base_model=base_model,
        output_dir=_path(spec, "output_dir", "dir"),
        prompts_file=_path(spec, "prompts_file", "file"),
        reward_models=_reward_models(spec, reward),
        pool_files=pool_files,
        reward=reward,
        k=_num(spec, "k", 8, 1, 64, True),
        temperature=_float(spec, "temperature", 1.0, 0.0, 2.0, lo_open=True),
        top_p=_float(spec, "top_p", 1.0, 0.0, 1.0, lo_open=True),
        max_tokens=_max_tokens(spec, base_model),
        epochs=_num(spec, "epochs", 2, 1, 100, True),
        learning_rate=_float(spec, "learning_rate", DEFAULT_LR, 0.0, 1.0, lo_open=True),
        batch_size=_num(spec, "batch_size", 16, 1, 4096, True),
        seed=_num(spec, "seed", 0, 0, MAX_SEED, True),
        method=parse_method(spec, base_model),
        save_merged=_bool(spec, "save_merged", False),
    )


def parse_evaluate(spec: Any) -> EvaluateSpec:
    spec = _obj(spec)
    reward = _reward(spec)
    heldout = spec.get("demo_heldout", False)
    if not isinstance(heldout, bool):
        raise _bad("spec.demo_heldout", "'spec.demo_heldout' must be true or false")
    prompts_file = spec.get("prompts_file")
    if heldout and prompts_file is not None:
        raise _bad("spec.prompts_file", "'spec.prompts_file' and 'spec.demo_heldout' exclude each other")
    if not heldout:
        if prompts_file is None:
            raise _bad("spec.prompts_file", "'spec.prompts_file' is required unless 'spec.demo_heldout' is true")
        prompts_file = _path(spec, "prompts_file", "file")
    model, baseline = _path(spec, "model", "model"), _path(spec, "baseline", "model")
    return EvaluateSpec(
        model=model,
        baseline=baseline,
        reward_models=_reward_models(spec, reward),
        output_dir=_path(spec, "output_dir", "dir"),
        prompts_file=prompts_file,
        demo_heldout=heldout,
        prompt_count=_num(spec, "prompt_count", 200, 1, 100_000, True),
        temperature=_float(spec, "temperature", 0.7, 0.0, 2.0),
        max_tokens=_max_tokens(spec, model, baseline),
        tie_margin=_float(spec, "tie_margin", 0.02, 0.0, 1.0),
        seed=_num(spec, "seed", 0, 0, MAX_SEED, True),
        reward=reward,
        samples_per_prompt=_num(spec, "samples_per_prompt", 4, 1, 32, True),
    )


def parse_sft(spec: Any) -> SftSpec:
    spec = _obj(spec)
    base_model = _path(spec, "base_model", "model")
    return SftSpec(
        method=parse_method(spec, base_model),
        save_merged=_bool(spec, "save_merged", False),
        base_model=base_model,
        output_dir=_path(spec, "output_dir", "dir"),
        train_file=_path(spec, "train_file", "file"),
        epochs=_num(spec, "epochs", 3, 1, 100, True),
        learning_rate=_float(spec, "learning_rate", DEFAULT_LR, 0.0, 1.0, lo_open=True),
        batch_size=_num(spec, "batch_size", 16, 1, 4096, True),
        seed=_num(spec, "seed", 0, 0, MAX_SEED, True),
    )

