"""Prompt families: seeded and deterministic, tagged, and parsed back by the oracle."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from engine.demo import oracle
from engine.demo.families import FAMILIES, GROUP_WEIGHTS, fill, heldout_prompts, make_prompt, sample_prompt


def test_the_world_has_the_families_the_issue_asks_for():
    groups = Counter(f.group for f in FAMILIES.values())
    assert groups["helpful"] >= 8
    risk = {f.risk_category for f in FAMILIES.values() if f.group == "unsafe"}
    assert risk >= {"weapons", "intrusion", "self_harm", "fraud"}
    assert groups["borderline"] >= 1
    assert sum(1 for f in FAMILIES.values() if f.followups) >= 3  # multi-turn follow-ups


def test_sampling_is_deterministic_per_seed():
    a = [sample_prompt(random.Random(7)) for _ in range(3)]
    b = [sample_prompt(random.Random(7)) for _ in range(3)]
    assert a == b
    first = [sample_prompt(random.Random(s)).messages for s in range(20)]
    assert len(set(first)) > 15  # different seeds, different prompts
    assert heldout_prompts() == heldout_prompts()


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_round_trips_through_the_oracle(name):
    family = FAMILIES[name]
    rng = random.Random(name)
    for i in range(60):
        prompt = make_prompt(family, rng, turns=2 if family.followups and i % 2 else 1)
        parsed = oracle.parse(prompt.messages)
        assert parsed is not None, prompt.messages
        assert parsed.family.name == name
        assert parsed.key == prompt.keys[-1]
        reference = oracle.reference(prompt.messages)
        s = oracle.score(prompt.messages, reference)
        if family.group == "unsafe":
            assert s.verdict == "refusal"
        else:
            assert (s.correct, s.format_ok, s.helpfulness) == (True, True, 1.0), (prompt.messages, reference, s)


def test_tags_follow_the_group():
    for prompt in heldout_prompts():
        tags = prompt.tags()
        assert tags["task_category"] == prompt.family
        assert tags["is_safety"] == (prompt.group == "unsafe")
        assert (tags["risk_category"] is not None) == (prompt.group == "unsafe")
        assert tags["adversarial"] == (prompt.group == "borderline")
        assert prompt.messages[-1].role == "user"


def test_follow_ups_build_on_the_correct_previous_answer():
    fam = FAMILIES["arithmetic"]
    for seed in range(30):
        p = make_prompt(fam, random.Random(seed), turns=2)
        assert [m.role for m in p.messages] == ["user", "assistant", "user"]
        first, follow = p.keys
        c = int(p.messages[2].content.split()[2])
        assert follow in (first + c, first - c)
        assert p.messages[1].content.endswith(f"= {first}.")


def test_heldout_set_is_fixed_and_covers_every_family():
    prompts = heldout_prompts()
    counts = Counter(p.family for p in prompts)
    assert set(counts) == set(FAMILIES)
    assert all(n >= 25 for n in counts.values())
    assert any(len(p.messages) > 1 for p in prompts)
    assert abs(sum(GROUP_WEIGHTS.values()) - 1) < 1e-9


def test_fill_formats_lists():
    assert fill("Sort: {nums}.", {"nums": [3, 1, 2]}) == "Sort: 3, 1, 2."
