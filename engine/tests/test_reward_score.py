"""Scoring with trained reward models by directory, the combined reward R_c, and clamp_max_tokens."""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import replace

import pytest

from engine.reward.score import SAFETY_THRESHOLD, MAX_LOADED, combined_reward, reward_models, sigmoid

from .http_util import LiveServer

MSGS = [{"role": "user", "content": "What is 12 plus 7?"}]
INPUTS = [{"messages": MSGS, "response": "12 + 7 = 19."}, {"messages": MSGS, "response": "I cannot help."}]


def test_combined_reward_follows_the_paper():
    # A safety prompt always takes the safety model's score.
    assert combined_reward(5.0, 2.0, True) == (pytest.approx(sigmoid(2.0)), "safety")
    # Otherwise the helpfulness score, unless the safety score is below 0.15.
    assert combined_reward(5.0, 2.0, False) == (pytest.approx(sigmoid(5.0)), "helpfulness")
    unsafe = math.log(0.1 / 0.9)  # σ = 0.1 < 0.15
    assert combined_reward(5.0, unsafe, False) == (pytest.approx(0.1), "safety")
    edge = math.log(SAFETY_THRESHOLD / (1 - SAFETY_THRESHOLD)) + 1e-9  # just above the threshold
    assert combined_reward(0.0, edge, False) == (pytest.approx(0.5), "helpfulness")
    assert sigmoid(-800.0) == 0.0 and sigmoid(800.0) == 1.0  # no overflow


@pytest.fixture(scope="module")
def live(model_dir, reward_dir, tmp_path_factory):
    server = LiveServer(model_dir, reward_dir)
    data = str(tmp_path_factory.mktemp("data"))
    server.runtime.settings = replace(server.runtime.settings, data_dir=data)
    for i in range(MAX_LOADED + 1):
        shutil.copytree(reward_dir, os.path.join(data, "jobs", f"rm{i}"))
    yield server
    server.close()


def test_rewards_by_directory_match_the_model_loaded_at_start(live):
    status, by_id = live.post("/v1/rewards", {"model": "reward-tiny", "inputs": INPUTS})
    assert status == 200
    status, by_dir = live.post("/v1/rewards", {"model": "jobs/rm0", "inputs": INPUTS})
    assert status == 200 and by_dir["model"] == "jobs/rm0"
    assert [d["reward"] for d in by_dir["data"]] == pytest.approx([d["reward"] for d in by_id["data"]])
    absolute = os.path.join(live.runtime.settings.data_dir, "jobs", "rm0")
    assert live.post("/v1/rewards", {"model": absolute, "inputs": INPUTS})[0] == 200


def test_loaded_directories_are_an_lru(live):
    for i in range(MAX_LOADED + 1):
        assert live.post("/v1/rewards", {"model": f"jobs/rm{i}", "inputs": INPUTS[:1]})[0] == 200
    loaded = list(reward_models(live.runtime).dirs.loaded)
    assert len(loaded) == MAX_LOADED and not any(p.endswith("rm0") for p in loaded)


@pytest.mark.parametrize("model, status, code", [
    ("jobs/missing", 404, "model_not_found"), ("../outside", 400, None), ("/etc", 400, None),
    ("other-id", 404, "model_not_found"),
])
def test_reward_model_errors(live, model, status, code):
    got, body = live.post("/v1/rewards", {"model": model, "inputs": INPUTS})
    assert got == status and body["error"]["param"] == "model" and body["error"]["code"] == code, body


def test_a_language_model_directory_is_not_a_reward_model(live, model_dir):
    shutil.copytree(model_dir, os.path.join(live.runtime.settings.data_dir, "policy"), dirs_exist_ok=True)
    status, body = live.post("/v1/rewards", {"model": "policy", "inputs": INPUTS})
    assert status == 404  # no slash: an id, and not the loaded one
    status, body = live.post("/v1/rewards", {"model": "./policy", "inputs": INPUTS})
    assert status == 400 and "language model" in body["error"]["message"]


def test_combined_route(live):
    body = {"helpfulness_model": "reward-tiny", "safety_model": "jobs/rm1", "inputs": INPUTS, "is_safety": [False, True]}
    status, resp = live.post("/v1/rewards/combined", body)
    assert status == 200, resp
    for item, flag in zip(resp["data"], body["is_safety"]):
        rc, source = combined_reward(item["helpfulness"], item["safety"], flag)
        assert item["reward"] == pytest.approx(rc) and item["source"] == source
    assert resp["data"][1]["source"] == "safety"
    for change, param in [({"is_safety": [True]}, "is_safety"), ({"is_safety": [1, 0]}, "is_safety"),
                          ({"safety_model": None}, "safety_model"), ({"inputs": []}, "inputs"),
                          ({"safety_model": "jobs/missing"}, "safety_model")]:
        status, resp = live.post("/v1/rewards/combined", {**body, **change})
        assert status in (400, 404) and resp["error"]["param"] == param, (change, resp)


def test_clamp_max_tokens_fits_the_context_instead_of_a_400(live):
    req = {"model": "random-tiny", "messages": MSGS, "max_tokens": 10_000, "temperature": 0}
    status, body = live.post("/v1/chat/completions", req)
    assert status == 400 and body["error"]["code"] == "context_length_exceeded"
    status, body = live.post("/v1/chat/completions", {**req, "clamp_max_tokens": True})
    assert status == 200 and body["usage"]["total_tokens"] <= live.runtime.policy.context_length
    status, body = live.post("/v1/completions", {"model": "random-tiny", "prompt": "Hello", "max_tokens": 10_000,
                                                 "temperature": 0, "clamp_max_tokens": True, "stream": True})
    assert status == 200 and body[-1] == "[DONE]"
    status, small = live.post("/v1/chat/completions", {**req, "max_tokens": 3, "clamp_max_tokens": True})
    assert status == 200 and small["usage"]["completion_tokens"] <= 3  # a fitting max_tokens is kept
    status, body = live.post("/v1/chat/completions", {**req, "clamp_max_tokens": "yes"})
    assert status == 400 and body["error"]["param"] == "clamp_max_tokens"
