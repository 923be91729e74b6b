"""`python -m engine.demo build | eval | pairs` — the demo world's commands.

  build  train the bundled tiny chat model (deterministic; see build.py) into --out
  eval   JSON oracle metrics of --model on the fixed held-out prompt set
  pairs  sample pairs as a round would (two temperatures) and let the simulated annotators
         label them: JSON distributions of choices, degrees and safety labels
  annotate-server  the simulated annotators as a JSON-lines sidecar on stdin/stdout (sidecar.py),
         for clients of the platform's HTTP API (scripts/loop.ts)
"""

from __future__ import annotations

import argparse
import json
import sys

# OMP_WAIT_POLICY=PASSIVE is set by engine/__init__.py before torch loads: with spinning OpenMP
# threads a training step here took 4.7 s instead of 0.8 s on the shared 2-core VM.


def main(argv: list[str] | None = None) -> int:
    from .build import DEFAULT_OUT

    parser = argparse.ArgumentParser(prog="python -m engine.demo", description="Pairwise's demo world")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the tiny chat model")
    b.add_argument("--out", default=DEFAULT_OUT)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--smoke", action="store_true", help="a seconds-long build of a useless model (tests)")
    e = sub.add_parser("eval", help="oracle metrics of a model on the held-out prompts")
    e.add_argument("--model", default=DEFAULT_OUT)
    e.add_argument("--temperature", type=float, default=0.7)
    e.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("pairs", help="simulated annotators on pairs sampled at two temperatures")
    p.add_argument("--model", default=DEFAULT_OUT)
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--temperatures", type=float, nargs=2, default=(0.7, 1.0))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--examples", type=int, default=2, help="sample pairs to include in the output")
    sub.add_parser("annotate-server", help="simulated annotators answering JSON lines on stdin (see sidecar.py)")
    args = parser.parse_args(argv)

    if args.command == "build":
        import dataclasses

        from .build import BuildConfig, build, smoke_config
        cfg = smoke_config() if args.smoke else BuildConfig()
        build(dataclasses.replace(cfg, seed=args.seed), args.out, log=lambda s: print(s, file=sys.stderr, flush=True))
        return 0
    if args.command == "eval":
        from .evaluate import evaluate
        print(json.dumps(evaluate(args.model, args.temperature, args.seed), indent=2))
        return 0
    if args.command == "pairs":
        from .rounds import annotate_round
        print(json.dumps(annotate_round(args.model, args.n, tuple(args.temperatures), args.seed, args.examples), indent=2))
        return 0
    if args.command == "annotate-server":
        from .sidecar import serve
        return serve()
    return 2


if __name__ == "__main__":
    sys.exit(main())
