"""Generation: greedy equals repeated full forwards, logprobs, EOS, stop strings, streaming deltas."""

from __future__ import annotations

import pytest
import torch

from engine.generate import Generator, RowState
from engine.sampling import SamplingParams

from .conftest import DEVICES, make_model


@torch.no_grad()
def _greedy_by_full_forward(model, prompt, steps):
    """The slow oracle: re-run the whole sequence for every new token."""
    seq, lps = list(prompt), []
    for _ in range(steps):
        logits = model(torch.tensor([seq], device=next(model.parameters()).device))[0, -1].float()
        tok = int(logits.argmax())
        lps.append(float(logits.log_softmax(-1)[tok]))
        seq.append(tok)
    return seq[len(prompt):], lps


@pytest.mark.parametrize("device", DEVICES)
def test_greedy_generation_equals_full_forward_loop(tokenizer, device):
    model = make_model(seed=12).to(device)
    gen = Generator(model, tokenizer)
    prompts = [tokenizer.encode("sort these words", bos=True), tokenizer.encode("hi", bos=True)]
    rows = gen.generate(prompts, SamplingParams(temperature=0, max_tokens=10, ignore_eos=True, logprobs=True), n=2)
    assert [(r.prompt_index, r.sample_index) for r in rows] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for r in rows:
        expect, lps = _greedy_by_full_forward(model, prompts[r.prompt_index], 10)
        assert r.token_ids == expect
        assert r.logprobs == pytest.approx(lps, abs=1e-4)
        assert r.finish_reason == "length" and r.text == tokenizer.decode(expect)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("mode", ["graph", "compile"])
def test_cuda_graph_and_compiled_decode_equal_eager(tokenizer, mode):
    model = make_model(seed=12).to("cuda")
    prompt = [tokenizer.encode("sort these words", bos=True)]
    params = SamplingParams(temperature=0.8, top_p=0.9, max_tokens=12, seed=5, ignore_eos=True)
    eager = Generator(model, tokenizer, "eager").generate(prompt, params, n=2)
    fast = Generator(model, tokenizer, mode).generate(prompt, params, n=2)
    assert [r.token_ids for r in fast] == [r.token_ids for r in eager]


def test_host_check_interval_does_not_change_results(tokenizer):
    gen = Generator(make_model(seed=13), tokenizer)
    prompt = [tokenizer.encode("count the letters", bos=True)]
    params = SamplingParams(max_tokens=20, seed=9, temperature=1.0)
    every = gen.generate(prompt, params, n=2, check_every=1)
    chunked = gen.generate(prompt, params, n=2, check_every=7)
    assert [(r.token_ids, r.finish_reason, r.text) for r in every] == [(r.token_ids, r.finish_reason, r.text) for r in chunked]


def _model_preferring(token: int, seed=14):
    """A model whose head strongly prefers `token` after a few steps: forces EOS / a stop string."""
    model = make_model(seed=seed)
    with torch.no_grad():
        model.lm_head.weight[token] = model.model.norm.weight * 50.0  # big logit for any hidden state
    return model


def test_eos_finishes_with_stop_and_is_counted_but_not_shown(tokenizer):
    gen = Generator(_model_preferring(tokenizer.eos_id), tokenizer)
    rows = gen.generate([tokenizer.encode("hello", bos=True)], SamplingParams(max_tokens=8, temperature=0))
    (row,) = rows
    assert row.finish_reason == "stop" and row.token_ids[-1] == tokenizer.eos_id
    assert row.text == tokenizer.decode(row.token_ids[:-1])
    ignore = gen.generate([tokenizer.encode("hello", bos=True)], SamplingParams(max_tokens=8, temperature=0, ignore_eos=True))
    assert ignore[0].finish_reason == "length" and len(ignore[0].token_ids) == 8


def test_stop_string_truncates_text_and_tokens(tokenizer):
    word = tokenizer.encode("answer")[-1]
    gen = Generator(_model_preferring(word), tokenizer)
    rows = gen.generate([tokenizer.encode("hello", bos=True)], SamplingParams(max_tokens=10, temperature=0, stop=("swe",)))
    (row,) = rows
    full = tokenizer.decode(row.token_ids)
    assert row.finish_reason == "stop" and "swe" in full and "swe" not in row.text
    assert full.startswith(row.text) and len(row.token_ids) < 10
    assert "swe" not in tokenizer.decode(row.token_ids[:-1])  # stopped at the first token completing it


def test_length_limit_and_context_check(tokenizer):
    gen = Generator(make_model(seed=15), tokenizer)
    rows = gen.generate([[1, 5, 6]], SamplingParams(max_tokens=5, temperature=0, ignore_eos=True))
    assert rows[0].finish_reason == "length" and len(rows[0].token_ids) == 5
    with pytest.raises(ValueError, match="context"):
        gen.generate([[1] * 100], SamplingParams(max_tokens=29))
    with pytest.raises(ValueError):
        gen.generate([[]], SamplingParams())


def test_streamed_deltas_reassemble_the_text_and_hold_back_stop_prefixes(tokenizer):
    gen = Generator(make_model(seed=16), tokenizer)
    params = SamplingParams(max_tokens=16, seed=4, temperature=1.0)
    prompt = [tokenizer.encode("what is the capital", bos=True)]
    pieces, final = [""], []
    for rows in gen.stream(prompt, params, n=1, check_every=1):
        pieces.append(rows[0].take_delta(()))
        final = rows
    assert "".join(pieces) == final[0].text

    row = RowState(0, 0, 3, text="hello wor")
    assert row.take_delta(("world",)) == "hello "  # "wor" may become the stop string
    row.text = "hello wox"
    assert row.take_delta(("world",)) == "wox"
    row.text, row.finish_reason = "hello wox \ufffd", "length"
    assert row.take_delta(()) == " \ufffd"  # finished: nothing held back


def test_eos_inside_a_host_chunk_keeps_the_text_before_it(tokenizer):
    """With several tokens read at once (CUDA checks every 16 steps), EOS mid-chunk must still
    leave the tokens before it in the text, stop strings or not."""
    gen = Generator(make_model(seed=17), tokenizer)
    words = tokenizer.encode("hello there")
    for stop in ((), ("zzz",)):
        row = RowState(0, 0, 3)
        gen._absorb([row], [words + [tokenizer.eos_id, 7, 8]], [[-1.0] * (len(words) + 3)],
                    SamplingParams(max_tokens=20, stop=stop))
        assert row.finish_reason == "stop" and row.text == "hello there"
        assert row.token_ids == words + [tokenizer.eos_id]
