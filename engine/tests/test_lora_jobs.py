"""Every training job kind with `method: lora`: PPO on one frozen base (reference = adapter off,
value model and reward models = adapters + heads), SFT and rejection sampling saving PEFT folders
that load back (and a merged checkpoint equal to base + adapter), LoRA reward models."""

from __future__ import annotations

import json
import os

import pytest
import torch

from engine import checkpoint, lora
from engine.reward.spec import parse_train_reward
from engine.reward.train import train_reward
from engine.rlhf.ppo import Trainer, parse_ppo, run_ppo
from engine.rlhf.rejection_sampling import run_rejection_sampling
from engine.rlhf.sft import run_sft
from engine.rlhf.spec import parse_rejection_sampling, parse_sft

from .reward_fixtures import pair_files, spec as rm_spec
from .test_ppo import make_world, ppo_spec
from .test_rlhf_jobs import dialogues_file, prompts_file

CPU = torch.device("cpu")
LORA_RANK, LORA_LR = 32, 5e-3  # the slow demo-world comparison below (rank 8 at 1e-2: 4 points behind)


def quiet(**_):
    pass


def _reward_adapter(base_dir: str, out: str, seed: int) -> str:
    """A random LoRA reward model (adapter + scalar head) on `base_dir`, saved as PEFT files."""
    args = checkpoint.load_checkpoint(base_dir).args
    adapter = lora.Adapter(args, lora.LoraConfig(rank=2), scalar_head=True, seed=seed)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in adapter.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    return lora.save_peft(adapter, out, base_dir, tokenizer_path=os.path.join(base_dir, "tokenizer.model"))


@pytest.fixture(scope="module")
def world(tmp_path_factory, tokenizer_path) -> dict:
    w = make_world(tmp_path_factory.mktemp("lora-ppo"), tokenizer_path)
    w["rh_lora"] = _reward_adapter(w["policy"], str(w["root"] / "rm-h-lora"), 11)
    w["rs_lora"] = _reward_adapter(w["policy"], str(w["root"] / "rm-s-lora"), 12)
    return w


def test_ppo_with_lora_keeps_one_base(world, tmp_path):
    spec = parse_ppo(ppo_spec(world, tmp_path / "o", method="lora", lora={"rank": 4}, rollout_batch=6,
                              minibatch_size=3, reward_models={"helpfulness": world["rh_lora"],
                                                               "safety": world["rs_lora"]}))
    tr = Trainer(spec, CPU)
    assert tr.shared_reference and sorted(tr.reward_models.shared) == ["helpfulness", "safety"]
    # One Llama in memory: every role is a view on tr.policy.
    assert tr.ref.base is tr.policy and tr.value_model.base is tr.policy
    assert all(rm.model.base is tr.policy for rm in tr.reward_models.models.values())
    assert all(not p.requires_grad for p in tr.policy.parameters())
    before = {k: v.clone() for k, v in tr.policy.state_dict().items()}
    ro, _, _, _ = tr.rollout(1, lambda: False)
    assert torch.equal(ro.kl, torch.zeros_like(ro.kl))  # B = 0: policy == reference
    # Shared reward scoring equals the merged reward model loaded on its own.
    own = checkpoint.load_model(world["rh_lora"])[0]
    toks = torch.tensor([ro.seqs[0]])
    with torch.no_grad():
        # Equal up to float32 rounding: the view adds x·Aᵀ·Bᵀ to x·Wᵀ where the merged model has
        # x·(W + B·A)ᵀ, and the RMSNorms carry the difference on (1e-4 seen on AMD EPYC's kernels,
        # where a wrong scale or a missing adapter differs by 1e-1).
        torch.testing.assert_close(tr.reward_models.models["helpfulness"].model(toks), own(toks),
                                   rtol=1e-4, atol=1e-4)
    tr.update(ro, 1, lambda: False)
    assert all(torch.equal(before[k], v) for k, v in tr.policy.state_dict().items())  # the base never moves
    assert any(p.abs().sum() > 0 for n, p in tr.adapter.named_parameters() if "lora_B" in n)
    ro2, _, _, _ = tr.rollout(2, lambda: False)
    assert ro2.kl.abs().sum() > 0  # the adapter moved the policy away from the reference


def test_ppo_lora_job_saves_a_peft_policy_that_loads_back(world, tmp_path):
    out = tmp_path / "job"
    spec = parse_ppo(ppo_spec(world, out, method="lora", rollout_batch=4, minibatch_size=2, iterations=1,
                              save_merged=True))
    r = run_ppo(spec, CPU, quiet)
    assert r["method"] == "lora" and r["shared_base"]["reference"] and r["shared_base"]["value_model"]
    assert r["shared_base"]["reward_models"] == []  # full reward models: loaded on their own
    assert lora.is_peft_dir(r["model_dir"]) and os.path.isdir(r["merged_dir"])
    a, _ = checkpoint.load_model(r["model_dir"])
    b, _ = checkpoint.load_model(r["merged_dir"])
    toks = torch.tensor([[1, 5, 9, 33, 7]])
    with torch.no_grad():
        torch.testing.assert_close(a(toks), b(toks), rtol=1e-4, atol=1e-4)  # float32 rounding, as above


def test_sft_and_rejection_sampling_with_lora(world, tmp_path, tokenizer_path):
    train = dialogues_file(tmp_path / "demos.jsonl", n=8)
    s = parse_sft({"base_model": world["policy"], "output_dir": str(tmp_path / "sft"), "train_file": train,
                   "epochs": 1, "batch_size": 4, "method": "lora", "lora": {"rank": 4, "targets": ["q", "v"]}})
    r = run_sft(s, CPU, quiet)
    cfg = json.load(open(os.path.join(r["model_dir"], "adapter_config.json")))
    assert r["method"] == "lora" and cfg["target_modules"] == ["q_proj", "v_proj"] and cfg["r"] == 4
    assert checkpoint.load_checkpoint(r["model_dir"]).args == checkpoint.load_checkpoint(world["policy"]).args
    # SFT's adapter as the next job's base: rejection sampling with LoRA reward models on *that* base.
    prompts = prompts_file(tmp_path / "prompts.jsonl", n=4)
    spec = parse_rejection_sampling({
        "base_model": world["policy"], "output_dir": str(tmp_path / "rs"), "prompts_file": prompts,
        "reward_models": {"helpfulness": world["rh_lora"], "safety": world["rs_lora"]}, "k": 2, "max_tokens": 8,
        "epochs": 1, "batch_size": 4, "method": "lora"})
    r = run_rejection_sampling(spec, CPU, quiet)
    assert r["method"] == "lora" and sorted(r["shared_reward_models"]) == ["helpfulness", "safety"]
    assert lora.is_peft_dir(r["model_dir"])
    # Evaluation of the new policy against its base: the reward adapters score on the base.
    from engine.rlhf.evaluate import run_evaluate
    from engine.rlhf.spec import parse_evaluate

    ev = parse_evaluate({"model": r["model_dir"], "baseline": world["policy"], "output_dir": str(tmp_path / "ev"),
                         "prompts_file": prompts, "max_tokens": 8,
                         "reward_models": {"helpfulness": world["rh_lora"], "safety": world["rs_lora"]}})
    assert sorted(run_evaluate(ev, CPU, quiet)["shared_reward_models"]) == ["helpfulness", "safety"]


def test_lora_reward_model_job(tmp_path, model_dir):
    files = pair_files(str(tmp_path / "data"), 16, 8)
    s = parse_train_reward(rm_spec(model_dir, str(tmp_path / "rm"), files, method="lora", save_merged=True,
                                   lora={"rank": 4}))
    r = train_reward(s, CPU, quiet)
    assert r["method"] == "lora" and lora.is_peft_dir(r["model_dir"])
    assert json.load(open(os.path.join(r["model_dir"], "config.json")))["architectures"] == [
        "LlamaForSequenceClassification"]
    a, _ = checkpoint.load_model(r["model_dir"])
    b, _ = checkpoint.load_model(r["merged_dir"])
    toks = torch.tensor([[1, 5, 9, 33, 7]])
    with torch.no_grad():
        torch.testing.assert_close(a(toks), b(toks), rtol=1e-4, atol=1e-4)  # float32 rounding, as above


@pytest.mark.skipif(os.environ.get("ENGINE_LORA_RM_TEST") != "1",
                    reason="slow: two reward-model trainings on the bundled model, ~2-3 min on 2 busy cores; "
                           "set ENGINE_LORA_RM_TEST=1")
def test_a_lora_reward_model_is_within_3_points_of_full_fine_tuning_on_the_demo_world(tmp_path):
    """Bundled chat model, 600 demo-world helpfulness pairs, 2 epochs: held-out accuracy on
    significantly-better pairs with LoRA within 3 points of full fine-tuning's."""
    from engine.runtime import BUNDLED_MODEL

    files = pair_files(str(tmp_path / "data"), 600, 400, seed=1)
    acc = {}
    for method, extra in (("full", {"learning_rate": 3e-3}),
                          ("lora", {"learning_rate": LORA_LR, "lora": {"rank": LORA_RANK}})):
        s = parse_train_reward(rm_spec(BUNDLED_MODEL, str(tmp_path / method), files, epochs=2, batch_size=16,
                                       method=method, **extra))
        table = train_reward(s, CPU, quiet)["table8"]["helpfulness"]
        acc[method] = table["significantly_better"]["accuracy"]
    print("significantly better:", acc)
    assert acc["lora"] >= acc["full"] - 0.03, acc
