"""The jobs API: state machine, idempotent submission, cancel, events, errors, and a killed engine."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from dataclasses import replace

import pytest

from engine import jobs_http
from engine.jobs import STATES, TERMINAL

from .http_util import TOKEN, LiveServer
from .reward_fixtures import pair_files, read_status, spec, wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def live(model_dir, tmp_path_factory):
    server = LiveServer(model_dir)
    server.runtime.settings = replace(server.runtime.settings, data_dir=str(tmp_path_factory.getbasetemp()))
    yield server
    server.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return pair_files(str(tmp_path_factory.mktemp("pairs")), 48, 16)


@pytest.fixture(scope="module")
def long_files(tmp_path_factory):
    return pair_files(str(tmp_path_factory.mktemp("long")), 400, 8)


def job_body(job_id, model_dir, out, files, **overrides):
    return {"id": job_id, "kind": "train_reward", "spec": spec(model_dir, str(out), files, **overrides)}


def wait_state(live, job_id, states, timeout=60.0):
    def check():
        _, snap = live.request("GET", f"/v1/jobs/{job_id}")
        return snap if snap["state"] in states else None
    return wait_for(check, timeout)


SNAPSHOT_KEYS = {"id", "kind", "state", "progress", "phase", "eta_seconds", "metrics", "error", "result"}


def test_a_job_runs_to_success_and_a_repeated_post_is_idempotent(live, model_dir, files, tmp_path):
    body = job_body("rm-ok", model_dir, tmp_path / "out", files, epochs=2)
    status, snap = live.post("/v1/jobs", body)
    assert status == 202 and set(snap) == SNAPSHOT_KEYS and snap["state"] in ("queued", "running")
    status, again = live.post("/v1/jobs", {**body, "spec": {"anything": "else"}})
    assert status == 200 and again["id"] == "rm-ok"  # known id: its snapshot, the body is not re-validated
    done = wait_state(live, "rm-ok", TERMINAL)
    assert done["state"] == "succeeded", done["error"]
    assert done["progress"] == 1.0 and done["error"] is None
    r = done["result"]
    assert r["model_dir"] == str(tmp_path / "out") and r["train_pairs"] == 48 and r["steps"] == 12
    assert r["kind"] == "train_reward"  # engine/results.py: the result is tagged with its kind
    assert {"model_dir", "table8", "train_pairs", "steps", "seconds", "pairs_per_second", "tokens_per_second"} <= set(r)
    assert set(r["table8"]["helpfulness"]) == {"significantly_better", "better", "slightly_better",
                                               "negligibly_better", "average"}
    m = done["metrics"]
    assert m["step"] == 12 and len(m["loss_curve"]) == 12 and 0 <= m["accuracy"] <= 1 and m["lr"] > 0
    assert json.load(open(tmp_path / "out" / "result.json")) == r
    assert read_status(str(tmp_path / "out"))["state"] == "succeeded"
    # The trained model scores through /v1/rewards by its directory, no restart.
    # Scoring by directory is limited to the data directory.
    status, resp = live.post("/v1/rewards", {"model": "/nonexistent-outside/out", "inputs": [
        {"messages": [{"role": "user", "content": "What is 2 plus 2?"}], "response": "2 + 2 = 4."}]})
    assert status == 400 and resp["error"]["param"] == "model"
    status, snap = live.post("/v1/jobs/rm-ok/cancel", None)
    assert status == 200 and snap["state"] == "succeeded"  # cancelling a finished job changes nothing


def test_events_stream_snapshots_until_the_terminal_state(live, model_dir, files, tmp_path):
    live.post("/v1/jobs", job_body("rm-events", model_dir, tmp_path / "out", files))
    status, events = live.request("GET", "/v1/jobs/rm-events/events")
    assert status == 200 and events, events
    assert all(set(e) == SNAPSHOT_KEYS for e in events)
    assert events[-1]["state"] == "succeeded"
    assert [e["progress"] for e in events] == sorted(e["progress"] for e in events)
    assert sum(e["state"] in TERMINAL for e in events) == 1


def test_cancel_a_running_and_a_queued_job(live, model_dir, long_files, tmp_path):
    live.post("/v1/jobs", job_body("rm-long", model_dir, tmp_path / "a", long_files, epochs=50, batch_size=2))
    _, queued = live.post("/v1/jobs", job_body("rm-next", model_dir, tmp_path / "b", long_files, epochs=50))
    assert queued["state"] == "queued"  # one training job at a time
    wait_for(lambda: live.request("GET", "/v1/jobs/rm-long")[1]["metrics"].get("step"))
    status, snap = live.post("/v1/jobs/rm-next/cancel", {})
    assert status == 200 and snap["state"] == "cancelled"
    status, snap = live.post("/v1/jobs/rm-long/cancel", None)
    assert status == 200 and snap["state"] in ("running", "cancelled")
    done = wait_state(live, "rm-long", TERMINAL, timeout=30)
    assert done["state"] == "cancelled" and done["result"] is None
    assert read_status(str(tmp_path / "a"))["state"] == "cancelled"
    assert not os.path.exists(tmp_path / "a" / "result.json")
    assert live.request("GET", "/v1/jobs/rm-next")[1]["state"] == "cancelled"


def test_a_quiet_stream_sends_heartbeats_and_ends_when_the_job_does(live, model_dir, long_files, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(jobs_http, "HEARTBEAT_S", 0.05)
    live.post("/v1/jobs", job_body("rm-busy", model_dir, tmp_path / "a", long_files, epochs=50, batch_size=2))
    live.post("/v1/jobs", job_body("rm-waiting", model_dir, tmp_path / "b", long_files))
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
    conn.request("GET", "/v1/jobs/rm-waiting/events", headers={"Authorization": f"Bearer {TOKEN}"})
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Type") == "text/event-stream"
    first = json.loads(resp.readline().decode()[len("data: "):])
    assert first["state"] == "queued"
    resp.readline()
    beats = [resp.readline() for _ in range(4)]
    assert b": heartbeat\n" in beats  # nothing changes while it waits its turn
    live.post("/v1/jobs/rm-waiting/cancel", None)
    rest = resp.read().decode()  # the server closes the stream after the terminal snapshot
    conn.close()
    assert json.loads(rest.strip().split("data: ")[-1])["state"] == "cancelled"
    live.post("/v1/jobs/rm-busy/cancel", None)
    assert wait_state(live, "rm-busy", TERMINAL)["state"] == "cancelled"


def test_a_job_with_a_bad_dataset_fails_with_a_reason(live, model_dir, files, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt_id": "p", "context": [], "chosen": "a", "rejected": "b", "degree": "better", '
                   '"axis": "helpfulness"}\n')
    live.post("/v1/jobs", job_body("rm-bad", model_dir, tmp_path / "out", {**files, "train": str(bad)}))
    done = wait_state(live, "rm-bad", TERMINAL)
    assert done["state"] == "failed" and "train_file line 1" in done["error"] and "context" in done["error"]


def test_unknown_jobs_are_404(live):
    for method, path in (("GET", "/v1/jobs/nope"), ("GET", "/v1/jobs/nope/events"), ("POST", "/v1/jobs/nope/cancel")):
        status, body = live.request(method, path)
        assert status == 404 and body["error"]["code"] == "job_not_found", (path, body)
    status, body = live.request("GET", "/v1/jobs/bad%20id")  # not an id at all: no such route
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = live.request("GET", "/v1/jobs")
    assert status == 405


@pytest.mark.parametrize("change, param", [
    ({"id": ""}, "id"), ({"id": "x" * 65}, "id"), ({"id": "a/b"}, "id"), ({"kind": "dpo"}, "kind"),
    ({"spec": None}, "spec"), ({"spec.axis": "honesty"}, "spec.axis"), ({"spec.margins": [1, 2, 3]}, "spec.margins"),
    ({"spec.epochs": 0}, "spec.epochs"), ({"spec.epochs": 1.5}, "spec.epochs"),
    ({"spec.learning_rate": 0}, "spec.learning_rate"), ({"spec.batch_size": "8"}, "spec.batch_size"),
    ({"spec.seed": None}, "spec.seed"), ({"spec.grad_accum": 0}, "spec.grad_accum"),
    ({"spec.base_model": "/nonexistent"}, "spec.base_model"), ({"spec.train_file": "/nonexistent"}, "spec.train_file"),
    ({"spec.test_files": {"honesty": "x"}}, "spec.test_files"),
    ({"spec.test_files": {"safety": "/nonexistent"}}, "spec.test_files.safety"),
    ({"spec.max_seq_len": 4}, "spec.max_seq_len"), ({"spec.final_lr_ratio": 2}, "spec.final_lr_ratio"),
])
def test_invalid_submissions_name_the_field(live, model_dir, files, tmp_path, change, param):
    body = job_body("rm-invalid", model_dir, tmp_path / "out", files)
    for key, value in change.items():
        if key.startswith("spec."):
            body["spec"][key[5:]] = value
        else:
            body[key] = value
    status, resp = live.post("/v1/jobs", body)
    assert status == 400 and resp["error"]["param"] == param, resp
    assert live.request("GET", "/v1/jobs/rm-invalid")[0] == 404  # nothing was created


def test_states_are_the_documented_five():
    assert STATES == ("queued", "running", "succeeded", "failed", "cancelled")


# -- a killed engine --------------------------------------------------------------------------

def start_engine(model_dir, data_dir):
    env = {**os.environ, "ENGINE_TOKEN": TOKEN, "ENGINE_PORT": "0", "ENGINE_MODEL": model_dir,
           "ENGINE_DEVICE": "cpu", "PAIRWISE_DATA_DIR": data_dir, "PYTHONPATH": REPO}
    proc = subprocess.Popen([sys.executable, "-m", "engine", "serve"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    assert line.startswith("engine listening on http://"), line
    return proc, int(line.rsplit(":", 1)[1])


def call(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    resp = conn.getresponse()
    out = resp.status, json.loads(resp.read())
    conn.close()
    return out


def test_killing_the_engine_mid_training_leaves_a_running_status_and_a_fresh_engine_answers_404(
        model_dir, long_files, tmp_path):
    out = str(tmp_path / "job")
    # The data folder holds every file of the spec (job specs are confined to it).
    proc, port = start_engine(model_dir, str(tmp_path.parent))
    try:
        status, _ = call(port, "POST", "/v1/jobs", job_body("rm-killed", model_dir, out, long_files, epochs=50))
        assert status == 202
        wait_for(lambda: (read_status(out) or {}).get("metrics", {}).get("step", 0) >= 1, timeout=60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    last = read_status(out)
    assert last["state"] == "running" and last["phase"] == "training" and 0 < last["progress"] < 1
    assert not os.path.exists(os.path.join(out, "result.json"))
    proc, port = start_engine(model_dir, str(tmp_path))
    try:
        status, body = call(port, "GET", "/v1/jobs/rm-killed")
        assert status == 404 and body["error"]["code"] == "job_not_found"
    finally:
        proc.terminate()
        proc.wait()


# -- issue 18: every path of a job spec is confined to the data folder ---------------------------

@pytest.mark.parametrize("field, kind", [("output_dir", "dir"), ("train_file", "file"), ("base_model", "model")])
def test_spec_paths_outside_the_data_folder_are_refused_without_saying_whether_they_exist(
        live, model_dir, files, tmp_path_factory, field, kind):
    outside = tmp_path_factory.getbasetemp().parent  # the folder above the data folder
    for target in (str(outside / "pairwise-not-there" / "x"), "/etc", "/etc/passwd", "../../.."):
        body = job_body(f"rm-out-{field}", model_dir, str(tmp_path_factory.mktemp("o") / "out"), files)
        body["spec"][field] = target
        status, resp = live.post("/v1/jobs", body)
        assert status == 400, (field, target, resp)
        assert resp["error"]["param"] == f"spec.{field}"
        assert resp["error"]["message"] == f"'spec.{field}' must be a path under the engine's data folder"
    assert not (outside / "pairwise-not-there").exists()


def test_a_symlink_out_of_the_data_folder_is_refused(live, model_dir, files, tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    link = base / "escape-link"
    if not link.exists():
        os.symlink("/tmp", link)
    body = job_body("rm-link", model_dir, str(link / "pairwise-escape"), files)
    status, resp = live.post("/v1/jobs", body)
    assert status == 400 and resp["error"]["param"] == "spec.output_dir"
    assert not os.path.exists("/tmp/pairwise-escape")
    # The plan endpoint is confined too.
    status, resp = live.post("/v1/jobs/plan", {"kind": "train_reward", "spec": {"base_model": "/etc"}})
    assert status == 400 and resp["error"]["param"] == "spec.base_model"
