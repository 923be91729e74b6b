"""The HTTP service: every route, every error case, streaming, concurrency, and the CLI's start-up."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from engine import runtime
from engine.tokenizer import Message

from .http_util import TOKEN, LiveServer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HI = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def live(model_dir, reward_dir):
    server = LiveServer(model_dir, reward_dir)
    yield server
    server.close()


def chat(**kw):
    return {"model": "random-tiny", "messages": HI, "max_tokens": 4, **kw}


def assert_error(resp, status, param=None, code=None):
    got_status, body = resp
    assert got_status == status, body
    err = body["error"]
    assert isinstance(err["message"], str) and err["message"]
    assert err["type"] in ("invalid_request_error", "authentication_error", "not_implemented_error")
    if param is not None:
        assert err["param"] == param, err
    if code is not None:
        assert err["code"] == code, err


# -- auth and routing -----------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x", ""])
def test_requests_without_the_token_get_401(live, token):
    assert_error(live.request("GET", "/healthz", token=token), 401, code="invalid_token")
    assert_error(live.post("/v1/chat/completions", chat(), token=token), 401)


def test_unknown_route_and_wrong_method(live):
    assert_error(live.request("GET", "/v2/nothing"), 404, code="not_found")
    assert_error(live.request("GET", "/v1/chat/completions"), 405, code="method_not_allowed")
    assert_error(live.request("DELETE", "/v1/models"), 405)
    assert_error(live.request("PATCH", "/healthz"), 405)


def test_healthz_reports_device_dtype_models_memory_and_random_init(live):
    status, body = live.request("GET", "/healthz")
    assert status == 200
    assert body["status"] == "ok" and body["device"] == "cpu" and body["dtype"] == "float32"
    assert body["random_init"] is True and body["memory"]["rss_max_bytes"] > 0
    assert [m["id"] for m in body["models"]] == ["random-tiny", "reward-tiny"]
    assert body["threads"] == (os.cpu_count() or 1)


def test_models_lists_policy_and_reward(live):
    status, body = live.request("GET", "/v1/models")
    assert status == 200 and body["object"] == "list"
    assert [(m["id"], m["kind"]) for m in body["data"]] == [("random-tiny", "policy"), ("reward-tiny", "reward")]


# -- generation -------------------------------------------------------------------------------

def test_chat_completion_with_n_seed_logprobs_and_usage(live):
    req = chat(n=3, seed=7, temperature=0.9, top_p=0.95, top_k=50, repetition_penalty=1.1, logprobs=True, max_tokens=6)
    status, body = live.post("/v1/chat/completions", req)
    assert status == 200 and body["object"] == "chat.completion" and body["model"] == "random-tiny"
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    for c in body["choices"]:
        assert c["message"]["role"] == "assistant" and c["finish_reason"] in ("stop", "length")
        assert all(lp["logprob"] <= 0 for lp in c["logprobs"]["content"])
    usage = body["usage"]
    assert usage["prompt_tokens"] == len(live.runtime.policy.tokenizer.encode_dialog([Message("user", "hi")]))
    assert usage["completion_tokens"] == sum(len(c["logprobs"]["content"]) for c in body["choices"])
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    again = live.post("/v1/chat/completions", req)[1]
    assert [c["message"] for c in again["choices"]] == [c["message"] for c in body["choices"]]  # seeded


def test_stream_reassembles_to_the_non_streamed_answer(live):
    req = chat(n=2, seed=11, max_tokens=8, temperature=1.0)
    plain = live.post("/v1/chat/completions", req)[1]
    status, events = live.post("/v1/chat/completions", {**req, "stream": True})
    assert status == 200 and events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(e["object"] == "chat.completion.chunk" and e["id"] == chunks[0]["id"] for e in chunks)
    texts, finish = ["", ""], [None, None]
    for e in chunks:
        for c in e["choices"]:
            texts[c["index"]] += c["delta"].get("content", "")
            finish[c["index"]] = c["finish_reason"] or finish[c["index"]]
    assert texts == [c["message"]["content"] for c in plain["choices"]]
    assert finish == [c["finish_reason"] for c in plain["choices"]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == plain["usage"]


def test_streamed_logprobs_match_the_non_streamed_ones(live):
    req = chat(n=2, seed=21, max_tokens=7, logprobs=True)
    plain = live.post("/v1/chat/completions", req)[1]
    events = live.post("/v1/chat/completions", {**req, "stream": True})[1][:-1]
    streamed: list[list] = [[], []]
    for e in events:
        for c in e["choices"]:
            streamed[c["index"]] += (c["logprobs"] or {"content": []})["content"]
    assert streamed == [c["logprobs"]["content"] for c in plain["choices"]]


def test_raw_completion_with_stop_and_streaming(live):
    status, body = live.post("/v1/completions", {"model": "random-tiny", "prompt": "the quick", "max_tokens": 5,
                                                 "temperature": 0, "logprobs": 1, "stop": ["zzz"]})
    assert status == 200 and body["object"] == "text_completion"
    choice = body["choices"][0]
    assert len(choice["logprobs"]["token_ids"]) == body["usage"]["completion_tokens"]
    status, events = live.post("/v1/completions", {"model": "random-tiny", "prompt": "the quick", "max_tokens": 5,
                                                   "temperature": 0, "stream": True})
    assert status == 200 and events[-1] == "[DONE]"
    assert "".join(c["text"] for e in events[:-1] for c in e["choices"]) == choice["text"]


def test_default_max_tokens_fits_the_context(live):
    tok = live.runtime.policy.tokenizer
    words = 1
    while len(tok.encode("sun " * (words + 1), bos=True)) < 100:
        words += 1
    status, body = live.post("/v1/completions", {"model": "random-tiny", "prompt": "sun " * words, "seed": 1,
                                                 "repetition_penalty": 2.0})  # keeps it off EOS, mostly
    assert status == 200 and body["usage"]["prompt_tokens"] >= 90
    assert body["usage"]["total_tokens"] <= 128


# -- errors -----------------------------------------------------------------------------------

def test_invalid_json_and_non_object_bodies(live):
    assert_error(live.request("POST", "/v1/chat/completions", raw=b"{not json"), 400)
    assert_error(live.request("POST", "/v1/chat/completions", raw=b"\xff\xfe"), 400)
    assert_error(live.post("/v1/chat/completions", [1, 2]), 400)
    assert_error(live.post("/v1/rewards", "text"), 400)


def test_missing_content_length_and_oversized_body(live):
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    conn.putrequest("POST", "/v1/chat/completions")
    conn.putheader("Authorization", f"Bearer {TOKEN}")
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 411 and json.loads(resp.read())["error"]["message"]
    conn.close()
    assert_error(live.request("POST", "/v1/chat/completions", raw=b"{}",
                              headers={"Content-Length": str(10 ** 9)}), 413)


@pytest.mark.parametrize("field,value", [
    ("model", None), ("model", 3), ("messages", None), ("messages", []), ("messages", "hi"),
    ("messages", [{"role": "user"}]), ("messages", [{"role": "robot", "content": "x"}]),
    ("messages", [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]),
    ("messages", [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]),
    ("temperature", "hot"), ("temperature", -0.1), ("temperature", 2.5), ("top_p", 0), ("top_p", 1.1),
    ("top_k", -1), ("top_k", 1.5), ("repetition_penalty", 0), ("max_tokens", 0), ("max_tokens", "8"),
    ("n", 0), ("n", 17), ("n", True), ("n", 2.0), ("seed", "x"), ("stop", 5), ("stop", ["a", ""]),
    ("stop", ["a", "b", "c", "d", "e"]), ("stream", "yes"), ("logprobs", "yes"),
])
def test_each_bad_field_gets_400_naming_it(live, field, value):
    body = chat(**{field: value})
    if value is None:
        del body[field]
    status, err = live.post("/v1/chat/completions", body)
    assert status == 400, err
    assert err["error"]["param"].split("[")[0] == field and err["error"]["type"] == "invalid_request_error"


def test_bad_completion_fields(live):
    assert_error(live.post("/v1/completions", {"model": "random-tiny", "prompt": ""}), 400, "prompt")
    assert_error(live.post("/v1/completions", {"model": "random-tiny", "prompt": ["a"]}), 400, "prompt")
    assert_error(live.post("/v1/completions", {"model": "random-tiny", "prompt": "a", "logprobs": 9}), 400, "logprobs")


def test_unknown_model_gets_404(live):
    assert_error(live.post("/v1/chat/completions", chat(model="gpt-4")), 404, "model", "model_not_found")
    _, body = live.post("/v1/chat/completions", chat(model="reward-tiny"))
    assert "/v1/rewards" in body["error"]["message"]


def test_prompt_longer_than_the_context_and_max_tokens_past_it(live):
    long = [{"role": "user", "content": "moon " * 200}]
    assert_error(live.post("/v1/chat/completions", chat(messages=long)), 400, "messages", "context_length_exceeded")
    assert_error(live.post("/v1/completions", {"model": "random-tiny", "prompt": "x " * 300}), 400, "prompt",
                 "context_length_exceeded")
    assert_error(live.post("/v1/chat/completions", chat(max_tokens=120)), 400, "max_tokens", "context_length_exceeded")


# -- rewards ----------------------------------------------------------------------------------

def test_rewards_scores_each_pair_with_the_scalar_head(live):
    inputs = [{"messages": HI, "response": "hello"}, {"messages": HI, "response": "go away"},
              {"messages": [{"role": "system", "content": "s"}] + HI, "response": "hello"}]
    status, body = live.post("/v1/rewards", {"model": "reward-tiny", "inputs": inputs})
    assert status == 200 and [d["index"] for d in body["data"]] == [0, 1, 2]
    rewards = [d["reward"] for d in body["data"]]
    assert len(set(rewards)) == 3  # response and system prompt both change the score
    alone = live.post("/v1/rewards", {"model": "reward-tiny", "inputs": inputs[1:2]})[1]["data"][0]["reward"]
    assert alone == pytest.approx(rewards[1], abs=1e-5)  # padding in a batch does not change a score


@pytest.mark.parametrize("body,param", [
    ({"inputs": [{"messages": HI, "response": "x"}]}, "model"),
    ({"model": "reward-tiny"}, "inputs"), ({"model": "reward-tiny", "inputs": []}, "inputs"),
    ({"model": "reward-tiny", "inputs": [{"messages": HI}]}, "inputs[0].response"),
    ({"model": "reward-tiny", "inputs": [{"messages": HI, "response": 3}]}, "inputs[0].response"),
    ({"model": "reward-tiny", "inputs": [{"messages": [], "response": "x"}]}, "inputs[0].messages"),
    ({"model": "reward-tiny", "inputs": ["x"]}, "inputs[0]"),
    ({"model": "reward-tiny", "inputs": [{"messages": HI, "response": "x"}] * 65}, "inputs"),
])
def test_rewards_validation(live, body, param):
    assert_error(live.post("/v1/rewards", body), 400, param)


def test_rewards_unknown_model_and_no_reward_model_loaded(live):
    ok = {"model": "reward-tiny", "inputs": [{"messages": HI, "response": "x"}]}
    assert_error(live.post("/v1/rewards", {**ok, "model": "other"}), 404, "model", "model_not_found")
    saved, live.runtime.reward = live.runtime.reward, None
    try:
        assert_error(live.post("/v1/rewards", ok), 501, code="reward_model_not_loaded")
        assert_error(live.post("/v1/rewards", {"model": "reward-tiny"}), 400, "inputs")  # validated first
    finally:
        live.runtime.reward = saved


# -- robustness -------------------------------------------------------------------------------

def test_concurrent_requests_are_queued_safely(live):
    req = chat(seed=5, max_tokens=6, n=2)
    expected = live.post("/v1/chat/completions", req)[1]["choices"]
    results: list = [None] * 8

    def worker(i):
        results[i] = live.post("/v1/chat/completions", req) if i % 2 == 0 else live.post("/v1/chat/completions", {**req, "stream": True})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for i, (status, body) in enumerate(results):
        assert status == 200
        if i % 2 == 0:
            assert [c["message"]["content"] for c in body["choices"]] == [c["message"]["content"] for c in expected]


def test_client_disconnecting_mid_stream_does_not_hurt_the_server(live):
    with socket.create_connection(("127.0.0.1", live.port)) as s:
        body = json.dumps(chat(stream=True, max_tokens=100)).encode()
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode()
                  + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        assert s.recv(64).startswith(b"HTTP/1.1 200")
    time.sleep(0.2)
    assert live.post("/v1/chat/completions", chat())[0] == 200


def test_a_bug_becomes_a_500_and_the_server_lives_on(live, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("kaboom")
    monkeypatch.setattr(live.runtime.scheduler, "_prefill_chunks", boom)  # fails inside the scheduler thread
    status, body = live.post("/v1/chat/completions", chat())
    assert status == 500 and body["error"]["type"] == "server_error" and "kaboom" in body["error"]["message"]
    monkeypatch.undo()
    assert live.post("/v1/chat/completions", chat())[0] == 200


def test_keep_alive_connection_serves_several_requests(live):
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    for _ in range(3):
        conn.request("GET", "/v1/models", headers={"Authorization": f"Bearer {TOKEN}"})
        assert conn.getresponse().read() and True
    conn.close()


# -- the CLI ------------------------------------------------------------------------------------

def _serve(env_overrides: dict) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENGINE_", "PAIRWISE_"))}
    env.update(env_overrides)
    return subprocess.Popen([sys.executable, "-m", "engine", "serve"], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("env,message", [
    ({}, "ENGINE_TOKEN"),
    ({"ENGINE_TOKEN": "t", "ENGINE_PORT": "http"}, "ENGINE_PORT"),
    ({"ENGINE_TOKEN": "t", "ENGINE_PORT": "70000"}, "ENGINE_PORT"),
    ({"ENGINE_TOKEN": "t", "ENGINE_DEVICE": "tpu"}, "ENGINE_DEVICE"),
    ({"ENGINE_TOKEN": "t", "ENGINE_MODEL": "/nonexistent/model"}, "ENGINE_MODEL"),
    ({"ENGINE_TOKEN": "t", "ENGINE_DECODE": "turbo"}, "ENGINE_DECODE"),
])
def test_cli_exits_nonzero_with_a_clear_message_on_bad_env(env, message):
    proc = _serve(env)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 2 and message in err and "listening" not in out


def test_cli_serves_the_default_model_and_stops_on_sigterm(tmp_path):
    """No ENGINE_MODEL: the bundled demo model if it is there, else a random-init model."""
    bundled = os.path.isfile(os.path.join(runtime.BUNDLED_MODEL, "config.json"))
    proc = _serve({"ENGINE_TOKEN": "s3cret", "ENGINE_PORT": "0", "PAIRWISE_DATA_DIR": str(tmp_path)})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("engine listening on http://127.0.0.1:"), (line, proc.stderr.read() if proc.poll() is not None else "")
        port = int(line.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/healthz", headers={"Authorization": "Bearer s3cret"})
        health = json.loads(conn.getresponse().read())
        expected = "pairwise-tiny-chat" if bundled else "random-tiny"
        assert health["models"][0]["id"] == expected and health["random_init"] is (not bundled)
        assert os.path.isdir(tmp_path / "models" / "random-tiny") is (not bundled)
    finally:
        proc.terminate()
        proc.wait(30)
    assert proc.returncode == 0  # SIGTERM shuts down cleanly


def test_random_init_model_is_created_once_when_nothing_is_configured(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "BUNDLED_MODEL", str(tmp_path / "no-bundled-model"))
    settings = runtime.Settings.from_env({"ENGINE_TOKEN": "t", "PAIRWISE_DATA_DIR": str(tmp_path), "ENGINE_DEVICE": "cpu"})
    assert settings.model_path is None
    rt = runtime.Runtime(settings)
    health = rt.health()
    assert health["random_init"] is True and health["models"][0]["id"] == "random-tiny"
    path = tmp_path / "models" / "random-tiny"
    assert {"config.json", "model.safetensors", "tokenizer.model"} <= set(os.listdir(path))
    stamp = os.path.getmtime(path / "model.safetensors")
    assert runtime.ensure_random_model(str(tmp_path)) == str(path) and os.path.getmtime(path / "model.safetensors") == stamp


def test_cli_reports_an_unloadable_model_instead_of_a_traceback(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 32}))
    proc = _serve({"ENGINE_TOKEN": "t", "ENGINE_MODEL": str(tmp_path)})
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 2 and "cannot load the model" in err and "Traceback" not in err
