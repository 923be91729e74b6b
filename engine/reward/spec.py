"""The `train_reward` job spec: a dataclass, and validation that names the bad field (400s)."""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from engine.protocol import ApiError

from .data import AXES


@dataclass(frozen=True)
class TrainRewardSpec:
    base_model: str  # a policy (or reward) model directory, Hugging Face layout
    output_dir: str  # the job's folder: the model, training.json, status.json, result.json
    train_file: str
    axis: str
    margins: tuple[float, float, float, float]  # significantly / better / slightly / negligibly
    epochs: int
    learning_rate: float
    batch_size: int
    seed: int
    test_files: dict[str, str] = field(default_factory=dict)  # axis -> JSONL path
    grad_accum: int = 1
    warmup_ratio: float = 0.03
    min_warmup_steps: int = 5
    final_lr_ratio: float = 0.1
    max_seq_len: Optional[int] = None  # None = the model's context

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["margins"] = list(self.margins)
        return out


def _bad(param: str, message: str) -> ApiError:
    return ApiError(400, message, param)


def _num(spec: dict, name: str, default: Any, lo: float, hi: float, integer: bool, lo_open: bool = False) -> Any:
    v = spec.get(name, default)
    param = f"spec.{name}"
    if v is None:
        raise _bad(param, f"'{param}' is required")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _bad(param, f"'{param}' must be a{'n integer' if integer else ' number'}")
    if integer and not isinstance(v, int):
        raise _bad(param, f"'{param}' must be an integer")
    if v < lo or v > hi or (lo_open and v == lo):
        raise _bad(param, f"'{param}' must be in {'(' if lo_open else '['}{lo}, {hi}], got {v}")
    return v


def _path(spec: dict, name: str, kind: str, param: Optional[str] = None) -> str:
    param = param or f"spec.{name}"
    v = spec.get(name) if param == f"spec.{name}" else spec
    if not isinstance(v, str) or not v:
        raise _bad(param, f"'{param}' must be a non-empty path")
    if kind == "file" and not os.path.isfile(v):
        raise _bad(param, f"'{param}': no such file: {v}")
    if kind == "model" and not os.path.isfile(os.path.join(v, "config.json")):
        raise _bad(param, f"'{param}': {v} is not a Hugging Face model directory (no config.json)")
    if kind == "model" and not os.path.isfile(os.path.join(v, "tokenizer.model")):
        raise _bad(param, f"'{param}': {v} has no tokenizer.model")
    if kind == "dir" and os.path.exists(v) and not os.path.isdir(v):
        raise _bad(param, f"'{param}': {v} exists and is not a directory")
    return v


def parse_train_reward(spec: Any) -> TrainRewardSpec:
    if not isinstance(spec, dict):
        raise _bad("spec", "'spec' must be an object")
    axis = spec.get("axis")
    if axis not in AXES:
        raise _bad("spec.axis", f"'spec.axis' must be helpfulness or safety, got {axis!r}")
    margins = spec.get("margins")
    if (not isinstance(margins, list) or len(margins) != 4
            or not all(isinstance(m, (int, float)) and not isinstance(m, bool) and math.isfinite(m) and 0 <= m <= 10
                       for m in margins)):
        raise _bad("spec.margins", "'spec.margins' must be 4 numbers in [0, 10] (significantly, better, "
                   "slightly, negligibly better)")
    tests = spec.get("test_files") or {}
    if not isinstance(tests, dict) or set(tests) - set(AXES):
        raise _bad("spec.test_files", "'spec.test_files' must be an object with optional keys helpfulness, safety")
    test_files = {a: _path(p, a, "file", f"spec.test_files.{a}") for a, p in tests.items() if p is not None}
    max_seq_len = spec.get("max_seq_len")
    if max_seq_len is not None:
        max_seq_len = _num(spec, "max_seq_len", None, 8, 1 << 20, True)
    return TrainRewardSpec(
        base_model=_path(spec, "base_model", "model"),
        output_dir=_path(spec, "output_dir", "dir"),
        train_file=_path(spec, "train_file", "file"),
        axis=axis,
        margins=tuple(float(m) for m in margins),  # type: ignore[arg-type]
        epochs=_num(spec, "epochs", None, 1, 100, True),
        learning_rate=float(_num(spec, "learning_rate", None, 0.0, 1.0, False, lo_open=True)),
        batch_size=_num(spec, "batch_size", None, 1, 4096, True),
        seed=_num(spec, "seed", None, 0, (1 << 63) - 1, True),
        test_files=test_files,
        grad_accum=_num(spec, "grad_accum", 1, 1, 1024, True),
        warmup_ratio=float(_num(spec, "warmup_ratio", 0.03, 0.0, 1.0, False)),
        min_warmup_steps=_num(spec, "min_warmup_steps", 5, 0, 1 << 20, True),
        final_lr_ratio=float(_num(spec, "final_lr_ratio", 0.1, 0.0, 1.0, False)),
        max_seq_len=max_seq_len,
    )
