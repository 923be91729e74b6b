"""Pairwise's Llama 2 engine: model, tokenizer, checkpoints, generation and its HTTP service.

Depends only on torch (1.13 CPU .. 2.x CUDA), sentencepiece and the standard library.
"""

import os

# Before torch loads libgomp: idle OpenMP threads sleep instead of spinning. The engine shares a
# few cores with the web server and the worker; spinning threads there made a batch-16 decode
# step on 2 cores ~40x slower (311 ms vs 8 ms) while anything else was running.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
