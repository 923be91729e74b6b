"""Shared fixtures: tiny models and a trained tokenizer in a temp dir, and the devices to test on."""

from __future__ import annotations

import os

import pytest
import torch

from engine import checkpoint
from engine.config import named_config
from engine.model import Llama, LlamaScalar, init_weights
from engine.tokenizer import Tokenizer, train_tokenizer

torch.set_num_threads(os.cpu_count() or 1)

# Every device this machine has: CUDA-specific tests run on a GPU host, and skip here.
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="session")
def tokenizer_path(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("tok") / "tokenizer.model")
    train_tokenizer(path, vocab_size=512)
    return path


@pytest.fixture(scope="session")
def tokenizer(tokenizer_path) -> Tokenizer:
    return Tokenizer(tokenizer_path)


def tiny_args(**overrides):
    """A test-sized Llama with GQA (4 query heads, 2 kv heads) and a 512-piece vocabulary."""
    base = dict(vocab_size=512, max_seq_len=128)
    base.update(overrides)
    return named_config("test", **base)


def make_model(seed: int = 0, scalar: bool = False, **overrides) -> Llama | LlamaScalar:
    args = tiny_args(**overrides)
    model = LlamaScalar(args) if scalar else Llama(args)
    # std 0.2 rather than 0.02: large enough that attention patterns and logits really vary.
    init_weights(model, seed=seed, std=0.2)
    return model.eval()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory, tokenizer_path) -> str:
    """A Hugging Face layout model directory named like the service's random default."""
    path = str(tmp_path_factory.mktemp("models") / "random-tiny")
    checkpoint.save_hf(make_model(seed=1), path, tokenizer_path=tokenizer_path, extra={"random_init": True})
    return path


@pytest.fixture(scope="session")
def reward_dir(tmp_path_factory, tokenizer_path) -> str:
    path = str(tmp_path_factory.mktemp("models") / "reward-tiny")
    checkpoint.save_hf(make_model(seed=2, scalar=True), path, tokenizer_path=tokenizer_path)
    return path
