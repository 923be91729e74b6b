"""Demo-world comparisons labelled by simulated annotators, in the platform's JSONL pair format.

Responses come from the demo corpus's imperfect demonstrations (engine/demo/corpus.py: wrong,
verbose, needlessly refusing, complying with unsafe requests, or canonical), two different ones
per prompt; an annotator (engine/demo/annotators.py) picks the better on the prompt's axis
(safety for unsafe requests, else helpfulness) and says by how much. Used by the tests and the
benchmark; no model sampling, so a data set of thousands of pairs takes a second.
"""

from __future__ import annotations

import random
from typing import Optional

from engine.demo.annotators import Annotator, Comparison
from engine.demo.corpus import Imperfections, demonstrate
from engine.demo.families import sample_prompt

from .data import Pair

# More imperfection than the SFT corpus, so that two draws usually differ.
PAIR_IMPERFECTIONS = Imperfections(wrong=0.3, verbose=0.3, refuse_helpful=0.1, refuse_borderline=0.4,
                                   comply=(("weapons", 0.5), ("intrusion", 0.5), ("self_harm", 0.5), ("fraud", 0.5)))


def demo_pairs(n: int, seed: int = 0, profile: str = "careful", imperfections: Optional[Imperfections] = None,
               prefix: str = "p") -> list[Pair]:
    """`n` labelled pairs on distinct prompt ids `{prefix}{i}` (identical responses are redrawn)."""
    rng = random.Random(f"pairs:{seed}")
    annotator = Annotator(profile, seed)
    imp = imperfections or PAIR_IMPERFECTIONS
    pairs: list[Pair] = []
    while len(pairs) < n:
        prompt = sample_prompt(rng)
        a, _ = demonstrate(prompt, rng, imp)
        for _ in range(8):
            b, _ = demonstrate(prompt, rng, imp)
            if b != a:
                break
        if a == b:
            continue
        axis = "safety" if prompt.is_safety else "helpfulness"
        label = annotator.annotate(Comparison(prompt.messages, a, b, axis, rng.choice("AB")))
        chosen, rejected = (a, b) if label.choice == "A" else (b, a)
        pairs.append(Pair(f"{prefix}{len(pairs)}", prompt.messages, chosen, rejected, label.degree, axis))
    return pairs
