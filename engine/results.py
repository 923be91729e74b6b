"""What each engine job returns: one dataclass per kind, tagged by `kind` (lib/shared/jobs.ts,
ZEngineResultByKind, mirrors them; docs/engine-protocol.md documents the fields).

The job functions return plain dicts; `as_result` turns one into its kind's dataclass at the
boundary (engine/jobs.py), so a missing field fails the job as an internal error instead of
reaching the platform. Fields a job adds beyond these are kept in `extra` and sent as they are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Optional


@dataclass(frozen=True)
class TrainRewardResult:
    model_dir: str
    table8: dict
    train_pairs: int
    steps: int
    seconds: float
    pairs_per_second: float
    tokens_per_second: float
    extra: dict = field(default_factory=dict)
    kind: str = "train_reward"


@dataclass(frozen=True)
class SftResult:
    model_dir: str
    examples: int
    train_steps: int
    final_loss: Optional[float]
    seconds: float
    extra: dict = field(default_factory=dict)
    kind: str = "sft"


@dataclass(frozen=True)
class RejectionSamplingResult:
    model_dir: str
    best_file: str
    prompts: int
    samples: int
    mean_reward: float
    mean_best_reward: float
    pool_size: int
    train_steps: int
    final_loss: Optional[float]
    seconds: float
    extra: dict = field(default_factory=dict)
    kind: str = "rejection_sampling"


@dataclass(frozen=True)
class PpoResult:
    model_dir: str
    iterations_run: int
    stopped_early: bool
    stop_reason: Optional[str]
    final: dict
    seconds: float
    extra: dict = field(default_factory=dict)
    kind: str = "ppo"


@dataclass(frozen=True)
class EvaluateResult:
    n: int
    reward_model: dict
    oracle: Optional[dict]
    rates: Optional[dict]
    pairs_file: str
    mean_reward: dict
    seconds: float
    samples_per_prompt: int  # k: reward_model / oracle / rates compare per-prompt means over k samples
    single_draw: dict  # {reward_model, oracle, rates} from the first sample of each prompt alone
    extra: dict = field(default_factory=dict)
    kind: str = "evaluate"


RESULTS = {cls.kind: cls for cls in (TrainRewardResult, SftResult, RejectionSamplingResult, PpoResult,  # type: ignore[attr-defined]
                                     EvaluateResult)}

Result = TrainRewardResult | SftResult | RejectionSamplingResult | PpoResult | EvaluateResult


def as_result(kind: str, value: Any) -> Result:
    """A job function's return value as its kind's dataclass; TypeError when a field is missing."""
    cls = RESULTS[kind]
    if isinstance(value, cls):
        return value
    names = {f.name for f in fields(cls)} - {"extra", "kind"}
    missing = names - set(value)
    if missing:
        raise TypeError(f"the {kind} result lacks {', '.join(sorted(missing))}")
    known = {k: v for k, v in value.items() if k in names}
    extra = {k: v for k, v in value.items() if k not in names and k != "kind"}
    return cls(**known, extra=extra)


def to_json(result: Result) -> dict:
    """The result as sent and written to result.json: its fields, its extras, and `kind`."""
    out = asdict(result)
    extra = out.pop("extra")
    return {**out, **extra}
