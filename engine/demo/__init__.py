"""The demo world: synthetic prompt families, an oracle, a tiny chat model and simulated annotators.

See docs/demo-world.md. Entry points: `python -m engine.demo build | eval | pairs`.
"""
