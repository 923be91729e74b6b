"""Simulated annotators behave as their profiles say, measured over many seeded comparisons."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from engine.demo.annotators import (DEGREES, PROFILES, Annotation, Annotator, Comparison, Profile, annotate,
                                    degree_for, safety_label)
from engine.tokenizer import Message

Q = (Message("user", "What is 12 plus 5?"),)
RIGHT, WRONG = "12 + 5 = 17.", "12 + 5 = 18."  # oracle helpfulness 1.0 vs 0.4
UNSAFE = (Message("user", "How do I build a bomb at home?"),)
COMPLY, REFUSE = "Sure, here are the steps: [step one] [step two].", "I cannot help with that."
N = 2000


def run(profile: str, a: str, b: str, messages=Q, axis="helpfulness", first=None, seed=0) -> list[Annotation]:
    annotator = Annotator(profile, seed)
    rng = random.Random(seed)
    return [annotator.annotate(Comparison(messages, a, b, axis, first or rng.choice("AB"))) for _ in range(N)]


def share(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs)


def test_careful_annotators_pick_the_better_answer_decisively():
    labels = run("careful", WRONG, RIGHT)
    assert share(lab.choice == "B" for lab in labels) > 0.99
    assert Counter(lab.degree for lab in labels).most_common(1)[0][0] == "significantly_better"


def test_equal_responses_are_a_coin_flip_and_negligibly_better():
    labels = run("careful", RIGHT, RIGHT)
    assert 0.45 < share(lab.choice == "A" for lab in labels) < 0.55
    assert all(lab.degree == "negligibly_better" for lab in labels)


def test_noisy_annotators_agree_less_and_are_less_decisive():
    careful = run("careful", WRONG, RIGHT)
    noisy = run("noisy", WRONG, RIGHT)
    # Bradley–Terry with T = 0.25 on a gap of 0.6: σ(2.4) = 0.917.
    assert 0.89 < share(lab.choice == "B" for lab in noisy) < 0.94
    assert share(lab.degree == "significantly_better" for lab in noisy) < share(
        lab.degree == "significantly_better" for lab in careful)


def test_position_biased_annotators_prefer_what_they_see_first():
    shown_a = run("position_biased", RIGHT, RIGHT, first="A")
    shown_b = run("position_biased", RIGHT, RIGHT, first="B")
    # σ(1.5) = 0.818 on equal responses; the careful profile has no such bias.
    assert 0.79 < share(lab.choice == "A" for lab in shown_a) < 0.85
    assert 0.79 < share(lab.choice == "B" for lab in shown_b) < 0.85
    assert 0.45 < share(lab.choice == "A" for lab in run("careful", RIGHT, RIGHT, first="A")) < 0.55


def test_careless_annotators_answer_half_at_random_and_fast():
    labels = run("careless", WRONG, RIGHT)
    # Half careful-ish (≈ 0.998 right) plus half coin flips: about 0.75.
    assert 0.71 < share(lab.choice == "B" for lab in labels) < 0.79
    degrees = Counter(lab.degree for lab in labels)
    assert all(degrees[d] > N * 0.08 for d in DEGREES)
    assert max(lab.time_spent_ms for lab in labels) < 6000 < min(lab.time_spent_ms for lab in run("careful", RIGHT, WRONG))


def test_safety_labels_from_the_oracle_verdicts():
    safe_vs_unsafe = run("careful", REFUSE, COMPLY, messages=UNSAFE, axis="safety")
    assert share(lab.choice == "A" for lab in safe_vs_unsafe) > 0.99
    assert all(lab.safety_label == "chosen_safe_other_unsafe" for lab in safe_vs_unsafe if lab.choice == "A")
    both_unsafe = run("careful", COMPLY, COMPLY, messages=UNSAFE, axis="safety")
    assert {lab.safety_label for lab in both_unsafe} == {"both_unsafe"}
    assert {lab.safety_label for lab in run("careful", RIGHT, WRONG)} == {"both_safe"}
    # On the helpfulness axis compliance looks more helpful: chosen unsafe, other safe — flagged, no bin.
    helpful_axis = run("careful", COMPLY, REFUSE, messages=UNSAFE, axis="helpfulness")
    flagged = [lab for lab in helpful_axis if lab.choice == "A"]
    assert len(flagged) > N * 0.9
    assert all(lab.chosen_unsafe_other_safe and lab.safety_label is None for lab in flagged)


def test_degree_thresholds_are_configurable():
    assert [degree_for(s, (0.95, 0.8, 0.6)) for s in (0.99, 0.9, 0.7, 0.55)] == list(DEGREES)
    lenient = Profile("lenient", temperature=0.05, degree_thresholds=(0.6, 0.55, 0.52))
    labels = [annotate(lenient, Comparison(Q, RIGHT, "12 + 5 = 17. I hope this helps."), random.Random(i))
              for i in range(200)]
    strict = [annotate(PROFILES["careful"], Comparison(Q, RIGHT, "12 + 5 = 17. I hope this helps."),
                       random.Random(i)) for i in range(200)]
    assert share(lab.degree == "significantly_better" for lab in labels) > share(
        lab.degree == "significantly_better" for lab in strict)


def test_safety_label_bins():
    assert safety_label(True, False) == ("chosen_safe_other_unsafe", False)
    assert safety_label(True, True) == ("both_safe", False)
    assert safety_label(False, False) == ("both_unsafe", False)
    assert safety_label(False, True) == (None, True)


def test_same_seed_same_annotations_and_json_shape():
    assert run("noisy", WRONG, RIGHT, seed=3)[:50] == run("noisy", WRONG, RIGHT, seed=3)[:50]
    assert run("noisy", WRONG, RIGHT, seed=3)[:50] != run("noisy", WRONG, RIGHT, seed=4)[:50]
    js = run("careful", WRONG, RIGHT)[0].to_json()
    assert set(js) == {"choice", "degree", "safetyLabel", "chosenUnsafeOtherSafe", "timeSpentMs"}


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError):
        Annotator("careful").annotate(Comparison(Q, RIGHT, WRONG, axis="honesty"))
    with pytest.raises(ValueError):
        Annotator("careful").annotate(Comparison(Q, RIGHT, WRONG, shown_first="left"))
