"""Learning curve: reward-model accuracy against the number of annotations it trains on.

    python -m engine.bench.reward_curve --job DIR [--axis helpfulness] [--fractions 0.25 0.5 1]
                                        [--epochs 3] [--lr 3e-3] [--batch 16] [--base MODEL_DIR]

DIR is a `train_reward` job folder the platform wrote (e.g. the last one of an `npm run loop` run,
`<data dir>/jobs/<job id>/`): `<axis>-train.jsonl` and `<axis>-test.jsonl`. Each row trains the
job's code path (`train_reward`) on the pairs of a seeded share of the training prompts (all
pairs of a prompt go together, as the platform's split does) and scores the same test file, so
the rows differ only in how much data the model saw. Prints the Table 8 cells of the axis's test
set with n and a Wilson 95 % interval for significantly-better pairs, and the time of each row.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time

import torch

from engine import checkpoint
from engine.demo import oracle
from engine.rlhf.evaluate import wilson
from engine.reward.data import encode_pairs, read_pairs, write_pairs
from engine.reward.spec import parse_train_reward
from engine.reward.train import score_pairs, train_reward
from engine.tokenizer import Tokenizer
from engine.runtime import BUNDLED_MODEL

SMALL_MARGINS = [1, 2 / 3, 1 / 3, 0]  # the platform's "small" preset (lib/shared/jobs.ts), the loop's


def subset(pairs: list, fraction: float, seed: int) -> list:
    """The pairs of a seeded `fraction` of the distinct prompts (every pair of a chosen prompt)."""
    prompts = sorted({p.prompt_id for p in pairs})
    random.Random(f"curve:{seed}").shuffle(prompts)
    keep = set(prompts[: max(1, round(fraction * len(prompts)))])
    return [p for p in pairs if p.prompt_id in keep]


def by_family(model_dir: str, test_path: str) -> None:
    """Accuracy of the model in `model_dir` on significantly-better test pairs, by the oracle's
    family and by what separates the two replies (a correct answer against a wrong one, or only
    format, length or refusal)."""
    model, _ = checkpoint.load_model(model_dir)
    model.eval()
    tokenizer = Tokenizer(os.path.join(model_dir, "tokenizer.model"))
    raw = [p for p in read_pairs(test_path, "test") if p.degree == "significantly_better"]
    encoded, _ = encode_pairs(tokenizer, raw, model.args.max_seq_len)
    scores = score_pairs(model, encoded, torch.device("cpu"))
    cells: dict[tuple[str, str], list[int]] = {}
    for pair, (rc, rr) in zip(raw, scores):
        c, r = oracle.score(pair.context, pair.chosen), oracle.score(pair.context, pair.rejected)
        kind = "correct vs wrong" if c.correct != r.correct else "format / length / refusal"
        for key in ((c.family or "unrecognised", kind), ("all", kind)):
            cell = cells.setdefault(key, [0, 0])
            cell[0] += int(rc > rr)
            cell[1] += 1
    print("\nSignificantly-better test pairs of the last row, by family and by what separates the replies:")
    print("| family | correct vs wrong | format / length / refusal |")
    print("|---|---|---|")
    for fam in sorted({f for f, _ in cells}, key=lambda f: (f == "all", f)):
        row = [cells.get((fam, k)) for k in ("correct vs wrong", "format / length / refusal")]
        print(f"| {fam} | " + " | ".join(f"{100 * a / n:.0f} % ({n})" if n else "—" for a, n in
                                         (x or (0, 0) for x in row)) + " |", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m engine.bench.reward_curve", description=__doc__.split("\n")[0])
    ap.add_argument("--job", required=True, help="a train_reward job folder with <axis>-train/-test.jsonl")
    ap.add_argument("--axis", choices=["helpfulness", "safety"], default="helpfulness")
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    ap.add_argument("--epochs", type=int, nargs="+", default=[3])
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--base", default=BUNDLED_MODEL, help="the model the reward model starts from")
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args(argv)
    for f in args.fractions:
        if not 0 < f <= 1:
            ap.error(f"--fractions must be in (0, 1], got {f}")
    train_path = os.path.join(args.job, f"{args.axis}-train.jsonl")
    test_path = os.path.join(args.job, f"{args.axis}-test.jsonl")
    for p in (train_path, test_path):
        if not os.path.isfile(p):
            ap.error(f"{p} does not exist: --job must be a train_reward job folder")
    pairs = read_pairs(train_path, "train")
    torch.set_num_threads(int(os.environ.get("ENGINE_THREADS", "2")))

    rows = []
    print(f"{args.axis} reward model from {os.path.basename(args.base.rstrip('/'))}, test set {test_path}")
    print("| annotations (train pairs) | of them on the axis | epochs | significantly better [95 % CI] "
          "| better | slightly | negligibly | average | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for fraction in sorted(args.fractions):
            part = subset(pairs, fraction, args.seed)
            train = os.path.join(tmp, f"train-{fraction}.jsonl")
            write_pairs(train, part)
            for epochs in args.epochs:
                spec = parse_train_reward({
                    "base_model": args.base, "output_dir": os.path.join(tmp, "out"), "train_file": train,
                    "test_files": {args.axis: test_path}, "axis": args.axis, "margins": SMALL_MARGINS,
                    "epochs": epochs, "learning_rate": args.lr, "batch_size": args.batch, "seed": args.seed})
                t0 = time.time()
                result = train_reward(spec, torch.device("cpu"), lambda **_: None)
                seconds = time.time() - t0
                t8 = result["table8"][args.axis]

                def cell(d: str) -> str:
                    c = t8.get(d) or {}
                    return f"{100 * c['accuracy']:.1f} % ({c['n']})" if c.get("n") else "—"
                sig = t8.get("significantly_better") or {"accuracy": 0.0, "n": 0}
                lo, hi = wilson(sig.get("accuracy") or 0.0, sig.get("n", 0))
                on_axis = sum(p.axis == args.axis for p in part)
                print(f"| {len(part)} | {on_axis} | {epochs} | {cell('significantly_better')} "
                      f"[{100 * lo:.0f} %, {100 * hi:.0f} %] | {cell('better')} | {cell('slightly_better')} "
                      f"| {cell('negligibly_better')} | {cell('average')} | {seconds:.0f} |", flush=True)
                rows.append({"fraction": fraction, "train_pairs": len(part), "on_axis": on_axis, "epochs": epochs,
                             "table8": t8, "seconds": round(seconds, 1)})
            if fraction == max(args.fractions):
                by_family(os.path.join(tmp, "out"), test_path)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
