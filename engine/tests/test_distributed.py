"""Data-parallel training (engine/distributed.py): 2 processes on gloo (CPU) equal 1 process with
the same global batch — the loss curve and the saved weights, within float tolerance. The ranks
are spawned as torchrun would (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT in the env)."""

from __future__ import annotations

import json
import os

import pytest
import torch

from engine import distributed, safetensors
from engine.reward.spec import parse_train_reward
from engine.reward.train import train_reward

from .reward_fixtures import pair_files, spec

CPU = torch.device("cpu")
PORTS = "8860-8899"  # the rendezvous port: the first free one of this session's range


def _weights(out: str) -> dict[str, torch.Tensor]:
    name = "adapter_model.safetensors" if os.path.exists(os.path.join(out, "adapter_model.safetensors")) \
        else "model.safetensors"
    return safetensors.load_file(os.path.join(out, name))


def _curve(out: str) -> list:
    return json.load(open(os.path.join(out, "training.json")))["loss_curve"]


@pytest.mark.parametrize("method", ["lora", "full"])
def test_two_gloo_processes_equal_one(tmp_path, model_dir, method, monkeypatch):
    monkeypatch.setenv("ENGINE_TRAIN_PORT", PORTS)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    files = pair_files(str(tmp_path / "data"), 24, 4)
    kw = dict(batch_size=6, epochs=1, learning_rate=3e-3, method=method, lora={"rank": 4}) if method == "lora" \
        else dict(batch_size=6, epochs=1, learning_rate=3e-3, method=method)
    one = parse_train_reward(spec(model_dir, str(tmp_path / "one"), files, **kw))
    train_reward(one, CPU, lambda **_: None)
    two = parse_train_reward(spec(model_dir, str(tmp_path / "two"), files, **kw))
    reports: list[dict] = []
    result = distributed.launch("train_reward", two, 2, CPU, lambda **f: reports.append(f), lambda: False)
    assert result["steps"] == 4 and any(r.get("phase") == "training" for r in reports)
    c1, c2 = _curve(one.output_dir), _curve(two.output_dir)
    assert [s for s, _ in c1] == [s for s, _ in c2]
    for (_, a), (_, b) in zip(c1, c2):
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5)
    w1, w2 = _weights(one.output_dir), _weights(two.output_dir)
    assert set(w1) == set(w2)
    for k in w1:
        assert torch.allclose(w1[k], w2[k], rtol=1e-4, atol=1e-5), k
    if method == "lora":  # the adapters did train
        assert any(w1[k].abs().sum() > 0 for k in w1 if k.endswith("lora_B.weight"))


def test_a_failing_rank_fails_the_run_with_its_error(tmp_path, model_dir, monkeypatch):
    monkeypatch.setenv("ENGINE_TRAIN_PORT", PORTS)
    files = pair_files(str(tmp_path / "data"), 4, 2)
    s = parse_train_reward(spec(model_dir, str(tmp_path / "x"), files))
    os.remove(files["train"])  # both ranks fail to read it
    with pytest.raises(RuntimeError, match="distributed run failed"):
        distributed.launch("train_reward", s, 2, CPU, lambda **_: None, lambda: False)


def test_sft_on_two_gloo_processes_equals_one(tmp_path, model_dir, monkeypatch):
    from engine.rlhf.sft import run_sft
    from engine.rlhf.spec import parse_sft

    from .test_rlhf_jobs import dialogues_file

    monkeypatch.setenv("ENGINE_TRAIN_PORT", PORTS)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    train = dialogues_file(tmp_path / "demos.jsonl", n=12)
    kw = dict(base_model=model_dir, train_file=train, epochs=1, batch_size=6, learning_rate=3e-3, method="lora",
              lora={"rank": 4})
    one = parse_sft({**kw, "output_dir": str(tmp_path / "one")})
    r1 = run_sft(one, CPU, lambda **_: None)
    two = parse_sft({**kw, "output_dir": str(tmp_path / "two")})
    r2 = distributed.launch("sft", two, 2, CPU, lambda **_: None, lambda: False)
    c1 = json.load(open(os.path.join(one.output_dir, "training.json")))["loss_curve"]
    c2 = json.load(open(os.path.join(two.output_dir, "training.json")))["loss_curve"]
    assert len(c1) == len(c2) == 2
    for (_, a), (_, b) in zip(c1, c2):
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5)
    w1, w2 = _weights(r1["model_dir"]), _weights(r2["model_dir"])
    for k in w1:
        assert torch.allclose(w1[k], w2[k], rtol=1e-4, atol=1e-5), k
