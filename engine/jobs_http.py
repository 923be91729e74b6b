"""HTTP routes of the jobs API and the combined reward, registered by server.py's dispatcher.

  POST /v1/jobs                  {id, kind, spec} -> 202 snapshot (200 if the id is known)
  GET  /v1/jobs/{id}             -> snapshot, or 404 job_not_found
  GET  /v1/jobs/{id}/events      -> text/event-stream of snapshots, a heartbeat comment every
                                    HEARTBEAT_S, closed after a terminal snapshot
  POST /v1/jobs/{id}/cancel      -> snapshot
  POST /v1/jobs/plan             {kind, spec} -> the memory plan (peak, fits, what to change)
  POST /v1/rewards/combined      -> R_c for each input from a helpfulness and a safety model
"""

from __future__ import annotations

import json
import re
from typing import Callable

from .jobs import ID_RE, job_manager
from .protocol import _bad, parse_rewards
from .reward import score as rscore
from .reward.spec import confined_to
from .tokenizer import Message

HEARTBEAT_S = 5.0
_JOB_PATH = re.compile(r"/v1/jobs/([^/]+)(/events|/cancel)?")


def routes_for(handler, path: str) -> dict[str, dict[str, Callable[[], None]]]:
    """The extra routes matching `path` (empty when none does)."""
    if path == "/v1/jobs":
        return {path: {"POST": lambda: create(handler)}}
    if path == "/v1/jobs/plan":  # engine/memory_plan.py: the peak memory a job would need
        return {path: {"POST": lambda: plan(handler)}}
    if path == "/v1/rewards/combined":
        return {path: {"POST": lambda: combined(handler)}}
    m = _JOB_PATH.fullmatch(path)
    if not m or not ID_RE.fullmatch(m.group(1)):
        return {}
    job_id, tail = m.group(1), m.group(2)
    if tail == "/events":
        return {path: {"GET": lambda: events(handler, job_id)}}
    if tail == "/cancel":
        return {path: {"POST": lambda: cancel(handler, job_id)}}
    return {path: {"GET": lambda: handler._send_json(200, job_manager(handler.server.runtime).snapshot(job_id))}}


def confined(runtime):
    """Every path of a spec parsed in this block must lie under the engine's data folder (resolved,
    symlinks included), as for chat completions and rewards; a model may also be the one the engine
    was started with (the bundled model is outside the data folder). 400 otherwise, saying nothing
    of whether the path exists."""
    models = tuple(p for p in (getattr(getattr(runtime, "policy", None), "path", None),
                               getattr(getattr(runtime, "reward", None), "path", None),
                               getattr(runtime.settings, "model_path", None),
                               getattr(runtime.settings, "reward_model_path", None)) if isinstance(p, str) and p)
    return confined_to(runtime.settings.data_dir, models)


def create(handler) -> None:
    body = handler._read_json()
    with confined(handler.server.runtime):
        created, snap = job_manager(handler.server.runtime).submit(body)
    handler._send_json(202 if created else 200, snap)


def plan(handler) -> None:
    from .memory_plan import plan_request

    body = handler._read_json()
    with confined(handler.server.runtime):
        handler._send_json(200, plan_request(body, handler.server.runtime.device))


def cancel(handler, job_id: str) -> None:
    length = handler.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > 0:
        handler._read_json()  # a body is optional and ignored; read it to keep the connection usable
    handler._send_json(200, job_manager(handler.server.runtime).cancel(job_id))


def events(handler, job_id: str) -> None:
    manager = job_manager(handler.server.runtime)
    job = manager.get(job_id)  # 404 before the stream starts
    handler.close_connection = True
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Cache-Control", "no-cache")
    handler.send_header("Connection", "close")
    handler.end_headers()
    version = -1
    while True:
        snap, now, terminal = manager.wait(job, version, HEARTBEAT_S)
        if now != version:
            handler.wfile.write(f"data: {json.dumps(snap)}\n\n".encode())
            version = now
        else:
            handler.wfile.write(b": heartbeat\n\n")
        handler.wfile.flush()
        if terminal and now == version:
            return


def combined(handler) -> None:
    """{"helpfulness_model", "safety_model", "inputs": [{messages, response}], "is_safety": [bool]}."""
    body = handler._read_json()
    if not isinstance(body, dict):
        raise _bad(None, "request body must be a JSON object")
    names = {}
    for field in ("helpfulness_model", "safety_model"):
        if not isinstance(body.get(field), str) or not body[field]:
            raise _bad(field, f"'{field}' must be a model id or a model directory under the data directory")
        names[field] = body[field]
    req = parse_rewards({"model": names["helpfulness_model"], "inputs": body.get("inputs")})
    flags = body.get("is_safety")
    if not isinstance(flags, list) or len(flags) != len(req.inputs) or not all(isinstance(f, bool) for f in flags):
        raise _bad("is_safety", "'is_safety' must be a list of booleans, one per input")
    rt = handler.server.runtime
    lru = rscore.reward_models(rt)
    helpful = lru.resolve(names["helpfulness_model"], "helpfulness_model")
    safety = lru.resolve(names["safety_model"], "safety_model")
    raw = {}
    for key, loaded in (("helpfulness", helpful), ("safety", safety)):
        tok = loaded.tokenizer
        seqs = [tok.encode_dialog(msgs + [Message("assistant", resp)]) for msgs, resp in req.inputs]
        rscore.check_lengths(loaded, seqs)
        raw[key] = rscore.score(rt, loaded, seqs)
    data = []
    for i, flag in enumerate(flags):
        rc, source = rscore.combined_reward(raw["helpfulness"][i], raw["safety"][i], flag)
        data.append({"index": i, "reward": rc, "source": source, "helpfulness": raw["helpfulness"][i],
                     "safety": raw["safety"][i]})
    handler._send_json(200, {"object": "list", "helpfulness_model": helpful.id, "safety_model": safety.id,
                             "data": data})
