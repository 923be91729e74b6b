"""The HTTP contract's fixtures (engine/protocol/fixtures) against the live service.

Each fixture holds a request and the response the service gave. The TypeScript side parses the
same files with its zod schemas (lib/engine/protocol.test.ts); here every request is replayed
and the live response must have the fixture's status and shape, so neither side can drift.
Run with ENGINE_UPDATE_FIXTURES=1 to rewrite the recorded responses after a deliberate change.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import shutil

import pytest

from .http_util import LiveServer

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "protocol", "fixtures")
UPDATE = os.environ.get("ENGINE_UPDATE_FIXTURES") == "1"
PATHS = sorted(glob.glob(os.path.join(FIXTURES, "*.json")))


@pytest.fixture(scope="module")
def live(model_dir, reward_dir, tmp_path_factory):
    server = LiveServer(model_dir, reward_dir)
    data_dir = str(tmp_path_factory.mktemp("data"))
    server.runtime.settings = dataclasses.replace(server.runtime.settings, data_dir=data_dir)
    # Job-spec paths must lie in the engine's data folder: the fixtures' files are copied there.
    fixtures = os.path.join(data_dir, "fixtures")
    shutil.copytree(FIXTURES, fixtures)
    server.placeholders = {"${MODEL_DIR}": model_dir, "${DATA_DIR}": data_dir, "${FIXTURES}": fixtures}
    yield server
    server.close()


def expand(value, placeholders):
    """Fixtures that need files (jobs) name them as ${MODEL_DIR}, ${DATA_DIR}, ${FIXTURES}."""
    if isinstance(value, str):
        for key, path in placeholders.items():
            value = value.replace(key, path)
        return value
    if isinstance(value, list):
        return [expand(v, placeholders) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, placeholders) for k, v in value.items()}
    return value


def shape_mismatch(live, recorded, where="$"):
    """First difference in JSON shape (keys, types, nesting) or None. A recorded null matches anything."""
    if recorded is None:
        return None
    if isinstance(recorded, dict):
        if not isinstance(live, dict):
            return f"{where}: expected an object"
        if set(live) != set(recorded):
            return f"{where}: keys {sorted(live)} != {sorted(recorded)}"
        for k in recorded:
            found = shape_mismatch(live[k], recorded[k], f"{where}.{k}")
            if found:
                return found
        return None
    if isinstance(recorded, list):
        if not isinstance(live, list):
            return f"{where}: expected an array"
        for i, item in enumerate(live):
            if recorded:
                found = shape_mismatch(item, recorded[min(i, len(recorded) - 1)], f"{where}[{i}]")
                if found:
                    return found
        return None
    kinds = {bool: "boolean", int: "number", float: "number", str: "string"}
    if live is None or kinds.get(type(live)) != kinds.get(type(recorded)):
        return f"{where}: {live!r} is not like {recorded!r}"
    return None


def stream_mismatch(live_events, recorded_events):
    if live_events[-1] != "[DONE]" or recorded_events[-1] != "[DONE]":
        return "a stream must end with [DONE]"
    for i, event in enumerate(live_events[:-1]):
        errors = [shape_mismatch(event, r) for r in recorded_events[:-1]]
        if all(errors):
            return f"event {i} matches no recorded event: {errors[0]}"
    return None


def test_fixtures_exist_for_every_route_and_error_class():
    names = {os.path.basename(p)[:-5] for p in PATHS}
    assert {"chat-completion", "chat-completion-stream", "completion", "models", "healthz", "rewards",
            "error-unauthorized", "error-invalid-param", "error-invalid-json", "error-unknown-model",
            "error-context-length", "error-no-reward-model"} <= names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: os.path.basename(p)[:-5])
def test_fixture_matches_the_live_service(live, path):
    fx = json.load(open(path))
    saved = live.runtime.reward
    if not fx["reward_model"]:
        live.runtime.reward = None
    try:
        for step in fx.get("setup", []):  # requests whose answers do not matter (e.g. train a model first)
            live.request(step["method"], step["path"], expand(step.get("request"), live.placeholders))
        raw = fx["raw_body"].encode() if "raw_body" in fx else None
        status, body = live.request(fx["method"], fx["path"], expand(fx.get("request"), live.placeholders), raw=raw,
                                    token=None if not fx["auth"] else "test-token")
    finally:
        live.runtime.reward = saved
    if UPDATE:
        fx["status"], fx["response"] = status, body
        with open(path, "w") as f:
            json.dump(fx, f, indent=2, ensure_ascii=False)
            f.write("\n")
        return
    assert status == fx["status"], body
    if fx.get("request", {}) and fx["request"].get("stream") and status == 200:
        assert stream_mismatch(body, fx["response"]) is None, stream_mismatch(body, fx["response"])
    else:
        assert shape_mismatch(body, fx["response"]) is None, shape_mismatch(body, fx["response"])
    if status >= 400:
        assert body["error"]["param"] == fx["response"]["error"]["param"]
        assert body["error"]["code"] == fx["response"]["error"]["code"]


def test_shape_check_catches_drift():
    recorded = {"a": 1, "b": [{"c": "x"}], "d": None}
    assert shape_mismatch({"a": 2.5, "b": [{"c": "y"}, {"c": "z"}], "d": {"any": 1}}, recorded) is None
    assert shape_mismatch({"a": "1", "b": [], "d": None}, recorded)
    assert shape_mismatch({"a": 1, "b": [{"c": "x", "extra": 1}], "d": None}, recorded)
    assert shape_mismatch({"a": 1, "b": [{"c": "x"}]}, recorded)
