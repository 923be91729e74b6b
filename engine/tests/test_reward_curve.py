"""engine/bench/reward_curve.py: shares of a job's training prompts, whole prompts at a time."""

from __future__ import annotations

import pytest

from engine.bench.reward_curve import main, subset, wilson
from engine.reward.data import Pair
from engine.tokenizer import Message


def _pairs() -> list[Pair]:
    ctx = (Message("user", "Which is bigger, 2 or 3?"),)
    # 10 prompts, prompt i has i % 3 + 1 pairs (overlap items and follow-ups give several).
    return [Pair(f"p{i}", ctx, "3 is bigger.", "2 is bigger.", "significantly_better", "helpfulness")
            for i in range(10) for _ in range(i % 3 + 1)]


def test_a_share_keeps_every_pair_of_the_prompts_it_takes():
    pairs = _pairs()
    half = subset(pairs, 0.5, seed=0)
    kept = {p.prompt_id for p in half}
    assert len(kept) == 5
    for pid in kept:
        assert sum(p.prompt_id == pid for p in half) == sum(p.prompt_id == pid for p in pairs)


def test_shares_are_seeded_and_the_whole_is_everything():
    pairs = _pairs()
    assert subset(pairs, 0.3, seed=1) == subset(pairs, 0.3, seed=1)
    assert subset(pairs, 1.0, seed=5) == pairs
    assert len({p.prompt_id for p in subset(pairs, 0.01, seed=0)}) == 1  # never empty


def test_wilson_interval_brackets_the_rate():
    lo, hi = wilson(0.7, 94)
    assert 0.59 < lo < 0.7 < hi < 0.8
    assert wilson(0.0, 0) == (0.0, 1.0)


def test_a_folder_that_is_not_a_reward_job_is_refused(tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["--job", str(tmp_path)])
    assert e.value.code == 2
    with pytest.raises(SystemExit):
        main(["--job", str(tmp_path), "--fractions", "0"])
