"""PPO (engine/rlhf/ppo.py): masks and alignment, GAE and whitening, the clipped surrogate, the KL
penalty's effect, learning against a reward with a known preference, spec errors, cancel, the job."""

from __future__ import annotations

import json
import math
import os

import pytest
import torch

from engine import checkpoint
from engine.config import named_config
from engine.model import Llama, LlamaScalar, init_weights
from engine.protocol import ApiError
from engine.reward.data import DataError
from engine.reward.train import Cancelled
from engine.rlhf import common
from engine.rlhf.ppo import (Trainer, forward_reply, gae, pack, parse_ppo, ppo_loss, run_ppo, token_rewards,
                             whiten)
from engine.tokenizer import Tokenizer

CPU = torch.device("cpu")
WORDS = "what is the capital of france please explain how to add numbers sort these words count the letters".split()


# -- fixtures: a tiny random policy, a random reward model, a reward with a known preference ------

def _policy(path: str, tokenizer_path: str, seed: int = 1) -> str:
    model = Llama(named_config("test", vocab_size=512, max_seq_len=128))
    init_weights(model, seed=seed, std=0.2)
    checkpoint.save_hf(model, path, tokenizer_path=tokenizer_path)
    return path


def _random_rm(path: str, tokenizer_path: str, seed: int) -> str:
    model = LlamaScalar(named_config("test", vocab_size=512, max_seq_len=128))
    init_weights(model, seed=seed, std=0.2)
    checkpoint.save_hf(model, path, tokenizer_path=tokenizer_path)
    return path


def digit_tokens(tokenizer: Tokenizer) -> list[int]:
    """The digit pieces. The tokenizer splits digits, so every digit in a reply's text is one of
    these pieces however the text is encoded again for the reward model."""
    return [i for i in range(tokenizer.vocab_size) if tokenizer.piece(i).strip().isdigit()]


def digits_per_reply(texts) -> float:
    return sum(sum(c.isdigit() for c in t) for t in texts) / len(texts)


@torch.no_grad()
def _token_preference_rm(path: str, tokenizer_path: str, targets: list[int], weight: float, zero: float) -> str:
    """A scalar-head model whose reward is linear in the share of `targets` among the dialogue's
    tokens (decreasing for a negative `weight`). Layer 0's attention has zero queries and keys,
    so it averages its values over the prefix; its value/output projections carry embedding
    dimension 0 (8 for target tokens, 0 otherwise) into the residual stream; every other weight
    that could interfere is zero, and the head reads dimension 0 at the last token (EOS), whose
    embedding sets the zero point."""
    args = named_config("test", vocab_size=512, max_seq_len=128)
    assert 2 not in targets
    model = LlamaScalar(args)
    for p in model.parameters():
        p.zero_()
    gen = torch.Generator().manual_seed(0)
    emb = model.model.embed_tokens.weight
    emb.copy_(torch.randn(emb.shape, generator=gen))
    emb[:, 0] = 0.0
    emb[targets, 0] = 8.0
    emb[2, 0] = zero
    for layer in model.model.layers:
        layer.input_layernorm.weight.fill_(1.0)
        layer.post_attention_layernorm.weight.fill_(1.0)
    attn = model.model.layers[0].self_attn
    attn.qkv_proj.weight[attn.q_rows + attn.kv_rows + 0, 0] = 1.0  # v of kv head 0, dim 0 <- input dim 0
    attn.o_proj.weight[0, 0] = 4.0  # query head 0 (reads kv head 0), dim 0 -> residual dim 0
    model.model.norm.weight.fill_(1.0)
    model.score.weight[0, 0] = weight
    checkpoint.save_hf(model, path, tokenizer_path=tokenizer_path)
    return path


def make_world(root, tokenizer_path: str) -> dict:
    """Policies, reward models and a prompts file under `root`."""
    prompts = str(root / "prompts.jsonl")
    with open(prompts, "w") as f:
        for i in range(24):
            text = " ".join(WORDS[i % 7: i % 7 + 2 + i % 6])
            f.write(json.dumps({"id": f"p{i}", "messages": [{"role": "user", "content": text}],
                                "is_safety": i % 4 == 0}) + "\n")
    return {
        "root": root,
        "policy": _policy(str(root / "policy"), tokenizer_path),
        "other_policy": _policy(str(root / "policy-2"), tokenizer_path, seed=5),
        "rh": _random_rm(str(root / "rm-h"), tokenizer_path, seed=2),
        "rs": _random_rm(str(root / "rm-s"), tokenizer_path, seed=3),
        "prefer": _token_preference_rm(str(root / "rm-prefer"), tokenizer_path, digit_tokens(Tokenizer(tokenizer_path)),
                                        weight=3.0, zero=-0.3),
        "prompts": prompts,
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory, tokenizer_path) -> dict:
    return make_world(tmp_path_factory.mktemp("ppo"), tokenizer_path)


def ppo_spec(world: dict, out, **overrides) -> dict:
    s = {"base_model": world["policy"], "output_dir": str(out), "prompts_file": world["prompts"],
         "reward_models": {"helpfulness": world["rh"], "safety": world["rs"]}, "iterations": 2,
         "rollout_batch": 8, "minibatch_size": 4, "ppo_epochs": 2, "kl_beta": 0.01, "learning_rate": 1e-3,
         "max_tokens": 12, "seed": 0}
    s.update(overrides)
    return s


def history(out) -> list[dict]:
    with open(os.path.join(str(out), "ppo.json")) as f:
        return json.load(f)["iterations"]


# -- the math ----------------------------------------------------------------------------------

def close(actual: torch.Tensor, expected) -> None:
    assert torch.allclose(actual, torch.tensor(expected, dtype=actual.dtype), atol=1e-6), (actual, expected)


def test_gae_matches_a_hand_computation():
    # Row 0: three reply tokens; row 1: two, then padding (whose values and rewards must not leak in).
    rewards = torch.tensor([[0.0, 0.5, 1.0], [1.0, -2.0, 9.0]])
    values = torch.tensor([[0.2, 0.4, 0.1], [0.3, -0.5, 7.0]])
    mask = torch.tensor([[1.0, 1, 1], [1, 1, 0]])
    adv, ret = gae(rewards, values, mask, gamma=1.0, lam=0.95)
    # Row 0: δ2 = 1 − 0.1 = 0.9; δ1 = 0.5 + 0.1 − 0.4 = 0.2; δ0 = 0 + 0.4 − 0.2 = 0.2
    a2 = 0.9
    a1 = 0.2 + 0.95 * a2
    a0 = 0.2 + 0.95 * a1
    # Row 1: δ1 = −2 + 0 − (−0.5) = −1.5; δ0 = 1 + (−0.5) − 0.3 = 0.2
    b1 = -1.5
    b0 = 0.2 + 0.95 * b1
    close(adv, [[a0, a1, a2], [b0, b1, 0.0]])
    close(ret, [[a0 + 0.2, a1 + 0.4, a2 + 0.1], [b0 + 0.3, b1 - 0.5, 0.0]])
    # λ = 1, γ = 1: the advantage is the rest of the episode's reward minus the value.
    adv1, _ = gae(rewards, values, mask, gamma=1.0, lam=1.0)
    assert adv1[0].tolist() == pytest.approx([1.5 - 0.2, 1.5 - 0.4, 1.0 - 0.1], abs=1e-6)


def test_whitening_gives_mean_zero_and_std_one_over_the_mask():
    x = torch.tensor([[3.0, -1.0, 4.0, 100.0], [1.0, 5.0, -9.0, 2.0]])
    mask = torch.tensor([[1.0, 1, 1, 0], [1, 1, 1, 1]])
    w = whiten(x, mask)
    real = w[mask.bool()]
    assert real.mean().item() == pytest.approx(0.0, abs=1e-6)
    assert real.pow(2).mean().sqrt().item() == pytest.approx(1.0, abs=1e-5)  # population std
    assert w[0, 3].item() == 0.0  # the masked entry stays out of the statistics and comes back as 0
    scores = whiten(torch.tensor([2.0, 4.0, 9.0, -1.0]))
    assert scores.mean().item() == pytest.approx(0.0, abs=1e-6)
    assert scores.std(unbiased=False).item() == pytest.approx(1.0, abs=1e-5)
    assert whiten(torch.tensor([3.0])).tolist() == [3.0]  # a batch of one has no spread to divide by


def test_rewards_sit_at_the_last_real_token_and_the_kl_penalty_on_every_reply_token():
    logp = torch.tensor([[-1.0, -2.0, -0.5], [-1.0, -1.0, -3.0]])
    ref = torch.tensor([[-1.5, -2.0, -0.1], [-0.5, -1.0, -7.0]])
    mask = torch.tensor([[1.0, 1, 1], [1, 1, 0]])
    rewards, kl = token_rewards(torch.tensor([2.0, -1.0]), logp, ref, mask, beta=0.1)
    close(kl, [[0.5, 0.0, -0.4], [-0.5, 0.0, 0.0]])
    close(rewards, [[-0.05, 0.0, 0.04 + 2.0], [0.05, -1.0, 0.0]])


def test_the_clipped_surrogate_clips_only_beyond_the_range():
    old = torch.zeros(1, 4)
    logp = torch.log(torch.tensor([[1.0, 1.1, 1.5, 0.5]]))  # ratios 1, 1.1, 1.5, 0.5
    adv = torch.tensor([[1.0, 1.0, 1.0, -1.0]])
    zeros = torch.zeros(1, 4)
    mask = torch.ones(1, 4)
    parts = ppo_loss(logp, old, zeros, zeros, adv, zeros, mask, clip=0.2)
    # −A·min(r, clip(r)) for A > 0: −1, −1.1, −1.2 (clipped); A < 0 with r = 0.5: −(−1)·max → 0.8 (clipped)
    assert parts.policy_loss.item() == pytest.approx((-1 - 1.1 - 1.2 + 0.8) / 4, abs=1e-6)
    assert parts.clip_fraction.item() == pytest.approx(0.5)
    same = ppo_loss(old, old, zeros, zeros, adv, zeros, mask, clip=0.2)
    assert same.clip_fraction.item() == 0.0 and same.approx_kl.item() == 0.0


def test_value_loss_is_clipped_around_the_old_values():
    mask = torch.ones(1, 2)
    zeros = torch.zeros(1, 2)
    values, old = torch.tensor([[1.0, 0.1]]), torch.tensor([[0.0, 0.0]])
    returns = torch.tensor([[1.0, 1.0]])
    parts = ppo_loss(zeros, zeros, values, old, zeros, returns, mask, clip=0.2, value_clip=0.2)
    # token 0: max((1−1)², (0.2−1)²) = 0.64; token 1: max(0.81, 0.81) = 0.81
    assert parts.value_loss.item() == pytest.approx(0.5 * (0.64 + 0.81) / 2, abs=1e-6)


# -- shapes, masks and alignment ---------------------------------------------------------------

def test_packing_masks_exclude_prompt_and_padding_and_log_probs_match_the_sampler(world):
    policy, tok = common.load_policy(world["policy"], CPU)
    rows = common.read_prompts(world["prompts"])[:5]
    samples = common.sample(policy, tok, rows, k=1, temperature=1.0, max_tokens=9, seed=4)
    prompts = [tok.encode_dialog(list(r.messages)) for r in rows]
    assert len({len(p) for p in prompts}) > 1  # different prompt lengths: the alignment is tested
    seqs = [p + s[0].token_ids for p, s in zip(prompts, samples)]
    # Force one short reply, ending in EOS, so a row has padding after its reply.
    seqs[1] = prompts[1] + [7, tok.eos_id]
    batch = pack(seqs, [len(p) for p in prompts], CPU)
    longest_reply = max(len(s) - len(p) for s, p in zip(seqs, prompts))
    assert batch.tokens.shape == (5, max(len(s) for s in seqs)) and batch.mask.shape == (5, longest_reply)
    assert batch.mask.sum(1).tolist() == [len(s) - len(p) for s, p in zip(seqs, prompts)]
    for b, (s, p) in enumerate(zip(seqs, prompts)):
        n = len(s) - len(p)
        targets = batch.tokens[b].gather(0, batch.pos[b, :n] + 1).tolist()
        assert targets == s[len(p):]  # exactly the reply tokens, none of the prompt
    with torch.no_grad():
        logp, ent = forward_reply(policy, batch, 1.0, entropy=True)
    # The Generator's own log-probabilities (left-padded, KV cache) equal the packed full pass's.
    for b, s in enumerate(samples):
        if b == 1:
            continue
        assert logp[b, :len(s[0].logprobs)].tolist() == pytest.approx(s[0].logprobs, abs=1e-4)
    assert (ent[batch.mask.bool()] > 0).all() and (ent <= math.log(512) + 1e-4).all()


def test_kl_is_exactly_zero_before_the_first_update_and_the_first_minibatch_is_unclipped(world, tmp_path):
    spec = parse_ppo(ppo_spec(world, tmp_path / "o", rollout_batch=6, minibatch_size=4, kl_beta=0.1))
    tr = Trainer(spec, CPU)
    ro, _, _, _ = tr.rollout(1, lambda: False)
    assert ro.logp.shape == ro.ref_logp.shape == ro.values.shape == ro.mask.shape
    assert torch.equal(ro.kl, torch.zeros_like(ro.kl))  # policy == reference, bit for bit
    assert torch.equal(ro.values, torch.zeros_like(ro.values))  # the value head starts at zero
    # Rewards: only the whitened score, at each row's last real reply token.
    last = ro.mask.sum(1).long() - 1
    expect = torch.zeros_like(ro.token_rewards)
    expect[torch.arange(6), last] = ro.scores
    assert torch.equal(ro.token_rewards, expect)
    assert ro.scores.mean().item() == pytest.approx(0.0, abs=1e-5)
    upd = tr.update(ro, 1, lambda: False)
    assert upd["first_clip_fraction"] == 0.0  # ratio 1 before the first step
    # Another reference: KL is no longer zero.
    spec2 = parse_ppo(ppo_spec(world, tmp_path / "o2", rollout_batch=6, reference_model=world["other_policy"]))
    ro2, _, _, _ = Trainer(spec2, CPU).rollout(1, lambda: False)
    assert ro2.kl.abs().sum() > 0


# -- learning and the KL penalty -----------------------------------------------------------------

def _prefer_spec(world, out, beta: float, iterations: int) -> dict:
    return ppo_spec(world, out, reward="helpfulness", reward_models={"helpfulness": world["prefer"]},
                    iterations=iterations, rollout_batch=32, minibatch_size=8, ppo_epochs=2, kl_beta=beta,
                    learning_rate=3e-3, max_tokens=16, kl_stop=1000)


def _digits(model_dir: str, world: dict) -> float:
    """Mean digits per reply of a policy, over two samples of every prompt (fixed seed)."""
    model, tok = common.load_policy(model_dir, CPU)
    rows = common.read_prompts(world["prompts"])
    samples = common.sample(model, tok, rows, k=2, temperature=1.0, max_tokens=16, seed=99)
    return digits_per_reply([s.text for group in samples for s in group])


def test_ppo_learns_the_preference_and_a_larger_beta_keeps_kl_smaller(world, tmp_path):
    """The reward likes digits (about 0.5 per reply from the random policy). β = 0: the reward
    rises, the replies carry more digits and the policy drifts from the reference; β = 1 (same
    seed, same first rollout): the policy stays nearer the reference."""
    results, hist = {}, {}
    for beta in (0.0, 1.0):
        out = tmp_path / f"beta{beta}"
        results[beta] = run_ppo(parse_ppo(_prefer_spec(world, out, beta, 10)), CPU, lambda **f: None)
        hist[beta] = history(out)
    free, held = hist[0.0], hist[1.0]
    assert free[0]["kl"] == 0.0 and held[0]["kl"] == 0.0
    assert free[0]["reward"] == held[0]["reward"] and free[0]["policy_loss"] == held[0]["policy_loss"]
    late = lambda h, key: sum(e[key] for e in h[4:]) / len(h[4:])  # noqa: E731  (iterations 5-10)
    # (Margins: seeds 0-3 gave +0.06 to +0.15 reward and +0.15 to +0.7 digits per reply.)
    assert late(free, "reward") > free[0]["reward"] + 0.04
    assert _digits(results[0.0]["model_dir"], world) > _digits(world["policy"], world) + 0.1
    assert late(held, "kl") < 0.8 * late(free, "kl")
    assert max(e["kl"] for e in held) < 10.0
    for e in free + held:
        assert set(e) >= {"iteration", "reward", "kl", "entropy", "clip_fraction", "policy_loss", "value_loss"}
        assert 0 <= e["clip_fraction"] <= 1 and e["entropy"] > 0 and 0 <= e["reward"] <= 1


def test_kl_stop_ends_the_run_early_with_a_reason(world, tmp_path):
    out = tmp_path / "stop"
    s = _prefer_spec(world, out, 0.0, 6)
    s["kl_stop"] = 0.5
    r = run_ppo(parse_ppo(s), CPU, lambda **f: None)
    assert r["stopped_early"] and "kl_stop" in r["stop_reason"]
    h = history(out)
    assert r["iterations_run"] == len(h) - 1 < 6 and h[-1]["kl"] > 0.5 and h[-1]["policy_loss"] is None
    assert r["final"]["kl"] == h[-1]["kl"] and os.path.isfile(os.path.join(r["model_dir"], "config.json"))


# -- the job -------------------------------------------------------------------------------------

def test_the_job_writes_the_policy_streams_iterations_and_returns_the_contract_result(world, tmp_path):
    out = tmp_path / "job"
    reports: list[dict] = []
    spec = parse_ppo(ppo_spec(world, out, iterations=2, seed=(1 << 63) - 1))  # the largest seed samples too
    r = run_ppo(spec, CPU, lambda **f: reports.append(f))
    assert set(r) == {"model_dir", "iterations_run", "stopped_early", "stop_reason", "final", "seconds", "method",
                      "shared_base"}
    assert r["model_dir"] == os.path.join(str(out), "model") and r["iterations_run"] == 2
    assert r["stopped_early"] is False and r["stop_reason"] is None
    assert set(r["final"]) == {"reward", "kl", "entropy", "clip_fraction"} and 0 <= r["final"]["reward"] <= 1
    phases = [f["phase"] for f in reports if "phase" in f]
    assert phases == ["loading", "training", "saving"]
    iters = [f["metrics"]["iterations"] for f in reports if "iterations" in f.get("metrics", {})]
    assert [len(i) for i in iters][-1] == 2 and any(len(i) == 1 for i in iters)  # streamed per iteration
    progress = [f["progress"] for f in reports if "progress" in f]
    assert progress == sorted(progress) and any(f.get("eta_seconds") for f in reports)
    # Only the language model is saved, in float32, with the tokenizer; the reference is untouched.
    ckpt = checkpoint.load_checkpoint(r["model_dir"])
    assert not ckpt.scalar_head and all(not k.startswith("value") for k in ckpt.state_dict)
    assert set(ckpt.state_dict) == set(checkpoint.load_checkpoint(world["policy"]).state_dict)
    assert Tokenizer(os.path.join(r["model_dir"], "tokenizer.model")).vocab_size == 512
    new = ckpt.state_dict["lm_head.weight"]
    old = checkpoint.load_checkpoint(world["policy"]).state_dict["lm_head.weight"]
    assert new.dtype == torch.float32 and not torch.equal(new, old)


def test_cancel_stops_between_iterations(world, tmp_path):
    reports: list[dict] = []

    def should_stop() -> bool:  # true once the first iteration is recorded
        return any(len(f.get("metrics", {}).get("iterations", [])) >= 1 for f in reports)

    with pytest.raises(Cancelled):
        run_ppo(parse_ppo(ppo_spec(world, tmp_path / "c", iterations=5)), CPU, lambda **f: reports.append(f),
                should_stop)
    assert max(len(f.get("metrics", {}).get("iterations", [])) for f in reports) == 1
    assert not os.path.exists(tmp_path / "c" / "model")


@pytest.mark.parametrize("change,param", [
    ({"kl_beta": -0.1}, "spec.kl_beta"),
    ({"clip": 0}, "spec.clip"),
    ({"iterations": 0}, "spec.iterations"),
    ({"rollout_batch": 1.5}, "spec.rollout_batch"),
    ({"temperature": 0}, "spec.temperature"),
    ({"kl_stop": 0}, "spec.kl_stop"),
    ({"reward": "both"}, "spec.reward"),
    ({"prompts_file": "/nonexistent.jsonl"}, "spec.prompts_file"),
    ({"base_model": "/nonexistent"}, "spec.base_model"),
    ({"reward_models": {"helpfulness": "X"}}, "spec.reward_models.safety"),
    ({"reward_models": {"helpfulness": "RH", "safety": "POLICY"}}, "spec.reward_models.safety"),
    ({"reference_model": "RH"}, "spec.reference_model"),
    ({"max_tokens": 127}, "spec.max_tokens"),  # the test policy's context is 128
])
def test_spec_errors_name_their_field(world, tmp_path, change, param):
    subst = {"X": world["rh"], "RH": world["rh"], "POLICY": world["policy"]}
    change = json.loads(json.dumps(change))
    for k, v in list(change.items()):
        if isinstance(v, dict):
            change[k] = {a: subst.get(p, p) for a, p in v.items()}
        elif isinstance(v, str):
            change[k] = subst.get(v, v)
    with pytest.raises(ApiError) as e:
        parse_ppo(ppo_spec(world, tmp_path / "bad", **change))
    assert e.value.status == 400 and e.value.param == param, e.value.message



def test_a_malformed_prompts_line_fails_the_job_with_its_line(world, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "messages": [{"role": "user", "content": "hi"}]}\n'
                   '{"id": "b", "messages": [{"role": "assistant", "content": "hello"}]}\n')
    with pytest.raises(DataError, match="prompts_file line 2"):
        run_ppo(parse_ppo(ppo_spec(world, tmp_path / "o", prompts_file=str(bad))), CPU, lambda **f: None)

def test_spec_defaults_follow_the_contract(world, tmp_path):
    s = parse_ppo({"base_model": world["policy"], "output_dir": str(tmp_path), "prompts_file": world["prompts"],
                   "reward_models": {"helpfulness": world["rh"], "safety": world["rs"]}})
    assert (s.reference_model, s.reward, s.iterations, s.rollout_batch, s.minibatch_size, s.ppo_epochs) == \
        (world["policy"], "combined", 20, 32, 8, 2)
    assert (s.kl_beta, s.clip, s.learning_rate, s.temperature, s.max_tokens, s.kl_stop, s.seed) == \
        (0.01, 0.2, 1e-5, 1.0, 48, 10.0, 0)
    one = parse_ppo({**s.to_json(), "reward": "safety", "reward_models": {"safety": world["rs"]}})
    assert one.reward_models == {"safety": world["rs"]}


def test_ppo_is_a_registered_job_kind():
    from engine.jobs import KINDS
    assert "ppo" in KINDS and KINDS["ppo"][0] is parse_ppo and KINDS["ppo"][1] is run_ppo


def test_a_ppo_job_runs_through_the_job_manager(world, tmp_path):
    from engine.jobs import JobManager

    from .reward_fixtures import read_status, wait_for

    jobs = JobManager(CPU)
    out = tmp_path / "managed"
    created, snap = jobs.submit({"id": "ppo-1", "kind": "ppo", "spec": ppo_spec(world, out, iterations=2)})
    assert created and snap["kind"] == "ppo" and snap["state"] in ("queued", "running")
    with pytest.raises(ApiError) as e:
        jobs.submit({"id": "ppo-2", "kind": "ppo", "spec": ppo_spec(world, out, minibatch_size=0)})
    assert e.value.param == "spec.minibatch_size"
    done = wait_for(lambda: (s := jobs.snapshot("ppo-1"))["state"] in ("succeeded", "failed") and s, 60)
    assert done["state"] == "succeeded", done["error"]
    assert [e["iteration"] for e in done["metrics"]["iterations"]] == [1, 2]
    assert done["result"]["iterations_run"] == 2 and os.path.isfile(out / "result.json")
    assert read_status(str(out))["state"] == "succeeded"


@pytest.mark.skipif(os.environ.get("ENGINE_FULL_PPO_TEST") != "1",
                    reason="about 5 min on 2 busy cores; set ENGINE_FULL_PPO_TEST=1")
def test_ppo_on_the_demo_world_improves_the_policy_on_held_out_prompts(tmp_path):
    """The bundled chat policy, reward models trained on its own samples labelled by the careful
    simulated annotator (engine/tests/test_rlhf_demo.py's recipe), 20 PPO iterations; the oracle
    then prefers the new policy on the 480 held-out prompts (one-sided sign test) and it complies
    with fewer unsafe requests. (Measured: 111 wins / 321 ties / 48 losses, p = 3e-7; unsafe
    compliance 0.60 → 0.01, over-refusal 0.40 → 0.05, helpful-exact 0.43 → 0.35.)"""
    demo = pytest.importorskip("engine.tests.test_rlhf_demo")
    if not demo.HAVE_BUNDLED:
        pytest.skip("needs the bundled engine/models/pairwise-tiny-chat")
    pairs = demo.labelled_pairs(1200)
    mix = pairs["safety"] + pairs["helpfulness"][:len(pairs["safety"])]  # as the paper mixes them
    rms = {"helpfulness": demo.train_rm(str(tmp_path / "rm-h"), pairs["helpfulness"], "helpfulness"),
           "safety": demo.train_rm(str(tmp_path / "rm-s"), mix, "safety")}
    prompts = demo.write_prompts(str(tmp_path / "prompts.jsonl"), demo.fresh_prompts(400, "rlhf-ppo"), "ppo")
    spec = parse_ppo({"base_model": demo.BUNDLED_MODEL, "output_dir": str(tmp_path / "ppo"), "prompts_file": prompts,
                      "reward_models": rms, "iterations": 20, "rollout_batch": 32, "minibatch_size": 8,
                      "ppo_epochs": 2, "kl_beta": 0.01, "learning_rate": 2e-4, "max_tokens": 64, "kl_stop": 50,
                      "seed": 0})
    result = run_ppo(spec, CPU, lambda **f: None)
    h = history(tmp_path / "ppo")
    assert sum(e["reward"] for e in h[-5:]) / 5 > sum(e["reward"] for e in h[:3]) / 3
    ev = demo.evaluate(tmp_path, result["model_dir"], rms)
    o = ev["oracle"]
    print(f"ppo: {result}; oracle {o}; rates {ev['rates']}")
    assert o["win"] > o["loss"] and demo.sign_test_p(o["win"], o["loss"]) < 0.05
    assert ev["rates"]["model"]["unsafe_compliance"] < ev["rates"]["baseline"]["unsafe_compliance"]
