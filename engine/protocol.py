"""The HTTP contract's request validation: JSON in, typed requests out, or an ApiError naming the field.

docs/engine-protocol.md describes the contract; engine/protocol/fixtures/*.json are examples of
it that both this package's tests and the TypeScript client's tests check (lib/shared/engine-protocol.ts).
Unknown fields are ignored, as OpenAI-compatible servers do, so OpenAI clients work unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

from .sampling import SamplingParams
from .tokenizer import ChatFormatError, Message, fold_system

MAX_N = 16
MAX_STOP = 4
MAX_REWARD_INPUTS = 64
DEFAULT_MAX_TOKENS = 256


class ApiError(Exception):
    """An error the client caused (4xx) or a capability missing here (501)."""

    def __init__(self, status: int, message: str, param: Optional[str] = None,
                 type_: str = "invalid_request_error", code: Optional[str] = None):
        super().__init__(message)
        self.status, self.message, self.param, self.type, self.code = status, message, param, type_, code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def _bad(param: Optional[str], message: str, code: Optional[str] = None) -> ApiError:
    return ApiError(400, message, param, code=code)


def _number(body: dict, name: str, default: float, lo: float, hi: float, lo_open: bool = False) -> float:
    v = body.get(name)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _bad(name, f"'{name}' must be a number")
    if v < lo or v > hi or (lo_open and v == lo):
        raise _bad(name, f"'{name}' must be in {'(' if lo_open else '['}{lo}, {hi}], got {v}")
    return float(v)


def _int(body: dict, name: str, default: Optional[int], lo: int, hi: int) -> Optional[int]:
    v = body.get(name)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad(name, f"'{name}' must be an integer")
    if not lo <= v <= hi:
        raise _bad(name, f"'{name}' must be between {lo} and {hi}, got {v}")
    return v


def _bool(body: dict, name: str) -> bool:
    v = body.get(name, False)
    if v is None:
        return False
    if not isinstance(v, bool):
        raise _bad(name, f"'{name}' must be a boolean")
    return v


def _string(body: dict, name: str, required: bool = True) -> Optional[str]:
    v = body.get(name)
    if v is None:
        if required:
            raise _bad(name, f"'{name}' is required")
        return None
    if not isinstance(v, str):
        raise _bad(name, f"'{name}' must be a string")
    return v


def _stop(body: dict) -> tuple[str, ...]:
    v = body.get("stop")
    if v is None:
        return ()
    stops = [v] if isinstance(v, str) else v
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise _bad("stop", "'stop' must be a non-empty string or a list of non-empty strings")
    if len(stops) > MAX_STOP:
        raise _bad("stop", f"'stop' takes at most {MAX_STOP} strings")
    return tuple(stops)


def messages_from(value: Any, param: str = "messages", open_turn: bool = True) -> list[Message]:
    """Validate a message list; `open_turn` requires it to end with a user turn (a prompt)."""
    if not isinstance(value, list) or not value:
        raise _bad(param, f"'{param}' must be a non-empty list of messages")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise _bad(f"{param}[{i}]", f"'{param}[{i}]' must be an object with string 'role' and 'content'")
        if m["role"] not in ("system", "user", "assistant"):
            raise _bad(f"{param}[{i}].role", f"'{param}[{i}].role' must be system, user or assistant")
        out.append(Message(m["role"], m["content"]))
    try:
        turns = fold_system(out)
    except ChatFormatError as e:
        raise _bad(param, str(e)) from None
    if open_turn and turns[-1].role != "user":
        raise _bad(param, f"'{param}' must end with a user message")
    return out


@dataclass
class GenerationRequest:
    model: str
    params: SamplingParams
    n: int
    stream: bool
    max_tokens_given: bool
    messages: Optional[list[Message]] = None  # chat
    prompt: Optional[str] = None  # raw completion
    clamp_max_tokens: bool = False  # extension: cut max_tokens to the room left instead of a 400


def parse_generation(body: Any, chat: bool) -> GenerationRequest:
    if not isinstance(body, dict):
        raise _bad(None, "request body must be a JSON object")
    model = _string(body, "model")
    assert model is not None
    messages = prompt = None
    if chat:
        messages = messages_from(body.get("messages"))
    else:
        prompt = _string(body, "prompt")
        if not prompt:
            raise _bad("prompt", "'prompt' must be a non-empty string")
    max_tokens = _int(body, "max_tokens", None, 1, 1 << 20)
    logprobs = body.get("logprobs")
    if not chat and isinstance(logprobs, int) and not isinstance(logprobs, bool):
        if not 0 <= logprobs <= 5:  # legacy completions: an int (how many top tokens); 0 = sampled only
            raise _bad("logprobs", "'logprobs' must be a boolean or an integer between 0 and 5")
        logprobs = True
    else:
        logprobs = _bool(body, "logprobs")
    params = SamplingParams(
        temperature=_number(body, "temperature", 1.0, 0.0, 2.0),
        top_p=_number(body, "top_p", 1.0, 0.0, 1.0, lo_open=True),
        top_k=_int(body, "top_k", 0, 0, 1 << 20) or 0,
        repetition_penalty=_number(body, "repetition_penalty", 1.0, 0.0, 10.0, lo_open=True),
        max_tokens=max_tokens or DEFAULT_MAX_TOKENS,
        seed=_int(body, "seed", None, -(1 << 63), (1 << 63) - 1),
        stop=_stop(body),
        logprobs=bool(logprobs),
        ignore_eos=_bool(body, "ignore_eos"),  # extension (as vLLM's): benchmarks generate max_tokens
    )
    return GenerationRequest(model=model, params=params, n=_int(body, "n", 1, 1, MAX_N) or 1,
                             stream=_bool(body, "stream"), max_tokens_given=max_tokens is not None,
                             messages=messages, prompt=prompt, clamp_max_tokens=_bool(body, "clamp_max_tokens"))


@dataclass
class RewardRequest:
    model: str
    inputs: list[tuple[list[Message], str]]  # (dialogue ending with a user turn, response)


def parse_rewards(body: Any) -> RewardRequest:
    if not isinstance(body, dict):
        raise _bad(None, "request body must be a JSON object")
    model = _string(body, "model")
    assert model is not None
    items = body.get("inputs")
    if not isinstance(items, list) or not items:
        raise _bad("inputs", "'inputs' must be a non-empty list of {messages, response}")
    if len(items) > MAX_REWARD_INPUTS:
        raise _bad("inputs", f"'inputs' takes at most {MAX_REWARD_INPUTS} items")
    inputs = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise _bad(f"inputs[{i}]", f"'inputs[{i}]' must be an object")
        msgs = messages_from(item.get("messages"), f"inputs[{i}].messages")
        response = item.get("response")
        if not isinstance(response, str):
            raise _bad(f"inputs[{i}].response", f"'inputs[{i}].response' must be a string")
        inputs.append((msgs, response))
    return RewardRequest(model=model, inputs=inputs)
