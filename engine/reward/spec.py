"""The `train_reward` job spec: a dataclass, and validation that names the bad field (400s)."""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from engine.lora import LORA_THRESHOLD, PARTS, LoraConfig, Method
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
    method: Method = field(default_factory=Method)  # full | lora (engine/lora.py)
    save_merged: bool = False  # LoRA: also write a merged Hugging Face checkpoint to <output_dir>/merged

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["margins"] = list(self.margins)
        out.update(self.method.to_json())
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


# Where the paths of a job spec may point, while a request is parsed (engine/jobs_http.py): the
# engine's data folder, and for models also the directories the engine was started with. None (a
# parser called directly, as in unit tests) leaves paths unconfined.
_ROOTS: contextvars.ContextVar[Optional[tuple[str, tuple[str, ...]]]] = contextvars.ContextVar(
    "spec_path_roots", default=None)


@contextlib.contextmanager
def confined_to(data_dir: str, models: tuple[str, ...] = ()):
    """Parse specs inside this block with every path confined to `data_dir` (resolved, symlinks
    included); a model may also be one of `models` (the engine's own, e.g. the bundled model)."""
    token = _ROOTS.set((os.path.realpath(data_dir), tuple(os.path.realpath(m) for m in models if m)))
    try:
        yield
    finally:
        _ROOTS.reset(token)


def _check_confined(v: str, kind: str, param: str) -> None:
    roots = _ROOTS.get()
    if roots is None:
        return
    data, models = roots
    real = os.path.realpath(v)
    if real == data or real.startswith(data + os.sep) or (kind == "model" and real in models):
        return
    # Said the same whether or not the path exists, so a caller learns nothing about the disk.
    raise _bad(param, f"'{param}' must be a path under the engine's data folder")


def _path(spec: dict, name: str, kind: str, param: Optional[str] = None) -> str:
    param = param or f"spec.{name}"
    v = spec.get(name) if param == f"spec.{name}" else spec
    if not isinstance(v, str) or not v:
        raise _bad(param, f"'{param}' must be a non-empty path")
    if "\x00" in v:
        raise _bad(param, f"'{param}' must not contain a NUL character")
    _check_confined(v, kind, param)
    if kind == "file" and not os.path.isfile(v):
        raise _bad(param, f"'{param}': no such file: {v}")
    if kind == "model" and not os.path.isfile(os.path.join(v, "config.json")):
        raise _bad(param, f"'{param}': {v} is not a Hugging Face model directory (no config.json)")
    if kind == "model" and not os.path.isfile(os.path.join(v, "tokenizer.model")):
        raise _bad(param, f"'{param}': {v} has no tokenizer.model")
    if kind == "dir" and os.path.exists(v) and not os.path.isdir(v):
        raise _bad(param, f"'{param}': {v} exists and is not a directory")
    return v


def _base_parameters(model_dir: str) -> Optional[int]:
    import json

    from engine.config import ModelArgs

    try:
        with open(os.path.join(model_dir, "config.json")) as f:
            return ModelArgs.from_hf_config(json.load(f)).num_parameters()
    except (OSError, ValueError, KeyError, TypeError):
        return None


def parse_method(spec: dict, base_model: Optional[str]) -> Method:
    """`spec.method` (full | lora; default lora when the base has more than LORA_THRESHOLD
    parameters, else full), `spec.lora` {rank, alpha, dropout, targets} and
    `spec.gradient_checkpointing` (default: on for LoRA on CUDA, decided at run time)."""
    method = spec.get("method")
    if method is None:
        n = _base_parameters(base_model) if base_model else None
        method = "lora" if n is not None and n > LORA_THRESHOLD else "full"
    if method not in ("full", "lora"):
        raise _bad("spec.method", f"'spec.method' must be full or lora, got {method!r}")
    opts = spec.get("lora") or {}
    if not isinstance(opts, dict) or set(opts) - {"rank", "alpha", "dropout", "targets"}:
        raise _bad("spec.lora", "'spec.lora' must be an object with optional rank, alpha, dropout, targets")
    targets = opts.get("targets", list(PARTS))
    if (not isinstance(targets, list) or not targets or not all(t in PARTS for t in targets)
            or len(set(targets)) != len(targets)):
        raise _bad("spec.lora.targets", f"'spec.lora.targets' must be a non-empty list of distinct {', '.join(PARTS)}")
    try:
        rank = _num(opts, "rank", 8, 1, 1024, True)
        alpha = float(_num(opts, "alpha", 2 * rank, 0.0, 1e6, False, lo_open=True))
        dropout = float(_num(opts, "dropout", 0.0, 0.0, 0.9, False))
    except ApiError as e:  # name the nested field: spec.lora.rank, not spec.rank
        param = (e.param or "").replace("spec.", "spec.lora.", 1)
        raise _bad(param, e.message.replace(f"'{e.param}'", f"'{param}'")) from None
    ckpt = spec.get("gradient_checkpointing")
    if ckpt is not None and not isinstance(ckpt, bool):
        raise _bad("spec.gradient_checkpointing", "'spec.gradient_checkpointing' must be true, false or absent")
    cfg = LoraConfig(rank=rank, alpha=alpha, dropout=dropout, targets=tuple(p for p in PARTS if p in targets))
    return Method(method, cfg, ckpt)


def _bool(spec: dict, name: str, default: bool) -> bool:
    v = spec.get(name, default)
    if not isinstance(v, bool):
        raise _bad(f"spec.{name}", f"'spec.{name}' must be true or false")
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
    base_model = _path(spec, "base_model", "model")
    return TrainRewardSpec(
        method=parse_method(spec, base_model),
        save_merged=_bool(spec, "save_merged", False),
        base_model=base_model,
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
