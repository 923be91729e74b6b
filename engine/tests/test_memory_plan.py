"""The memory plan (engine/memory_plan.py): refuses what cannot fit with what to change, accepts
what can, guards job submission (400 insufficient_memory) and /v1/jobs/plan; an out-of-memory
error mid-job fails that job with its reason and the engine keeps running jobs."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from engine import memory_plan
from engine.config import named_config
from engine.jobs import JobManager
from engine.memory_plan import GB, plan, plan_request
from engine.protocol import ApiError

from .http_util import LiveServer
from .reward_fixtures import pair_files, spec, wait_for

SEVEN_B = named_config("7B")


def test_full_fine_tuning_of_7b_is_refused_on_an_80gb_card_with_what_to_change():
    p = plan(SEVEN_B, "train_reward", "full", batch=16, seq_len=1024, device="cuda", free_bytes=79 * GB,
             fused_attention=True)
    assert not p.fits
    assert p.peak_bytes > 16 * SEVEN_B.num_parameters(scalar_head=True)  # ≥ 16 bytes a parameter
    assert p.message.startswith("needs ~") and "the device has 79 GB free" in p.message
    assert "use method lora" in p.message


def test_lora_with_checkpointing_fits_and_a_smaller_batch_is_suggested_when_it_does_not():
    ok = plan(SEVEN_B, "train_reward", "lora", batch=16, seq_len=1024, device="cuda", free_bytes=79 * GB,
              gradient_checkpointing=True, fused_attention=True)
    assert ok.fits and ok.peak_bytes < 40 * GB and ok.suggestions == []
    tight = plan(SEVEN_B, "train_reward", "lora", batch=16, seq_len=1024, device="cuda", free_bytes=40 * GB,
                 fused_attention=True)
    assert not tight.fits
    assert "turn on gradient checkpointing" in tight.message and "batch_size " in tight.message


def test_ppo_on_one_shared_base_fits_80gb_and_without_sharing_it_does_not():
    kw = dict(batch=8, seq_len=512, device="cuda", free_bytes=79 * GB, gradient_checkpointing=True,
              rollout_batch=32, fused_attention=True)
    shared = plan(SEVEN_B, "ppo", "lora", shared_base=True, **kw)
    separate = plan(SEVEN_B, "ppo", "lora", shared_base=False, **kw)
    assert shared.fits and shared.components["reference"] == 0
    assert not separate.fits and separate.peak_bytes > shared.peak_bytes + 3 * 12 * GB
    assert "shared base" in separate.message
    assert not plan(SEVEN_B, "ppo", "full", **kw).fits


def test_the_bundled_size_fits_on_cpu():
    tiny = named_config("tiny")
    for kind in memory_plan.KINDS:
        assert plan(tiny, kind, "full", batch=16, seq_len=256, device="cpu", free_bytes=2 * GB).fits


@pytest.fixture()
def big_model_dir(tmp_path, tokenizer_path):
    """A 7B-shaped model folder (config and tokenizer only: the plan refuses before any load)."""
    path = tmp_path / "llama-7b"
    path.mkdir()
    (path / "config.json").write_text(json.dumps(SEVEN_B.to_hf_config()))
    shutil.copyfile(tokenizer_path, path / "tokenizer.model")
    return str(path)


def test_submit_refuses_a_job_that_cannot_fit(tmp_path, big_model_dir, monkeypatch):
    monkeypatch.setenv("ENGINE_DEVICE_MEMORY_GB", "24")
    files = pair_files(str(tmp_path / "data"), 4, 2)
    manager = JobManager(torch.device("cpu"))
    body = {"id": "rm-7b", "kind": "train_reward",
            "spec": spec(big_model_dir, str(tmp_path / "out"), files, method="full")}
    with pytest.raises(ApiError) as e:
        manager.submit(body)
    assert e.value.status == 400 and e.value.code == "insufficient_memory"
    assert "needs ~" in str(e.value) and "24 GB free" in str(e.value)
    assert "rm-7b" not in manager.jobs
    # The same question without data files, as the launch form asks it:
    p = plan_request({"kind": "train_reward", "spec": {"base_model": big_model_dir, "batch_size": 8}}, "cpu")
    assert p["method"] == "lora" and p["peak_gb"] > 24 and not p["fits"]  # 7B defaults to lora


def test_a_forced_out_of_memory_fails_that_job_and_the_next_job_runs(tmp_path, model_dir, monkeypatch):
    import engine.reward.train as train

    files = pair_files(str(tmp_path / "data"), 16, 4)
    real = train.reward_loss
    calls = {"n": 0}

    def exhausted(*a, **k):  # a fake allocator: the third micro-batch finds no memory
        calls["n"] += 1
        if calls["n"] == 3:
            raise MemoryError("fake allocator: cannot allocate 4.0 GiB")
        return real(*a, **k)

    monkeypatch.setattr(train, "reward_loss", exhausted)
    manager = JobManager(torch.device("cpu"))
    manager.submit({"id": "oom", "kind": "train_reward",
                    "spec": spec(model_dir, str(tmp_path / "a"), files, batch_size=2)})
    job = wait_for(lambda: manager.jobs["oom"] if manager.jobs["oom"].terminal else None)
    assert job.state == "failed" and job.error.startswith("out of memory during training")
    assert "use method lora" in job.error
    manager.submit({"id": "after", "kind": "train_reward",
                    "spec": spec(model_dir, str(tmp_path / "b"), files, batch_size=8)})
    job = wait_for(lambda: manager.jobs["after"] if manager.jobs["after"].terminal else None)
    assert job.state == "succeeded", job.error


def test_the_plan_endpoint(model_dir):
    server = LiveServer(model_dir)
    try:
        status, body = server.post("/v1/jobs/plan", {"kind": "ppo", "spec": {"base_model": model_dir,
                                                                               "method": "lora"}})
        assert status == 200 and body["fits"] and body["method"] == "lora" and body["shared_base"] is True
        status, body = server.post("/v1/jobs/plan", {"kind": "nope", "spec": {}})
        assert status == 400
    finally:
        server.close()
