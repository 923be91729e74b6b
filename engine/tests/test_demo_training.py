"""Corpus imperfection rates, the SFT loss mask, the loss itself, and a seconds-long build."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re

import pytest
import torch
import torch.nn.functional as F

from engine import checkpoint
from engine.demo import oracle
from engine.demo.build import build, smoke_config
from engine.demo.corpus import PREFIXES, SUFFIXES, CorpusConfig, Imperfections, demonstrations
from engine.demo.families import heldout_prompts
from engine.demo.tables import CAPITALS, WORDS
from engine.demo.train import TrainConfig, encode_sft, lr_at, masked_lm_loss
from engine.tokenizer import Message, Tokenizer, train_tokenizer


@pytest.fixture(scope="module")
def demos():
    return demonstrations(CorpusConfig(seed=3, n_demos=4000))


def test_imperfection_rates_match_the_config(demos):
    dialogues, stats = demos
    imp = Imperfections()
    helpful = sum(v for k, v in stats.items() if k in ("canonical", "wrong", "verbose", "needless_refusal")) - sum(
        v for k, v in stats.items() if k == "family:borderline")
    assert abs(stats["wrong"] / helpful - imp.wrong) < 0.03
    assert abs(stats["verbose"] / helpful - imp.verbose) < 0.03
    unsafe = stats["comply"] + stats["refuse"]
    mean_comply = sum(dict(imp.comply).values()) / len(imp.comply)
    assert abs(stats["comply"] / unsafe - mean_comply) < 0.06
    # The oracle sees the same imperfections: wrong demos are wrong, compliant ones unsafe.
    verdicts = [oracle.score(d[:-1], d[-1].content).verdict for d in dialogues]
    assert verdicts.count("unsafe_compliance") == stats["comply"]


def test_demonstrations_are_seeded_and_skip_the_heldout_prompts(demos):
    again = demonstrations(CorpusConfig(seed=3, n_demos=4000))
    assert again == demos
    heldout = frozenset(p.messages[0].content for p in heldout_prompts())
    dialogues, stats = demonstrations(CorpusConfig(seed=3, n_demos=4000), exclude=heldout)
    assert stats["skipped_heldout"] > 0
    assert not any(d[0].content in heldout for d in dialogues)


def test_verbose_and_wrong_demonstrations_score_as_intended():
    dialogues, _ = demonstrations(CorpusConfig(seed=5, n_demos=3000, imperfections=Imperfections(wrong=0.3, verbose=0.5)))
    seen = {"verbose": 0, "wrong": 0}
    for d in dialogues:
        prompt = d[:-1]
        reference = oracle.reference(prompt)
        reply = d[-1].content
        parsed = oracle.parse(prompt)
        if parsed.family.group != "helpful" or reply == reference:
            continue
        s = oracle.score(prompt, reply)
        if reference in reply:  # verbose: the canonical answer, intact, inside filler
            seen["verbose"] += 1
            assert s.correct and s.concise < 1.0, (reply, s)
            # Filler on the same line breaks only the bare formats: a list alone, a word in capitals.
            assert s.format_ok == (parsed.task.check not in ("upper", "list")), (reply, s)
            assert re.search(r"[.!?]( |\n)" + re.escape(reference) + r"(\n| )[A-Z]", reply), reply
        elif s.verdict != "refusal":
            seen["wrong"] += 1
            assert not s.correct, (prompt, reply)
    assert seen["verbose"] > 500 and seen["wrong"] > 300


def test_filler_never_changes_what_the_oracle_extracts():
    filler = " ".join(PREFIXES + SUFFIXES)
    assert not re.search(r"\d|\b[A-Z]{2,}\b", filler)
    assert not set(re.findall(r"[a-z]+", filler)) & set(WORDS)
    assert not any(c in filler for c in CAPITALS.values())


def test_sft_mask_covers_exactly_the_assistant_replies(tmp_path):
    path = str(tmp_path / "tok.model")
    train_tokenizer(path, vocab_size=400)
    tok = Tokenizer(path)
    dialog = [Message("user", "What is 2 plus 2?"), Message("assistant", "2 + 2 = 4."),
              Message("user", "Now add 1 to that."), Message("assistant", "4 + 1 = 5.")]
    tokens, mask = encode_sft(tok, dialog)
    assert tokens == tok.encode_dialog(dialog)
    spans, cur = [], []
    for t, m in zip(tokens, mask):
        if m:
            cur.append(t)
        elif cur:
            spans.append(cur)
            cur = []
    spans.append(cur)
    assert [s[-1] for s in spans] == [tok.eos_id, tok.eos_id]
    assert [tok.decode(s[:-1]).strip() for s in spans] == ["2 + 2 = 4.", "4 + 1 = 5."]
    with pytest.raises(ValueError):
        encode_sft(tok, dialog[:3])


def test_masked_loss_matches_hand_computation():
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 5)
    tokens = torch.tensor([[1, 2, 3, 4], [0, 1, 2, 3]])
    mask = torch.tensor([[0, 0, 1, 1], [0, 1, 0, 0]])
    # Counted targets: row 0 positions 2, 3 (predicted from 1, 2); row 1 position 1 (from 0).
    expected = (F.cross_entropy(logits[0, 1], tokens[0, 2]) + F.cross_entropy(logits[0, 2], tokens[0, 3])
                + F.cross_entropy(logits[1, 0], tokens[1, 1])) / 3
    assert torch.allclose(masked_lm_loss(logits, tokens, mask), expected)


def test_lr_schedule_warms_up_then_decays_to_the_floor():
    cfg = TrainConfig(steps=100, lr=1.0, warmup=10, min_lr_ratio=0.1)
    assert lr_at(0, cfg) == pytest.approx(0.1)
    assert lr_at(9, cfg) == pytest.approx(1.0)
    assert lr_at(55, cfg) == pytest.approx(0.55)
    assert lr_at(100, cfg) == pytest.approx(0.1)
    assert all(lr_at(s, cfg) >= lr_at(s + 1, cfg) for s in range(10, 100))


def test_smoke_build_is_deterministic_and_loads(tmp_path):
    cfg = smoke_config()
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    info = build(cfg, a, log=lambda s: None)
    build(cfg, b, log=lambda s: None)
    for name in ("config.json", "model.safetensors", "tokenizer.model", "build-info.json"):
        assert os.path.isfile(os.path.join(a, name))
    with open(os.path.join(a, "model.safetensors"), "rb") as fa, open(os.path.join(b, "model.safetensors"), "rb") as fb:
        assert fa.read() == fb.read()
    assert info["corpus"]["demonstrations"] == cfg.corpus.n_demos
    assert math.isfinite(info["loss"]["sft_final"])
    with open(os.path.join(a, "build-info.json")) as f:
        assert json.load(f)["seed"] == 0
    model, ckpt = checkpoint.load_model(a)
    assert ckpt.extra["demo_world"] is True
    assert model.args.n_kv_heads < model.args.n_heads  # grouped-query attention
    other = build(dataclasses.replace(cfg, seed=1), str(tmp_path / "c"), log=lambda s: None)
    assert other["loss"] != info["loss"]
