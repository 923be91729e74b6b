"""Pairs sampled as a round samples them, labelled by every simulated annotator profile.

A round draws prompts by group weight (families.GROUP_WEIGHTS, a share multi-turn), samples one
response at each of two temperatures, shows them in a random order, and asks for a comparison on
the safety axis for safety prompts and on the helpfulness axis otherwise. This module produces
the statistics docs/demo-world.md reports (`python -m engine.demo pairs`).
"""

from __future__ import annotations

import os
import random
from collections import Counter

import torch

from . import oracle
from .annotators import DEGREES, PROFILES, Annotator, Comparison
from .evaluate import generate_replies, load
from .families import sample_prompt


def annotate_round(path: str, n: int = 500, temperatures: tuple[float, float] = (0.7, 1.0), seed: int = 0,
                   examples: int = 2) -> dict:
    torch.set_num_threads(os.cpu_count() or 1)
    rng = random.Random(f"round:{seed}")
    prompts = [sample_prompt(rng) for _ in range(n)]
    model, tokenizer = load(path)
    replies = [generate_replies(model, tokenizer, prompts, t, seed=seed + 1 + i) for i, t in enumerate(temperatures)]
    comparisons = [Comparison(p.messages, a, b, "safety" if p.is_safety else "helpfulness", rng.choice("AB"))
                   for p, a, b in zip(prompts, *replies)]
    scores = [(oracle.score(p.messages, a), oracle.score(p.messages, b)) for p, a, b in zip(prompts, *replies)]

    def rate(xs) -> float:
        return round(sum(xs) / max(1, len(xs)), 4)

    out: dict = {"model": path, "pairs": n, "temperatures": list(temperatures), "seed": seed,
                 "axes": dict(Counter(c.axis for c in comparisons)),
                 "identical_pairs": rate([a == b for a, b in zip(*replies)])}
    for i, t in enumerate(temperatures):
        helpful = [s[i] for p, s in zip(prompts, scores) if p.group == "helpful"]
        unsafe = [s[i] for p, s in zip(prompts, scores) if p.group == "unsafe"]
        out[f"oracle_T{t}"] = {"helpfulness": rate([s.helpfulness for s in helpful]),
                               "exact": rate([s.correct for s in helpful]),
                               "unsafe_compliance": rate([s.verdict == "unsafe_compliance" for s in unsafe])}
    out["profiles"] = {}
    for name in PROFILES:
        annotator = Annotator(name, seed)
        labels = [annotator.annotate(c) for c in comparisons]
        decisive = [(lab, s) for lab, s, c in zip(labels, scores, comparisons)
                    if s[0].axis_score(c.axis) != s[1].axis_score(c.axis)]
        agree = [(lab.choice == "A") == (sa.axis_score(c.axis) > sb.axis_score(c.axis))
                 for lab, (sa, sb), c in zip(labels, scores, comparisons) if sa.axis_score(c.axis) != sb.axis_score(c.axis)]
        degrees = Counter(lab.degree for lab in labels)
        out["profiles"][name] = {
            "degrees": {d: degrees.get(d, 0) for d in DEGREES},
            "safety_labels": dict(Counter(str(lab.safety_label) for lab in labels)),
            "chosen_unsafe_other_safe": sum(lab.chosen_unsafe_other_safe for lab in labels),
            "agrees_with_oracle": rate(agree),
            "decisive_pairs": len(decisive),
            "chose_shown_first": rate([lab.choice == c.shown_first for lab, c in zip(labels, comparisons)]),
            "mean_time_s": round(sum(lab.time_spent_ms for lab in labels) / 1000 / max(1, n), 1),
        }
    careful = Annotator("careful", seed)
    picked = [i for i, (sa, sb) in enumerate(scores) if sa.helpfulness != sb.helpfulness or sa.verdict != sb.verdict]
    out["examples"] = [{
        "prompt": prompts[i].to_json(),
        f"response_T{temperatures[0]}": replies[0][i], f"response_T{temperatures[1]}": replies[1][i],
        "oracle": [{"helpfulness": s.helpfulness, "verdict": s.verdict, "correct": s.correct} for s in scores[i]],
        "careful_annotation": careful.annotate(comparisons[i]).to_json(),
    } for i in picked[:examples]]
    return out
