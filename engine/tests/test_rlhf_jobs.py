"""RLHF jobs on small models: spec validation, packing and the answer mask, best-of-K, pooling,
SFT learning, an evaluation of a policy against itself, and rejection sampling through the jobs API
with its model then served by directory."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest
import torch

from engine.protocol import ApiError
from engine.reward.data import DataError
from engine.reward.train import Cancelled
from engine.rlhf import common
from engine.rlhf.evaluate import bootstrap_ci, compare, run_evaluate, sign_test_p, wilson, win_tie_loss
from engine.rlhf.finetune import answer_logprob, encode_examples, pack, packed_batch
from engine.rlhf.rejection_sampling import best_of, pool_rows, read_pool, run_rejection_sampling
from engine.rlhf.sft import run_sft
from engine.rlhf.spec import parse_evaluate, parse_rejection_sampling, parse_sft
from engine.runtime import BUNDLED_MODEL
from engine.tokenizer import Message

from .http_util import LiveServer
from .reward_fixtures import wait_for

CPU = torch.device("cpu")
QUESTIONS = ["What is two plus two?", "Name a colour.", "Say hello.", "Count to three.", "Spell cat.",
             "What is the capital of France?", "Is water wet?", "Give me a number."]


def quiet(**_):
    pass


def prompts_file(path, n=8, safety_every=3) -> str:
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"p{i}", "messages": [{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}],
                                "is_safety": i % safety_every == 0}) + "\n")
    return str(path)


def dialogues_file(path, n=24) -> str:
    with open(path, "w") as f:
        for i in range(n):
            q = QUESTIONS[i % len(QUESTIONS)]
            f.write(json.dumps({"messages": [{"role": "user", "content": q},
                                             {"role": "assistant", "content": f"The answer is {i % 5}."}]}) + "\n")
    return str(path)


@pytest.fixture()
def files(tmp_path, model_dir, reward_dir):
    return {"prompts": prompts_file(tmp_path / "prompts.jsonl"), "train": dialogues_file(tmp_path / "demos.jsonl"),
            "rms": {"helpfulness": reward_dir, "safety": reward_dir}, "model": model_dir, "out": str(tmp_path / "out")}


# -- specs -----------------------------------------------------------------------------------

def rs_spec(f, **kw):
    return {"base_model": f["model"], "output_dir": f["out"], "prompts_file": f["prompts"], "pool_files": [],
            "reward_models": f["rms"], **kw}


@pytest.mark.parametrize("change,param", [
    ({"k": 0}, "spec.k"), ({"k": 65}, "spec.k"), ({"k": 2.5}, "spec.k"), ({"temperature": 0}, "spec.temperature"),
    ({"top_p": 1.5}, "spec.top_p"), ({"max_tokens": 0}, "spec.max_tokens"), ({"max_tokens": 128}, "spec.max_tokens"), ({"epochs": 0}, "spec.epochs"),
    ({"learning_rate": 0}, "spec.learning_rate"), ({"batch_size": True}, "spec.batch_size"), ({"seed": -1}, "spec.seed"),
    ({"reward": "honesty"}, "spec.reward"), ({"base_model": "/nope"}, "spec.base_model"),
    ({"prompts_file": "/nope.jsonl"}, "spec.prompts_file"), ({"pool_files": ["/nope.jsonl"]}, "spec.pool_files[0]"),
    ({"pool_files": "x"}, "spec.pool_files"), ({"reward_models": {"helpfulness": "/nope"}}, "spec.reward_models.helpfulness"),
    ({"reward_models": {"helpfulness": None, "safety": None}}, "spec.reward_models.helpfulness"),
    ({"reward_models": []}, "spec.reward_models"), ({"output_dir": ""}, "spec.output_dir"),
])
def test_rejection_sampling_spec_errors_name_the_field(files, change, param):
    with pytest.raises(ApiError) as e:
        parse_rejection_sampling(rs_spec(files, **change))
    assert e.value.status == 400 and e.value.param == param, e.value.body()


def test_specs_fill_the_contract_defaults(files, reward_dir):
    s = parse_rejection_sampling(rs_spec(files))
    assert (s.k, s.temperature, s.top_p, s.max_tokens, s.epochs, s.batch_size, s.seed, s.reward) == (
        8, 1.0, 1.0, 64, 2, 16, 0, "combined")
    # One reward model is enough for a single-axis reward.
    one = parse_rejection_sampling(rs_spec(files, reward="safety", reward_models={"safety": reward_dir}))
    assert one.reward_models == {"safety": reward_dir}
    e = parse_evaluate({"model": files["model"], "baseline": files["model"], "reward_models": files["rms"],
                        "output_dir": files["out"], "demo_heldout": True})
    assert (e.prompt_count, e.temperature, e.max_tokens, e.tie_margin, e.prompts_file, e.samples_per_prompt) == (
        200, 0.7, 64, 0.02, None, 4)
    sft = parse_sft({"base_model": files["model"], "output_dir": files["out"], "train_file": files["train"]})
    assert (sft.epochs, sft.batch_size, sft.seed) == (3, 16, 0)


@pytest.mark.parametrize("change,param", [
    ({"prompts_file": None}, "spec.prompts_file"), ({"demo_heldout": "yes"}, "spec.demo_heldout"),
    ({"demo_heldout": True}, "spec.prompts_file"), ({"baseline": "/nope"}, "spec.baseline"),
    ({"model": 3}, "spec.model"), ({"tie_margin": -0.1}, "spec.tie_margin"), ({"prompt_count": 0}, "spec.prompt_count"),
    ({"temperature": 3}, "spec.temperature"), ({"reward_models": {"safety": "/x"}}, "spec.reward_models.helpfulness"),
    ({"samples_per_prompt": 0}, "spec.samples_per_prompt"), ({"samples_per_prompt": 33}, "spec.samples_per_prompt"),
    ({"samples_per_prompt": 1.5}, "spec.samples_per_prompt"),
])
def test_evaluate_spec_errors_name_the_field(files, change, param):
    body = {"model": files["model"], "baseline": files["model"], "reward_models": files["rms"],
            "output_dir": files["out"], "prompts_file": files["prompts"], **change}
    with pytest.raises(ApiError) as e:
        parse_evaluate(body)
    assert e.value.param == param, e.value.body()


@pytest.mark.parametrize("change,param", [
    ({"train_file": "/nope"}, "spec.train_file"), ({"epochs": 101}, "spec.epochs"), ({"batch_size": 0}, "spec.batch_size"),
    ({"learning_rate": "1e-3"}, "spec.learning_rate"), ({"base_model": None}, "spec.base_model"),
])
def test_sft_spec_errors_name_the_field(files, change, param):
    with pytest.raises(ApiError) as e:
        parse_sft({"base_model": files["model"], "output_dir": files["out"], "train_file": files["train"], **change})
    assert e.value.param == param, e.value.body()


def test_malformed_prompt_and_pool_lines_name_the_line(tmp_path):
    good = {"id": "a", "messages": [{"role": "user", "content": "hi"}], "is_safety": False}
    for change, words in [({"id": ""}, "'id'"), ({"is_safety": "no"}, "is_safety"), ({"messages": []}, "messages"),
                          ({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
                           "end with a user"), ({"messages": [{"role": "bot", "content": "a"}]}, "messages\\[0\\]")]:
        path = tmp_path / "p.jsonl"
        path.write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "id": "b", **change}) + "\n")
        with pytest.raises(DataError, match=f"prompts_file line 3: .*{words}"):
            common.read_prompts(str(path))
    path = tmp_path / "dup.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    with pytest.raises(DataError, match="line 2: duplicate id"):
        common.read_prompts(str(path))
    pool = tmp_path / "best.jsonl"
    pool.write_text(json.dumps({"prompt_id": "a", "messages": good["messages"], "response": "x", "reward": "high"}) + "\n")
    with pytest.raises(DataError, match="pool_files\\[0\\] line 1: 'reward'"):
        read_pool(str(pool), "pool_files[0]")


# -- packing, the answer mask, best-of-K, pooling ---------------------------------------------

def test_the_loss_mask_counts_answer_tokens_only_and_packing_keeps_dialogues_apart(tokenizer, model_dir):
    dialogues = [(Message("user", q), Message("assistant", f"Answer {i}.")) for i, q in enumerate(QUESTIONS[:5])]
    dialogues.append((Message("user", "a"), Message("assistant", "b"), Message("user", "c"), Message("assistant", "d")))
    examples, cut = encode_examples(tokenizer, dialogues, 128)
    assert cut == 0
    for d, (tokens, mask) in zip(dialogues, examples):
        answers = [m.content for m in d if m.role == "assistant"]
        answer_tokens = sum(len(tokenizer.encode(f"{a} ", eos=True)) for a in answers)
        # Each reply's tokens and its EOS count; prompt and [INST] markup do not.
        assert abs(sum(mask) - answer_tokens) <= len(answers), (sum(mask), answer_tokens)
        assert tokenizer.decode([t for t, m in zip(tokens, mask) if m]).replace(" ", "") == "".join(answers).replace(" ", "")
    rows = pack(examples, 64)
    assert sorted(i for r in rows for i in r) == list(range(len(examples)))
    assert all(sum(len(examples[i][0]) for i in r) <= 64 for r in rows) and len(rows) < len(examples)
    model, _ = common.load_policy(model_dir, CPU)
    tokens, mask, positions, attn = packed_batch(examples, rows, CPU)
    assert int(mask.sum()) == sum(sum(m) for _, m in examples)
    with torch.no_grad():
        packed = model(tokens, positions, attn)
        for r, row in enumerate(rows):  # every packed dialogue's logits equal its logits alone
            at = 0
            for i in row:
                t = torch.tensor([examples[i][0]])
                alone = model(t)
                assert torch.allclose(packed[r, at:at + t.shape[1]], alone[0], atol=1e-4)
                at += t.shape[1]


def test_best_of_k_picks_the_highest_reward_and_the_pool_keeps_the_best_per_prompt():
    assert best_of([0.1, 0.7, 0.3, 0.7]) == 1
    assert best_of([0.5]) == 0
    msgs = [{"role": "user", "content": "q"}]
    old = [{"prompt_id": "a", "messages": msgs, "response": "old a", "reward": 0.9},
           {"prompt_id": "b", "messages": msgs, "response": "old b", "reward": 0.2}]
    new = [{"prompt_id": "a", "messages": msgs, "response": "new a", "reward": 0.5},
           {"prompt_id": "b", "messages": msgs, "response": "new b", "reward": 0.6},
           {"prompt_id": "c", "messages": msgs, "response": "new c", "reward": 0.1}]
    pooled = {r["prompt_id"]: r["response"] for r in pool_rows([old, new])}
    assert pooled == {"a": "old a", "b": "new b", "c": "new c"}


def test_sampling_is_seeded_per_batch(model_dir):
    model, tok = common.load_policy(model_dir, CPU)
    prompts = [[Message("user", q)] for q in QUESTIONS]
    a = common.sample(model, tok, prompts, 3, 1.0, 1.0, 8, seed=5)
    b = common.sample(model, tok, prompts, 3, 1.0, 1.0, 8, seed=5)
    c = common.sample(model, tok, prompts, 3, 1.0, 1.0, 8, seed=6)
    assert [[s.token_ids for s in r] for r in a] == [[s.token_ids for s in r] for r in b]
    assert [[s.token_ids for s in r] for r in a] != [[s.token_ids for s in r] for r in c]
    assert all(len(r) == 3 and all(1 <= len(s.token_ids) <= 8 for s in r) for r in a)


# -- the jobs' functions ---------------------------------------------------------------------

def test_sft_raises_the_likelihood_of_its_training_answers(files, tokenizer):
    spec = parse_sft({"base_model": files["model"], "output_dir": files["out"], "train_file": files["train"],
                      "epochs": 3, "learning_rate": 3e-3, "batch_size": 8})
    examples, _ = encode_examples(tokenizer, common.read_dialogues(files["train"]), 64)
    before = answer_logprob(common.load_policy(files["model"], CPU)[0], examples, CPU)
    reports = []
    result = run_sft(spec, CPU, lambda **f: reports.append(f))
    after = answer_logprob(common.load_policy(result["model_dir"], CPU)[0], examples, CPU)
    assert after > before + 1.0, (before, after)
    assert result["examples"] == 24 and result["train_steps"] == 9 and result["final_loss"] > 0
    assert result["model_dir"] == os.path.join(files["out"], "model")
    assert os.path.isfile(os.path.join(result["model_dir"], "tokenizer.model"))
    phases = [r["phase"] for r in reports if "phase" in r]
    assert phases[0] == "tokenizing" and "fine-tuning" in phases and phases[-1] == "saving"
    assert len(reports[-1]["metrics"]["loss_curve"]) == 9


def test_evaluating_a_policy_against_itself_is_all_ties(files):
    spec = parse_evaluate({"model": files["model"], "baseline": files["model"], "reward_models": files["rms"],
                           "output_dir": files["out"], "prompts_file": files["prompts"], "max_tokens": 12, "seed": 3})
    result = run_evaluate(spec, CPU, quiet)
    assert result["samples_per_prompt"] == 4
    for rm in (result["reward_model"], result["single_draw"]["reward_model"]):
        assert (rm["n"], rm["win"], rm["loss"], rm["tie"], rm["win_rate"]) == (8, 0, 0, 8, 0.5)
        assert rm["ci95"][0] < 0.5 < rm["ci95"][1]
        assert (rm["mean_diff"], rm["mean_diff_ci95"], rm["sign_test_p"]) == (0, [0, 0], 1)
    assert result["oracle"] is None and result["rates"] is None
    rows = [json.loads(line) for line in open(result["pairs_file"])]
    assert len(rows) == 8 and all(r["model_responses"] == r["baseline_responses"] for r in rows)
    assert all(len(r["model_responses"]) == 4 and r["model_response"] == r["model_responses"][0] for r in rows)
    assert {"prompt_id", "messages", "model_response", "baseline_response", "model_reward", "baseline_reward",
            "oracle", "model_responses", "baseline_responses", "model_rewards", "baseline_rewards",
            "oracle_samples"} == set(rows[0])


def test_sign_test_and_bootstrap_on_known_inputs():
    assert sign_test_p(0, 0) == 1.0
    assert sign_test_p(5, 0) == 1 / 32
    assert sign_test_p(3, 1) == 5 / 16
    assert sign_test_p(0, 4) == 1.0
    # A constant difference has a degenerate interval at that constant.
    assert bootstrap_ci([0.25] * 10, seed=1) == (0.25, 0.25)
    # Half ones, half zeros over 100 prompts: mean 0.5, standard error 0.05, so about ±0.098.
    values = [1.0, 0.0] * 50
    lo, hi = bootstrap_ci(values, seed=7)
    assert lo == pytest.approx(0.40, abs=0.02) and hi == pytest.approx(0.60, abs=0.02)
    # Deterministic under its seed, and the seed matters.
    assert bootstrap_ci(values, seed=7) == (lo, hi)
    assert bootstrap_ci(values, seed=8) != (lo, hi)
    r = compare([0.9, 0.5, 0.1, 0.51], [0.1, 0.5, 0.9, 0.5], 0.02, seed=0)
    assert (r["win"], r["tie"], r["loss"], r["win_rate"]) == (1, 2, 1, 0.5)
    assert r["mean_diff"] == pytest.approx(0.0025) and r["sign_test_p"] == 0.75
    assert r["mean_diff_ci95"][0] < 0.0025 < r["mean_diff_ci95"][1]
    assert compare([0.9, 0.5, 0.1, 0.51], [0.1, 0.5, 0.9, 0.5], 0.02, seed=0) == r


@pytest.mark.skipif(not os.path.isfile(os.path.join(BUNDLED_MODEL, "config.json")),
                    reason="needs the bundled engine/models/pairwise-tiny-chat")
def test_k_sample_evaluation_compares_per_prompt_means_on_the_demo_world(files, tmp_path):
    """The bundled demo policy against an untrained one on a few held-out prompts, 3 samples each:
    the headline numbers are those of the per-prompt means, `single_draw` those of the first
    sample, both recomputable from pairs.jsonl; the untrained policy loses."""
    spec = parse_evaluate({"model": files["model"], "baseline": BUNDLED_MODEL, "reward_models": files["rms"],
                           "output_dir": str(tmp_path / "ev"), "demo_heldout": True, "prompt_count": 6,
                           "samples_per_prompt": 3, "max_tokens": 16, "seed": 2})
    reports = []
    result = run_evaluate(spec, CPU, lambda **f: reports.append(f))
    assert (result["n"], result["samples_per_prompt"]) == (6, 3)
    rows = [json.loads(line) for line in open(result["pairs_file"])]
    assert len(rows) == 6
    for r in rows:
        assert len(r["model_responses"]) == len(r["baseline_responses"]) == 3
        assert len(r["model_rewards"]) == 3 and len(r["oracle_samples"]["model"]) == 3
        assert r["oracle"]["model"] == pytest.approx(sum(r["oracle_samples"]["model"]) / 3)
        assert r["model_reward"] == pytest.approx(sum(r["model_rewards"]) / 3)
        assert r["model_response"] == r["model_responses"][0]

    def recount(model, baseline):
        diffs = [m - b for m, b in zip(model, baseline)]
        return (sum(d > 0.02 for d in diffs), sum(abs(d) <= 0.02 for d in diffs), sum(d < -0.02 for d in diffs),
                sum(diffs) / len(diffs))

    for judged, pick in ((result["oracle"], lambda r, s: r["oracle"][s]),
                         (result["single_draw"]["oracle"], lambda r, s: r["oracle_samples"][s][0]),
                         (result["reward_model"], lambda r, s: r[f"{s}_reward"]),
                         (result["single_draw"]["reward_model"], lambda r, s: r[f"{s}_rewards"][0])):
        win, tie, loss, diff = recount([pick(r, "model") for r in rows], [pick(r, "baseline") for r in rows])
        assert (judged["win"], judged["tie"], judged["loss"]) == (win, tie, loss)
        assert judged["win_rate"] == pytest.approx((win + tie / 2) / 6, abs=1e-6)
        assert judged["mean_diff"] == pytest.approx(diff, abs=1e-6)
        lo, hi = judged["mean_diff_ci95"]
        assert lo <= judged["mean_diff"] + 1e-9 and judged["mean_diff"] <= hi + 1e-9
    assert result["oracle"]["mean_diff"] < 0 and result["oracle"]["loss"] > result["oracle"]["win"]
    assert set(result["rates"]) == set(result["single_draw"]["rates"]) == {"model", "baseline"}
    assert any(r.get("metrics", {}).get("samples_per_prompt") == 3 for r in reports)
    # Deterministic: the same spec gives the same numbers.
    again = run_evaluate(replace(spec, output_dir=str(tmp_path / "ev2")), CPU, quiet)
    assert again["oracle"] == result["oracle"] and again["single_draw"] == result["single_draw"]


def test_win_tie_loss_and_the_wilson_interval():
    r = win_tie_loss([0.9, 0.5, 0.1, 0.51], [0.1, 0.5, 0.9, 0.5], 0.02)
    assert (r["win"], r["tie"], r["loss"], r["win_rate"]) == (1, 2, 1, 0.5)
    lo, hi = wilson(0.5, 100)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)
    lo, hi = wilson(1.0, 10)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(0.7225, abs=1e-3)


def test_rejection_sampling_writes_the_best_of_k_and_honours_cancel(files, tmp_path):
    spec = parse_rejection_sampling(rs_spec(files, k=4, max_tokens=12, epochs=1, batch_size=4, learning_rate=1e-3))
    result = run_rejection_sampling(spec, CPU, quiet)
    rows = [json.loads(line) for line in open(result["best_file"])]
    assert [r["prompt_id"] for r in rows] == [f"p{i}" for i in range(8)]
    for r in rows:
        assert len(r["rewards"]) == 4 and r["reward"] == max(r["rewards"]) and 0 <= r["reward"] <= 1
    assert result["samples"] == 32 and result["pool_size"] == 8 and result["train_steps"] == 2
    assert result["mean_best_reward"] >= result["mean_reward"]
    # A second round pools the first round's best rows.
    spec2 = replace(spec, output_dir=str(tmp_path / "round2"), pool_files=(result["best_file"],), seed=1)
    stopped = []
    with pytest.raises(Cancelled):
        run_rejection_sampling(spec2, CPU, lambda **f: stopped.append(f.get("phase")),
                               should_stop=lambda: "fine-tuning" in stopped)
    assert os.path.isfile(os.path.join(spec2.output_dir, "best.jsonl"))
    assert not os.path.exists(os.path.join(spec2.output_dir, "model"))


# -- through the HTTP API, and serving the result by directory --------------------------------

@pytest.fixture(scope="module")
def live(model_dir, reward_dir, tmp_path_factory):
    server = LiveServer(model_dir, reward_dir)
    server.runtime.settings = replace(server.runtime.settings, data_dir=str(tmp_path_factory.getbasetemp()))
    yield server
    server.close()


def test_a_rejection_sampling_job_over_http_and_its_policy_served_by_directory(live, reward_dir, tmp_path):
    data = live.runtime.settings.data_dir
    prompts = prompts_file(os.path.join(data, "prompts.jsonl"))
    out = os.path.join(data, "jobs", "rs1")
    body = {"id": "rs1", "kind": "rejection_sampling",
            "spec": {"base_model": live.runtime.policy.path, "output_dir": out, "prompts_file": prompts,
                     "reward_models": {"helpfulness": reward_dir, "safety": reward_dir}, "k": 2, "max_tokens": 8,
                     "epochs": 1, "batch_size": 8}}
    status, snap = live.post("/v1/jobs", body)
    assert status == 202 and snap["kind"] == "rejection_sampling"

    def done():
        _, s = live.request("GET", "/v1/jobs/rs1")
        return s if s["state"] in ("succeeded", "failed", "cancelled") else None
    snap = wait_for(done, 120)
    assert snap["state"] == "succeeded", snap
    result = snap["result"]
    assert set(result) >= {"model_dir", "best_file", "prompts", "samples", "mean_reward", "mean_best_reward",
                           "pool_size", "train_steps", "final_loss", "seconds"}
    assert {"loss_curve", "mean_reward", "mean_best_reward"} <= set(snap["metrics"])
    with open(os.path.join(out, "status.json")) as f:
        assert json.load(f)["state"] == "succeeded"

    # The new policy answers by its directory (absolute, or relative to the data dir) ...
    for name in (result["model_dir"], os.path.relpath(result["model_dir"], data)):
        status, resp = live.post("/v1/chat/completions", {"model": name, "messages": [{"role": "user", "content": "hi"}],
                                                          "max_tokens": 4, "seed": 1})
        assert status == 200, resp
        assert resp["model"] == name and resp["choices"][0]["message"]["role"] == "assistant"
    status, resp = live.post("/v1/completions", {"model": result["model_dir"], "prompt": "hi", "max_tokens": 3,
                                                 "stream": True})
    assert status == 200 and resp[-1] == "[DONE]"
    _, models = live.request("GET", "/v1/models")
    assert os.path.realpath(result["model_dir"]) in [m["id"] for m in models["data"]]
    # ... the start-up policy's own directory is the loaded one; errors are clear.
    status, resp = live.post("/v1/chat/completions", {"model": live.runtime.policy.path, "max_tokens": 2,
                                                      "messages": [{"role": "user", "content": "hi"}]})
    assert status == 200 and resp["model"] == live.runtime.policy.id
    for model, code, param in [("/", 400, "model"), (os.path.join(data, "nothing"), 404, "model"),
                               ("unknown-id", 404, "model"), ("../outside", 400, "model")]:
        status, resp = live.post("/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "x"}]})
        assert status == code and resp["error"]["param"] == param, (model, resp)
    status, resp = live.post("/v1/chat/completions", {"model": os.path.join(data, "nothing"),
                                                      "messages": [{"role": "user", "content": "x"}]})
    assert resp["error"]["code"] == "model_not_found"
    # A reward model's directory under the data dir is not a policy.
    rm_copy = os.path.join(data, "rm")
    import shutil
    shutil.copytree(reward_dir, rm_copy)
    status, resp = live.post("/v1/chat/completions", {"model": rm_copy, "messages": [{"role": "user", "content": "x"}]})
    assert status == 400 and "reward model" in resp["error"]["message"]


def test_a_bad_prompts_line_fails_the_job_with_its_line_and_a_bad_spec_is_a_400(live, reward_dir):
    data = live.runtime.settings.data_dir
    bad = os.path.join(data, "bad-prompts.jsonl")
    with open(bad, "w") as f:
        f.write(json.dumps({"id": "a", "messages": [{"role": "user", "content": "hi"}]}) + "\n")
        f.write(json.dumps({"id": "b", "messages": [{"role": "user", "content": "hi"}], "is_safety": "maybe"}) + "\n")
    spec = {"model": live.runtime.policy.path, "baseline": live.runtime.policy.path, "prompts_file": bad,
            "reward_models": {"helpfulness": reward_dir, "safety": reward_dir}, "output_dir": os.path.join(data, "ev")}
    status, _ = live.post("/v1/jobs", {"id": "ev-bad", "kind": "evaluate", "spec": spec})
    assert status == 202

    def done():
        _, s = live.request("GET", "/v1/jobs/ev-bad")
        return s if s["state"] in ("succeeded", "failed", "cancelled") else None
    snap = wait_for(done, 60)
    assert snap["state"] == "failed" and "prompts_file line 2: 'is_safety'" in snap["error"], snap
    status, body = live.post("/v1/jobs", {"id": "sft-bad", "kind": "sft", "spec": {"base_model": live.runtime.policy.path,
                                                                                   "output_dir": os.path.join(data, "s"),
                                                                                   "train_file": bad, "epochs": 0}})
    assert status == 400 and body["error"]["param"] == "spec.epochs"
