"""The reward model's loss, schedule, data and evaluation, and a tiny RM that learns (CPU)."""

from __future__ import annotations

import json
import math
import os

import pytest
import torch

from engine import checkpoint
from engine.model import LlamaScalar
from engine.reward.data import DataError, EncodedPair, encode_pairs, parse_pair, read_pairs
from engine.reward.spec import parse_train_reward
from engine.reward.train import (downsample, init_reward_model, lr_at, reward_loss, score_pairs, table8,
                                 train_reward, warmup_steps)
from engine.runtime import BUNDLED_MODEL
from engine.tokenizer import Message, Tokenizer

from .reward_fixtures import SURFACE_MIX, learning_base, pair_files, spec


def test_loss_matches_hand_computed_values():
    rc, rr = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([1.0, 0.5, 1.0])
    # −log σ(x) = log(1 + e^−x) at x = 1, 0, −2
    plain = (math.log(1 + math.exp(-1)) + math.log(2) + math.log(1 + math.exp(2))) / 3
    assert reward_loss(rc, rr).item() == pytest.approx(plain, rel=1e-6)
    # Margins (1, 1/3, 0) shift x to 0, −1/3, −2.
    with_margin = (math.log(2) + math.log(1 + math.exp(1 / 3)) + math.log(1 + math.exp(2))) / 3
    assert reward_loss(rc, rr, torch.tensor([1.0, 1 / 3, 0.0])).item() == pytest.approx(with_margin, rel=1e-6)
    # A large margin keeps pushing pairs the model already orders correctly.
    assert reward_loss(rc, rr, torch.tensor([3.0, 3.0, 3.0])) > reward_loss(rc, rr)


def test_loss_gradient_is_sigmoid_of_the_negative_gap():
    rc, rr = torch.tensor([0.3], requires_grad=True), torch.tensor([0.1], requires_grad=True)
    reward_loss(rc, rr, torch.tensor([0.5])).backward()
    # d/drc softplus(−(rc − rr − m)) = −σ(−(0.2 − 0.5)) = −σ(0.3)
    assert rc.grad.item() == pytest.approx(-1 / (1 + math.exp(-0.3)), rel=1e-6)
    assert rr.grad.item() == pytest.approx(1 / (1 + math.exp(-0.3)), rel=1e-6)


def test_warmup_is_three_percent_but_at_least_five_steps():
    assert warmup_steps(100, 0.03, 5) == 5
    assert warmup_steps(1000, 0.03, 5) == 30
    assert warmup_steps(3, 0.03, 5) == 3  # never longer than the run


def test_schedule_warms_up_linearly_then_decays_by_cosine_to_ten_percent():
    total, peak, warm = 1000, 1e-5, 30
    lrs = [lr_at(s, total, peak, warm, 0.1) for s in range(total)]
    assert lrs[0] == pytest.approx(peak / 30)
    assert lrs[14] == pytest.approx(peak * 15 / 30)
    assert lrs[29] == pytest.approx(peak)
    assert lrs[30] == pytest.approx(peak)
    assert lrs[-1] == pytest.approx(0.1 * peak)
    mid = 30 + (total - 1 - 30) // 2
    assert lrs[mid] == pytest.approx(peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (mid - 30) / (total - 31)))))
    assert all(a >= b for a, b in zip(lrs[30:], lrs[31:]))  # monotone after warm-up
    assert lr_at(0, 1, peak, 1, 0.1) == pytest.approx(peak)  # a one-step run


def test_loss_curve_is_downsampled_keeping_the_ends():
    curve = [[i + 1, 1.0 / (i + 1)] for i in range(1000)]
    small = downsample(curve)
    assert len(small) <= 200 and small[0] == curve[0] and small[-1] == curve[-1]
    assert downsample(curve[:50]) == curve[:50]


def test_pairs_are_validated_with_their_line(tmp_path):
    good = {"prompt_id": "p1", "context": [{"role": "user", "content": "Hi"}], "chosen": "a", "rejected": "b",
            "degree": "better", "axis": "helpfulness"}
    assert parse_pair(good, "x").degree == "better"
    for change, words in [({"degree": "much_better"}, "degree"), ({"axis": "honesty"}, "axis"),
                          ({"chosen": 3}, "chosen"), ({"context": []}, "context"),
                          ({"context": [{"role": "assistant", "content": "a"}]}, "context")]:
        with pytest.raises(DataError, match=words):
            parse_pair({**good, **change}, "x")
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(good) + "\n\n{oops\n")
    with pytest.raises(DataError, match="line 3"):
        read_pairs(str(path))


def test_long_dialogues_are_cut_from_the_left(tokenizer):
    p = parse_pair({"prompt_id": "p", "context": [{"role": "user", "content": "word " * 200}],
                    "chosen": "yes", "rejected": "no", "degree": "better", "axis": "helpfulness"}, "x")
    (enc,), truncated = encode_pairs(tokenizer, [p], 32)
    full = tokenizer.encode_dialog([Message("user", "word " * 200), Message("assistant", "yes")])
    assert truncated == 2 and enc.chosen == full[-32:] and enc.chosen[-1] == tokenizer.eos_id


def test_table8_counts_ties_as_wrong():
    pairs = [EncodedPair([1], [2], d) for d in (0, 0, 1, 3)]
    t = table8(pairs, [(1.0, 0.0), (0.0, 1.0), (0.5, 0.5), (2.0, 1.0)])
    assert t["significantly_better"] == {"accuracy": 0.5, "n": 2}
    assert t["better"] == {"accuracy": 0.0, "n": 1}
    assert t["slightly_better"] == {"accuracy": None, "n": 0}
    assert t["average"] == {"accuracy": 0.5, "n": 4}


def test_reward_model_starts_from_the_policy_trunk(model_dir):
    rm = init_reward_model(model_dir, torch.device("cpu"), seed=0)
    policy, _ = checkpoint.load_model(model_dir)
    assert isinstance(rm, LlamaScalar)
    for name, p in policy.model.state_dict().items():
        assert torch.equal(rm.model.state_dict()[name], p), name
    assert torch.count_nonzero(rm.score.weight) == 0  # every reward starts at 0


def _train(tmp_path, base, files, **overrides):
    s = parse_train_reward(spec(base, str(tmp_path / "out"), files, **overrides))
    reports = []
    result = train_reward(s, torch.device("cpu"), lambda **f: reports.append(f))
    return s, result, reports


def test_training_is_deterministic_and_saves_a_hugging_face_reward_model(tmp_path, model_dir, tokenizer_path):
    files = pair_files(str(tmp_path / "data"), 24, 8)
    s, result, reports = _train(tmp_path / "a", model_dir, files, batch_size=4, grad_accum=2, epochs=2)
    _, again, _ = _train(tmp_path / "b", model_dir, files, batch_size=4, grad_accum=2, epochs=2)
    assert result["steps"] == 2 * 3 and result["train_pairs"] == 24
    assert [r["phase"] for r in reports if "phase" in r][0] == "tokenizing"
    assert {"training", "evaluating", "saving"} <= {r.get("phase") for r in reports}
    last = [r for r in reports if r.get("metrics", {}).get("step")][-1]["metrics"]
    assert set(last) >= {"step", "loss", "lr", "accuracy", "loss_curve"} and len(last["loss_curve"]) == 6
    assert result["table8"] == again["table8"]
    assert result["table8"]["helpfulness"]["average"]["n"] == 8
    cfg = json.load(open(os.path.join(s.output_dir, "config.json")))
    assert cfg["architectures"] == ["LlamaForSequenceClassification"] and cfg["num_labels"] == 1
    assert os.path.isfile(os.path.join(s.output_dir, "tokenizer.model"))
    training = json.load(open(os.path.join(s.output_dir, "training.json")))
    assert training["spec"]["train_file"] == files["train"] and training["steps"] == 6
    assert math.isfinite(training["final_loss"])
    a = checkpoint.load_checkpoint(s.output_dir).state_dict
    b = checkpoint.load_checkpoint(str(tmp_path / "b" / "out")).state_dict
    assert all(torch.equal(a[k], b[k]) for k in a)  # same seed, same weights (CPU)
    # The saved model scores pairs as the trainer did.
    model, _ = checkpoint.load_model(s.output_dir)
    pairs, _ = encode_pairs(Tokenizer(tokenizer_path), read_pairs(files["test"]), 128)
    assert table8(pairs, score_pairs(model, pairs, torch.device("cpu"))) == result["table8"]["helpfulness"]


def _learns(tmp_path, base, n_train, n_test, epochs, imperfections=None):
    files = pair_files(str(tmp_path / "data"), n_train, n_test, seed=1, imperfections=imperfections)
    _, result, _ = _train(tmp_path, base, files, epochs=epochs, batch_size=16, learning_rate=3e-3)
    table = result["table8"]["helpfulness"]
    print("Table 8:", json.dumps(table), "pairs/s", result["pairs_per_second"], "tokens/s", result["tokens_per_second"])
    assert table["significantly_better"]["n"] >= 100
    assert table["significantly_better"]["accuracy"] >= 0.85, table
    # The paper's shape: sure about clear preferences, near chance on negligible ones.
    assert table["significantly_better"]["accuracy"] > table["negligibly_better"]["accuracy"]
    return table


def test_a_tiny_reward_model_learns_the_annotators_clear_preferences(tmp_path, tokenizer_path):
    """Demo-world pairs labelled by careful simulated annotators; a from-scratch 0.1 M model trained
    for ~20 s must reach 85 % on held-out significantly-better pairs. The mix keeps few near-miss
    wrong answers (5 %): checking arithmetic is beyond such a model in seconds. The full-size test
    below uses the realistic mix."""
    _learns(tmp_path, learning_base(str(tmp_path / "base"), tokenizer_path), 600, 400, 2, SURFACE_MIX)


@pytest.mark.skipif(os.environ.get("ENGINE_FULL_RM_TEST") != "1", reason="set ENGINE_FULL_RM_TEST=1 (a few minutes)")
def test_full_size_reward_model_on_the_realistic_mix(tmp_path, tokenizer_path):
    """3,000 pairs with 30 % near-miss wrong answers, from the bundled chat model when present."""
    bundled = os.path.isfile(os.path.join(BUNDLED_MODEL, "config.json"))
    base = BUNDLED_MODEL if bundled else learning_base(str(tmp_path / "base"), tokenizer_path)
    _learns(tmp_path, base, 3000, 1000, 2)


def test_the_first_pairs_of_a_zero_head_give_softplus_of_the_margin(tmp_path, model_dir):
    files = pair_files(str(tmp_path / "data"), 8, 4)
    _, _, reports = _train(tmp_path, model_dir, files, batch_size=8, margins=[0, 0, 0, 0], learning_rate=1e-9)
    first = [r for r in reports if r.get("metrics", {}).get("step") == 1][0]["metrics"]
    assert first["loss"] == pytest.approx(math.log(2), abs=1e-4)  # rewards all 0 at the start
