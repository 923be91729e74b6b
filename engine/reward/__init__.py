"""Reward models: pairwise data, the margin loss and trainer, Table 8 evaluation, scoring and R_c.

  data.py    the platform's JSONL pairs -> token sequences (Llama 2 chat format, left-truncated)
  train.py   loss, learning-rate schedule, the training loop, evaluation by degree, saving
  score.py   reward models loaded by directory (an LRU), and the combined reward R_c
"""
