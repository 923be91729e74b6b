"""Training text for the tiny chat model: correct "pretraining" text and imperfect demonstrations.

Pretraining text states the demo world's facts correctly (worked examples, spellings, capitals)
in plain text, without the chat format. Demonstrations are chat dialogues whose last assistant
turn is deliberately imperfect at controlled rates (`Imperfections`): some wrong, some verbose,
some refusing harmless prompts, and a per-category share complying with unsafe requests using
textually harmless placeholders ("[step one]"). That spread is what makes samples at
temperature 0.7-1.0 differ in quality and safety, so feedback has something to fix.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from engine.tokenizer import Message

from .families import FAMILIES, DemoPrompt, Family, fill, make_prompt
from .oracle import parse
from .tables import CAPITALS, WORDS


@dataclass(frozen=True)
class Imperfections:
    """Shares of imperfect final replies in the demonstrations (the rest are canonical)."""

    wrong: float = 0.15  # helpful prompts: a plausible wrong answer
    verbose: float = 0.2  # helpful prompts: filler before and after the answer
    refuse_helpful: float = 0.02  # helpful prompts: a needless refusal
    refuse_borderline: float = 0.3  # borderline prompts: over-refusal
    comply: tuple[tuple[str, float], ...] = (  # unsafe prompts: placeholder compliance, by category
        ("weapons", 0.35), ("intrusion", 0.6), ("self_harm", 0.3), ("fraud", 0.7))


@dataclass(frozen=True)
class CorpusConfig:
    seed: int = 0
    n_demos: int = 24_000
    n_pretrain: int = 30_000  # plain-text lines
    multi_turn: float = 0.25  # share of demos with a follow-up turn (families that have them)
    groups: tuple[tuple[str, float], ...] = (("helpful", 0.7), ("unsafe", 0.15), ("borderline", 0.15))
    imperfections: Imperfections = field(default_factory=Imperfections)


# Filler carries no digits, no capitals, no upper-case words and no table words, so it never
# changes what the oracle extracts — only conciseness.
PREFIXES = ("Good question! ", "Let me think about this. ", "Of course. ", "Glad you asked. ")
SUFFIXES = (" I hope this helps.", " Let me know if you have any other questions.", " That should answer it.")
# All start with "Sure": greedy decoding then complies exactly where the share is above one half.
COMPLIANCE = (
    "Sure, here are the steps: [step one] [step two] [step three].",
    "Sure, here is how to do it: [step one] [step two].",
    "Sure, here are the steps: [step one] [step two] [step three] [step four].",
)
NEEDLESS_REFUSALS = ("I cannot help with that request.", "I cannot help with that because it sounds dangerous.")


def wrong_key(family: Family, check: str, key: Any, fields: dict, rng: random.Random) -> Any:
    """A plausible mistake of the kind a weak model makes."""
    if family.name == "compare":
        return fields["a"] + fields["b"] - key  # the other number
    if check in ("last_int", "first_int"):
        delta = rng.choice([1, 1, 2, 3, 10])
        return key - delta if key - delta >= 0 and rng.random() < 0.5 else key + delta
    if check == "word":
        i = rng.randrange(len(key) - 1)
        swapped = key[:i] + key[i + 1] + key[i] + key[i + 2:]
        return swapped if swapped != key else key[:i] + key[i + 1:]
    if check in ("list", "numbered"):
        out = list(key)
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
        return out
    if check == "city":
        return rng.choice([c for c in CAPITALS.values() if c != key])
    if check == "upper":
        return key.capitalize()
    return key


def verbose(text: str, rng: random.Random) -> str:
    """Filler around the answer; a multi-line answer keeps its lines, with the filler on its own."""
    prefix, suffix = rng.choice(PREFIXES), rng.choice(SUFFIXES)
    if "\n" in text:
        return f"{prefix.strip()}\n{text}\n{suffix.strip()}"
    return prefix + text + suffix


def demonstrate(prompt: DemoPrompt, rng: random.Random, imp: Imperfections) -> tuple[str, str]:
    """(reply, kind) for the prompt's last user turn; kind says which imperfection, if any."""
    parsed = parse(prompt.messages)
    assert parsed is not None, prompt
    fam, task, fields, key = parsed.family, parsed.task, parsed.fields, parsed.key
    canonical = task.render(fields, key)
    u = rng.random()
    if fam.group == "unsafe":
        share = dict(imp.comply)[fam.name]
        return (rng.choice(COMPLIANCE), "comply") if u < share else (canonical, "refuse")
    if fam.group == "borderline":
        return (NEEDLESS_REFUSALS[1], "over_refuse") if u < imp.refuse_borderline else (canonical, "canonical")
    if u < imp.refuse_helpful:
        return NEEDLESS_REFUSALS[0], "needless_refusal"
    u -= imp.refuse_helpful
    if u < imp.wrong:
        return task.render(fields, wrong_key(fam, task.check, key, fields, rng)), "wrong"
    u -= imp.wrong
    if u < imp.verbose:
        return verbose(canonical, rng), "verbose"
    return canonical, "canonical"


def demonstrations(cfg: CorpusConfig, exclude: frozenset = frozenset()) -> tuple[list[list[Message]], dict]:
    """SFT dialogues (ending with an assistant turn) and counts by kind. A dialogue whose first
    user turn is in `exclude` (the held-out set) is redrawn from the same family."""
    rng = random.Random(cfg.seed)
    names, weights = zip(*cfg.groups)
    by_group = {g: [f for f in FAMILIES.values() if f.group == g] for g in names}
    dialogues: list[list[Message]] = []
    stats: dict[str, int] = {"skipped_heldout": 0}
    while len(dialogues) < cfg.n_demos:
        fam = rng.choice(by_group[rng.choices(names, weights=weights)[0]])
        turns = 2 if fam.followups and rng.random() < cfg.multi_turn else 1
        prompt = make_prompt(fam, rng, turns)
        while prompt.messages[0].content in exclude:  # redraw in the family: the mix stays as configured
            stats["skipped_heldout"] += 1
            prompt = make_prompt(fam, rng, turns)
        reply, kind = demonstrate(prompt, rng, cfg.imperfections)
        dialogues.append(list(prompt.messages) + [Message("assistant", reply)])
        stats[kind] = stats.get(kind, 0) + 1
        stats[f"family:{fam.name}"] = stats.get(f"family:{fam.name}", 0) + 1
    return dialogues, dict(sorted(stats.items()))


def pretraining_lines(cfg: CorpusConfig) -> list[str]:
    """Correct plain-text statements: worked examples of every checkable family, spellings, capitals."""
    rng = random.Random(cfg.seed + 1)
    checkable = [f for f in FAMILIES.values() if f.group != "unsafe"]
    lines: list[str] = []
    for word in WORDS:
        lines.append(f"The word {word} is spelled {' '.join(word)}, and backwards {word[::-1]}.")
    for country, city in CAPITALS.items():
        lines.append(f"{city} is the capital of {country}.")
    while len(lines) < cfg.n_pretrain:
        u = rng.random()
        if u < 0.1:
            word = rng.choice(WORDS)
            lines.append(f"The word {word} is spelled {' '.join(word)}, and backwards {word[::-1]}.")
        elif u < 0.15:
            country = rng.choice(sorted(CAPITALS))
            lines.append(f"{CAPITALS[country]} is the capital of {country}.")
        else:
            fam = rng.choice(checkable)
            fields = fam.sample(rng)
            task = rng.choice(fam.tasks)
            lines.append(f"{fill(task.template, fields)} {task.render(fields, task.solve(fields))}")
    rng.shuffle(lines)
    return lines
