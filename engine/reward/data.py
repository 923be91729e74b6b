"""Pairwise comparison data as the platform writes it, one JSON object per line:

  {"prompt_id": str, "context": [{"role": "user"|"assistant", "content": str}, ...] (ends with a user turn),
   "chosen": str, "rejected": str, "degree": one of DEGREES, "axis": "helpfulness"|"safety"}

Each side is rendered as the closed dialogue `context + [assistant: response]` in the Llama 2
chat format (engine/tokenizer.py) and cut from the left to fit the context: the response and
the latest turns are what the reward model must see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Sequence

from engine.tokenizer import ChatFormatError, Message, Tokenizer, fold_system

DEGREES = ("significantly_better", "better", "slightly_better", "negligibly_better")
AXES = ("helpfulness", "safety")


class DataError(ValueError):
    """A dataset line that does not follow the format: the job fails with this message."""


@dataclass(frozen=True)
class Pair:
    prompt_id: str
    context: tuple[Message, ...]
    chosen: str
    rejected: str
    degree: str
    axis: str


@dataclass(frozen=True)
class EncodedPair:
    chosen: list[int]
    rejected: list[int]
    degree: int  # index into DEGREES


def parse_pair(obj: object, where: str) -> Pair:
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a JSON object")
    for name in ("prompt_id", "chosen", "rejected"):
        if not isinstance(obj.get(name), str):
            raise DataError(f"{where}: '{name}' must be a string")
    if obj.get("degree") not in DEGREES:
        raise DataError(f"{where}: 'degree' must be one of {', '.join(DEGREES)}, got {obj.get('degree')!r}")
    if obj.get("axis") not in AXES:
        raise DataError(f"{where}: 'axis' must be helpfulness or safety, got {obj.get('axis')!r}")
    context = obj.get("context")
    if not isinstance(context, list) or not context:
        raise DataError(f"{where}: 'context' must be a non-empty list of messages")
    msgs = []
    for i, m in enumerate(context):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise DataError(f"{where}: context[{i}] must be an object with string 'role' and 'content'")
        msgs.append(Message(m["role"], m["content"]))
    try:
        turns = fold_system(msgs)
    except ChatFormatError as e:
        raise DataError(f"{where}: context: {e}") from None
    if turns[-1].role != "user":
        raise DataError(f"{where}: context must end with a user turn")
    return Pair(obj["prompt_id"], tuple(msgs), obj["chosen"], obj["rejected"], obj["degree"], obj["axis"])


def read_pairs(path: str, label: str = "dataset") -> list[Pair]:
    """All pairs of a JSONL file (blank lines skipped); DataError names the file and line."""
    pairs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{label} line {n}: not valid JSON ({e})") from None
            pairs.append(parse_pair(obj, f"{label} line {n}"))
    return pairs


def pair_to_json(p: Pair) -> dict:
    return {"prompt_id": p.prompt_id, "context": [{"role": m.role, "content": m.content} for m in p.context],
            "chosen": p.chosen, "rejected": p.rejected, "degree": p.degree, "axis": p.axis}


def write_pairs(path: str, pairs: Sequence[Pair]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(pair_to_json(p)) + "\n")


def encode_response(tokenizer: Tokenizer, context: Sequence[Message], response: str,
                    max_len: int) -> tuple[list[int], bool]:
    """The closed dialogue (ends with EOS), cut to its last `max_len` tokens; and whether it was cut."""
    tokens = tokenizer.encode_dialog(list(context) + [Message("assistant", response)])
    return (tokens[-max_len:], True) if len(tokens) > max_len else (tokens, False)


def encode_pairs(tokenizer: Tokenizer, pairs: Sequence[Pair], max_len: int) -> tuple[list[EncodedPair], int]:
    """-> encoded pairs and how many sequences were truncated."""
    out, truncated = [], 0
    for p in pairs:
        c, cut_c = encode_response(tokenizer, p.context, p.chosen, max_len)
        r, cut_r = encode_response(tokenizer, p.context, p.rejected, max_len)
        truncated += cut_c + cut_r
        out.append(EncodedPair(c, r, DEGREES.index(p.degree)))
    return out, truncated


def margin_of(margins: Optional[Sequence[float]], degree: int) -> float:
    return float(margins[degree]) if margins else 0.0
