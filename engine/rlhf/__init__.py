"""RLHF jobs on the engine: rejection sampling, evaluation, SFT (and PPO, engine/rlhf/ppo.py).

`common.py` holds what every job shares: the prompts file, loading and saving policies, batched
sampling through engine.generate.Generator, and scoring with the reward models (R_c).
"""
