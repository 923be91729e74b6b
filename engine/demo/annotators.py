"""Simulated annotators: a preference, a degree and a safety label drawn from the oracle.

Given a comparison (dialogue, two responses, the axis, which response is shown first) an
annotator with profile P:
  1. scores both responses with the oracle on the comparison's axis (s_A, s_B);
  2. chooses A with the Bradley–Terry probability σ((s_A − s_B) / P.temperature + bias), where
     bias = ±P.position_bias favours whichever response is shown first;
  3. maps the strength — the unbiased probability of the response it chose — to a degree by
     P.degree_thresholds (at least t[0]: significantly_better, t[1]: better, t[2]:
     slightly_better, otherwise negligibly_better; a choice against the scores is negligible);
  4. labels safety from the oracle verdicts: `chosen_safe_other_unsafe`, `both_safe`,
     `both_unsafe`; chosen-unsafe / other-safe is no bin: safety_label None and the flag
     `chosen_unsafe_other_safe` (such pairs are left out of the safety reward model's data).
A careless annotator skips all that for a share of comparisons and answers at random.

The function interface mirrors the annotation API (prisma: Annotation.choice, degree,
safetyLabel, chosenUnsafeOtherSafe, timeSpentMs), so an HTTP client can wrap it unchanged.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Optional, Sequence

from engine.tokenizer import Message

from . import oracle

DEGREES = ("significantly_better", "better", "slightly_better", "negligibly_better")
SAFETY_LABELS = ("chosen_safe_other_unsafe", "both_safe", "both_unsafe")
CHOICES = ("A", "B")


@dataclass(frozen=True)
class Profile:
    name: str
    temperature: float  # Bradley–Terry scale on oracle scores in [0, 1]: lower = more decisive
    position_bias: float = 0.0  # logit bonus for the response shown first
    careless: float = 0.0  # share of comparisons answered at random (choice, degree and label)
    degree_thresholds: tuple[float, float, float] = (0.95, 0.8, 0.6)
    safety_label_noise: float = 0.0  # share of safety labels replaced by a random bin
    seconds: tuple[float, float] = (20.0, 60.0)  # time spent, uniform in this range


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("careful", temperature=0.05),
    Profile("noisy", temperature=0.25, safety_label_noise=0.1, seconds=(10.0, 40.0)),
    Profile("position_biased", temperature=0.08, position_bias=1.5, seconds=(8.0, 30.0)),
    Profile("careless", temperature=0.1, careless=0.5, safety_label_noise=0.3, seconds=(2.0, 6.0)),
)}


@dataclass(frozen=True)
class Comparison:
    messages: tuple[Message, ...]  # the dialogue so far, ending with the user turn
    response_a: str
    response_b: str
    axis: str = "helpfulness"  # helpfulness | safety
    shown_first: str = "A"  # which response the interface displays first (left)


@dataclass(frozen=True)
class Annotation:
    choice: str  # A | B, in variant terms
    degree: str
    safety_label: Optional[str]  # None only when the chosen response is unsafe and the other safe
    chosen_unsafe_other_safe: bool
    time_spent_ms: int

    def to_json(self) -> dict:
        return {"choice": self.choice, "degree": self.degree, "safetyLabel": self.safety_label,
                "chosenUnsafeOtherSafe": self.chosen_unsafe_other_safe, "timeSpentMs": self.time_spent_ms}


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def degree_for(strength: float, thresholds: Sequence[float]) -> str:
    for name, t in zip(DEGREES, thresholds):
        if strength >= t:
            return name
    return DEGREES[-1]


def safety_label(chosen_safe: bool, other_safe: bool) -> tuple[Optional[str], bool]:
    if chosen_safe and not other_safe:
        return "chosen_safe_other_unsafe", False
    if chosen_safe and other_safe:
        return "both_safe", False
    if not chosen_safe and not other_safe:
        return "both_unsafe", False
    return None, True


def annotate(profile: Profile, comparison: Comparison, rng: random.Random) -> Annotation:
    if comparison.axis not in oracle.AXES:
        raise ValueError(f"axis must be one of {oracle.AXES}")
    if comparison.shown_first not in CHOICES:
        raise ValueError("shown_first must be A or B")
    sa = oracle.score(comparison.messages, comparison.response_a)
    sb = oracle.score(comparison.messages, comparison.response_b)
    time_ms = int(1000 * rng.uniform(*profile.seconds))
    if rng.random() < profile.careless:
        choice = rng.choice(CHOICES)
        label = rng.choice(SAFETY_LABELS + (None,))
        return Annotation(choice, rng.choice(DEGREES), label, label is None, time_ms)
    logit = (sa.axis_score(comparison.axis) - sb.axis_score(comparison.axis)) / profile.temperature
    bias = profile.position_bias if comparison.shown_first == "A" else -profile.position_bias
    choice = "A" if rng.random() < sigmoid(logit + bias) else "B"
    p_a = sigmoid(logit)
    strength = p_a if choice == "A" else 1.0 - p_a
    degree = degree_for(strength, profile.degree_thresholds) if strength > 0.5 else DEGREES[-1]
    chosen, other = (sa, sb) if choice == "A" else (sb, sa)
    label, flagged = safety_label(chosen.safe, other.safe)
    if rng.random() < profile.safety_label_noise:
        label = rng.choice(SAFETY_LABELS + (None,))
        flagged = label is None
    return Annotation(choice, degree, label, flagged, time_ms)


class Annotator:
    """A simulated annotator with its own seeded random stream."""

    def __init__(self, profile: Profile | str, seed: int = 0):
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.rng = random.Random(f"{self.profile.name}:{seed}")

    def annotate(self, comparison: Comparison) -> Annotation:
        return annotate(self.profile, comparison, self.rng)
