"""Reward models: pairwise data, the margin loss and trainer, Table 8 evaluation, scoring and R_c.

  data.py       the platform's JSONL pairs -> token sequences (Llama 2 chat format, left-truncated)
  spec.py       the train_reward job spec and its validation (400s naming the field)
  train.py      loss, learning-rate schedule, the training loop, evaluation by degree, saving
  score.py      reward models loaded by directory (an LRU), and the combined reward R_c
  demo_data.py  demo-world pairs labelled by simulated annotators (tests, benchmark)
The job machinery around the trainer is engine/jobs.py; its HTTP routes engine/jobs_http.py.
"""
