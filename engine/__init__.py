"""Pairwise's Llama 2 engine: model, tokenizer, checkpoints, generation and its HTTP service.

Depends only on torch (1.13 CPU .. 2.x CUDA), sentencepiece and the standard library.
"""

__version__ = "0.1.0"
