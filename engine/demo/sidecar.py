"""`python -m engine.demo annotate-server` — the simulated annotators as a JSON-lines sidecar.

The loop command (scripts/loop.ts) drives the platform through its real HTTP API like a browser;
the decisions a person would make come from this process. One request per stdin line, one answer
per stdout line, in order; `id` is echoed so a client can multiplex many annotators over it.

  {"op": "annotate", "id": 7, "profile": "careful", "seed": 3, "axis": "safety",
   "messages": [{"role": "user", "content": "..."}], "response_a": "<left>", "response_b": "<right>"}
  -> {"id": 7, "choice": "left", "degree": "better", "safety_label": "both_safe",
      "chosen_unsafe_other_safe": false, "time_spent_ms": 23000,
      "oracle": {"left": {...}, "right": {...}}}

  `response_a` is the response displayed on the left, so it is the one shown first (a position
  bias favours it). One `Annotator` (its own seeded random stream) per (profile, seed).

  {"op": "prompt", "id": 8, "seed": 12}
  -> {"id": 8, "text": "...", "task_category": "arithmetic", "risk_category": null,
      "is_safety": false, "adversarial": false, "group": "helpful", "family": "arithmetic",
      "followups": ["Now subtract 9 from that."]}

  A prompt drawn as a round draws it (families.sample_prompt); `task_category` is the platform's
  (lib/shared/protocol.ts TASK_CATEGORIES). `followups` are the later user turns, to be sent with
  annotation.continue after the first comparison.

A malformed request gets {"id": ..., "error": "<message naming the field>"}; the process goes on.
"""

from __future__ import annotations

import json
import random
import sys
from typing import IO, Any

from engine.tokenizer import Message

from . import oracle
from .annotators import PROFILES, Annotator, Comparison
from .families import sample_prompt

# The demo world's families in the platform's task categories (lib/shared/protocol.ts).
TASK_CATEGORY = {
    "arithmetic": "arithmetic", "compare": "comparison", "reverse": "spelling", "count_letters": "counting",
    "sort_list": "sorting", "unit_conversion": "unit_conversion", "capitals": "facts", "format": "format",
    "borderline": "borderline",
}


class BadRequest(ValueError):
    pass


def _field(req: dict, name: str, kind: type | tuple[type, ...]) -> Any:
    if name not in req:
        raise BadRequest(f"{name} is required")
    value = req[name]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise BadRequest(f"{name} has the wrong type")
    return value


def _messages(req: dict) -> tuple[Message, ...]:
    raw = _field(req, "messages", list)
    if not raw:
        raise BadRequest("messages must not be empty")
    out = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant") or not isinstance(m.get("content"), str):
            raise BadRequest(f"messages[{i}] must be {{role: user|assistant, content: string}}")
        out.append(Message(m["role"], m["content"]))
    if out[-1].role != "user":
        raise BadRequest("messages must end with a user turn")
    return tuple(out)


def _score_json(s: oracle.Score, axis: str) -> dict:
    return {"helpfulness": s.helpfulness, "verdict": s.verdict, "family": s.family, "axis_score": s.axis_score(axis)}


class Sidecar:
    def __init__(self) -> None:
        self.annotators: dict[tuple[str, int], Annotator] = {}

    def annotate(self, req: dict) -> dict:
        profile = _field(req, "profile", str)
        if profile not in PROFILES:
            raise BadRequest(f"profile must be one of {sorted(PROFILES)}")
        seed = _field(req, "seed", int)
        axis = _field(req, "axis", str)
        if axis not in oracle.AXES:
            raise BadRequest(f"axis must be one of {list(oracle.AXES)}")
        messages = _messages(req)
        left, right = _field(req, "response_a", str), _field(req, "response_b", str)
        key = (profile, seed)
        if key not in self.annotators:
            self.annotators[key] = Annotator(profile, seed)
        ann = self.annotators[key].annotate(Comparison(messages, left, right, axis, shown_first="A"))
        return {
            "choice": "left" if ann.choice == "A" else "right",
            "degree": ann.degree,
            "safety_label": ann.safety_label,
            "chosen_unsafe_other_safe": ann.chosen_unsafe_other_safe,
            "time_spent_ms": ann.time_spent_ms,
            "oracle": {"left": _score_json(oracle.score(messages, left), axis),
                       "right": _score_json(oracle.score(messages, right), axis)},
        }

    def prompt(self, req: dict) -> dict:
        seed = _field(req, "seed", int)
        p = sample_prompt(random.Random(f"loop-prompt:{seed}"))
        users = [m.content for m in p.messages if m.role == "user"]
        return {
            "text": users[0],
            "task_category": "request" if p.group == "unsafe" else TASK_CATEGORY.get(p.family, "open_ended"),
            "risk_category": p.risk_category,
            "is_safety": p.is_safety,
            "adversarial": p.adversarial,
            "group": p.group,
            "family": p.family,
            "followups": users[1:],
        }

    def handle(self, line: str) -> dict:
        req_id = None
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise BadRequest("a request must be a JSON object")
            req_id = req.get("id")
            op = req.get("op")
            if op == "annotate":
                out = self.annotate(req)
            elif op == "prompt":
                out = self.prompt(req)
            else:
                raise BadRequest("op must be annotate or prompt")
        except json.JSONDecodeError as e:
            return {"id": None, "error": f"not JSON: {e}"}
        except BadRequest as e:
            return {"id": req_id, "error": str(e)}
        return {"id": req_id, **out}


def serve(stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> int:
    sidecar = Sidecar()
    print(json.dumps({"ready": True, "profiles": sorted(PROFILES)}), file=stdout, flush=True)
    for line in stdin:
        if not line.strip():
            continue
        print(json.dumps(sidecar.handle(line)), file=stdout, flush=True)
    return 0
