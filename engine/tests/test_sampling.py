"""Sampler properties: top-p keeps the stated mass, top-k, greedy, seeds, penalties, the draw itself."""

from __future__ import annotations

import pytest
import torch

from engine.generate import Generator
from engine.sampling import SamplingParams, apply_repetition_penalty, filter_logits, sample

from .conftest import make_model


def _logits(seed=0, batch=4, vocab=50):
    return torch.randn(batch, vocab, generator=torch.Generator().manual_seed(seed)) * 2


@pytest.mark.parametrize("top_p", [0.1, 0.5, 0.9, 0.99])
def test_top_p_keeps_the_smallest_set_reaching_the_mass(top_p):
    logits = _logits()
    kept = torch.isfinite(filter_logits(logits, 1.0, 0, top_p))
    probs = logits.softmax(-1)
    for b in range(logits.shape[0]):
        mass = probs[b][kept[b]].sum().item()
        assert mass >= top_p - 1e-6  # keeps at least the stated mass
        smallest_kept = probs[b][kept[b]].min().item()
        assert mass - smallest_kept < top_p  # and no token more than needed
        # every kept token is at least as likely as every dropped one
        if (~kept[b]).any():
            assert smallest_kept >= probs[b][~kept[b]].max().item()


def test_top_p_one_keeps_everything_and_tiny_top_p_keeps_the_argmax():
    logits = _logits()
    assert torch.isfinite(filter_logits(logits, 1.0, 0, 1.0)).all()
    kept = torch.isfinite(filter_logits(logits, 1.0, 0, 1e-6))
    assert (kept.sum(-1) == 1).all() and kept[torch.arange(4), logits.argmax(-1)].all()


@pytest.mark.parametrize("k", [1, 5, 49])
def test_top_k_keeps_exactly_the_k_largest(k):
    logits = _logits()
    kept = torch.isfinite(filter_logits(logits, 1.0, k, 1.0))
    assert (kept.sum(-1) == k).all()
    top = logits.topk(k, -1).indices
    assert kept.gather(-1, top).all()


def test_temperature_scales_logits():
    logits = _logits()
    assert torch.allclose(filter_logits(logits, 0.5, 0, 1.0), logits * 2)


def test_temperature_zero_is_greedy():
    logits = _logits(batch=8)
    tokens, logprobs = sample(logits, SamplingParams(temperature=0), torch.Generator().manual_seed(0))
    assert torch.equal(tokens, logits.argmax(-1))
    assert torch.allclose(logprobs, logits.log_softmax(-1).max(-1).values)


def test_draws_follow_the_distribution():
    """The exponential-race draw must sample softmax(logits): compare frequencies over many draws."""
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, -10.0]]).repeat(20000, 1)
    tokens, _ = sample(logits, SamplingParams(temperature=1.0), torch.Generator().manual_seed(1))
    freq = torch.bincount(tokens, minlength=5).float() / len(tokens)
    assert torch.allclose(freq, logits[0].softmax(-1), atol=0.015), freq
    # with top-k 2 the draw is renormalised over the two best tokens
    tokens, _ = sample(logits, SamplingParams(temperature=1.0, top_k=2), torch.Generator().manual_seed(2))
    freq = torch.bincount(tokens, minlength=5).float() / len(tokens)
    assert freq[2:].sum() == 0 and abs(freq[0].item() - torch.tensor([2.0, 1.0]).softmax(-1)[0].item()) < 0.015


def test_repetition_penalty_divides_positive_and_multiplies_negative_seen_logits():
    logits = torch.tensor([[2.0, -2.0, 2.0, -2.0]])
    seen = torch.tensor([[True, True, False, False]])
    out = apply_repetition_penalty(logits, seen, 2.0)
    assert out.tolist() == [[1.0, -4.0, 2.0, -2.0]]


def test_invalid_params_are_rejected():
    for bad in (dict(temperature=-1), dict(top_p=0), dict(top_p=1.5), dict(top_k=-1),
                dict(repetition_penalty=0), dict(max_tokens=0)):
        with pytest.raises(ValueError):
            SamplingParams(**bad)


def test_seed_reproducibility_and_independence(tokenizer):
    gen = Generator(make_model(seed=11), tokenizer)
    prompt = [tokenizer.encode("hello there", bos=True)]
    params = dict(max_tokens=12, temperature=1.0, top_p=0.95, ignore_eos=True)
    a = gen.generate(prompt, SamplingParams(seed=123, **params), n=3)
    b = gen.generate(prompt, SamplingParams(seed=123, **params), n=3)
    c = gen.generate(prompt, SamplingParams(seed=124, **params), n=3)
    assert [r.token_ids for r in a] == [r.token_ids for r in b]
    assert [r.token_ids for r in a] != [r.token_ids for r in c]
    assert len({tuple(r.token_ids) for r in a}) > 1  # the n samples of one request differ
