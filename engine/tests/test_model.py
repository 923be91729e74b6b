"""The model against the reference forward pass, the KV cache against the full forward, GQA vs MHA."""

from __future__ import annotations

import pytest
import torch

from engine.config import CONFIGS, ModelArgs, llama_hidden_dim, named_config
from engine.model import HAS_SDPA, Llama, LlamaScalar

from . import reference
from .conftest import DEVICES, make_model

TOKENS = [1, 17, 300, 42, 5, 99, 250, 3, 77, 410, 8, 64]


def test_named_configs_match_published_llama2_shapes():
    assert CONFIGS["7B"].ffn_dim == 11008 and CONFIGS["7B"].kv_heads == 32
    assert CONFIGS["13B"].ffn_dim == 13824 and CONFIGS["13B"].n_layers == 40
    seventy = CONFIGS["70B"]
    assert (seventy.n_heads, seventy.kv_heads, seventy.ffn_dim, seventy.n_layers) == (64, 8, 28672, 80)
    # Published parameter counts: 6.74 B, 13.02 B, 68.98 B.
    assert round(CONFIGS["7B"].num_parameters() / 1e9, 2) == 6.74
    assert round(CONFIGS["13B"].num_parameters() / 1e9, 2) == 13.02
    assert round(seventy.num_parameters() / 1e9, 2) == 68.98
    assert llama_hidden_dim(4096, 256, None) == 11008
    with pytest.raises(KeyError):
        named_config("3B")
    with pytest.raises(ValueError):
        ModelArgs(dim=30, n_heads=4)


def test_parameter_count_formula_matches_modules():
    for scalar in (False, True):
        m = make_model(scalar=scalar)
        assert sum(p.numel() for p in m.parameters()) == m.args.num_parameters(scalar_head=scalar)


@pytest.mark.parametrize("config", ["test", "test-mha"])
def test_forward_matches_reference(config):
    model = make_model(seed=3) if config == "test" else make_model(seed=3, n_kv_heads=4)
    logits = model(torch.tensor([TOKENS]))[0].double()
    ref = reference.forward(reference.hf_names_to_meta(model.state_dict()), TOKENS, model.args.n_heads,
                            model.args.kv_heads, layout="hf")
    assert logits.shape == ref.shape == (len(TOKENS), model.args.vocab_size)
    assert torch.allclose(logits, ref, atol=1e-4, rtol=1e-4), (logits - ref).abs().max()
    assert ref.std() > 0.5  # the comparison is not between two near-constant tensors


def test_rope_theta_is_honoured():
    a = make_model(seed=3)
    b = make_model(seed=3, rope_theta=500000.0)
    x = torch.tensor([TOKENS])
    assert not torch.allclose(a(x), b(x))
    ref = reference.forward(reference.hf_names_to_meta(b.state_dict()), TOKENS, 4, 2, theta=500000.0, layout="hf")
    assert torch.allclose(b(x)[0].double(), ref, atol=1e-4, rtol=1e-4)


def test_gqa_with_kv_heads_equal_to_heads_is_multi_head_attention():
    """kv_heads = heads runs the same code as GQA, and must equal the reference's per-head MHA."""
    model = make_model(seed=4, n_kv_heads=4)
    assert model.args.kv_heads == model.args.n_heads
    ref = reference.forward(reference.hf_names_to_meta(model.state_dict()), TOKENS, 4, 4, layout="hf")
    assert torch.allclose(model(torch.tensor([TOKENS]))[0].double(), ref, atol=1e-4, rtol=1e-4)


def test_gqa_equals_mha_with_duplicated_kv_heads():
    """A GQA model is an MHA model whose query heads in a group share one k/v head."""
    gqa = make_model(seed=5)  # 4 heads, 2 kv heads
    mha = Llama(gqa.args.replace(n_kv_heads=4)).eval()
    state = gqa.state_dict()
    hd, rep = gqa.args.head_dim, 2
    for k, v in list(state.items()):
        if k.endswith(("k_proj.weight", "v_proj.weight")):  # (K*D, C) -> (K*rep*D, C), group-major
            state[k] = v.view(2, hd, -1).repeat_interleave(rep, dim=0).reshape(4 * hd, -1)
    mha.load_state_dict(state)
    x = torch.tensor([TOKENS])
    assert torch.allclose(gqa(x), mha(x), atol=1e-5)


def _decode_logits(model: Llama, prompts: list[list[int]], continuations: list[list[int]], n: int = 1):
    """Prefill left-padded prompts then feed `continuations` one token per step -> (B, steps+1, V)."""
    dev = next(model.parameters()).device
    longest = max(len(p) for p in prompts)
    steps = len(continuations[0])
    model.setup_cache(len(prompts) * n, longest + steps)
    pad = torch.tensor([longest - len(p) for p in prompts], device=dev)
    toks = torch.tensor([[0] * (longest - len(p)) + p for p in prompts], device=dev)
    cols = torch.arange(longest, device=dev)
    real = cols[None] >= pad[:, None]
    mask = (cols[None, :] <= cols[:, None])[None] & (real[:, None, :] | torch.eye(longest, dtype=torch.bool, device=dev))
    out = [model(toks, (cols[None] - pad[:, None]).clamp(min=0), mask[:, None], "prefill", last_only=True)
           .repeat_interleave(n, 0)]
    pad_b = pad.repeat_interleave(n)
    slots = torch.arange(longest + steps, device=dev)
    for s in range(steps):
        slot = longest + s
        tok = torch.tensor([c[s] for c in continuations], device=dev).repeat_interleave(n)[:, None]
        visible = (slots <= slot) & (slots >= pad_b[:, None])
        out.append(model(tok, slot - pad_b[:, None], visible[:, None, None], "decode", torch.tensor([slot], device=dev)))
    model.clear_cache()
    return torch.cat(out, dim=1)


@pytest.mark.parametrize("device", DEVICES)
def test_kv_cache_decode_equals_full_forward(device):
    model = make_model(seed=6).to(device)
    prompt, cont = TOKENS[:5], TOKENS[5:]
    cached = _decode_logits(model, [prompt], [cont])[0]
    full = model(torch.tensor([TOKENS], device=device))[0, len(prompt) - 1:]
    assert torch.allclose(cached, full, atol=1e-4), (cached - full).abs().max()


@pytest.mark.parametrize("device", DEVICES)
def test_left_padded_batch_and_shared_prefill_equal_single_prompts(device):
    """Prompts of different lengths in one batch, each sampled n=2 times, match their lone runs."""
    model = make_model(seed=7).to(device)
    prompts = [TOKENS[:3], TOKENS[:7], TOKENS[2:4]]
    conts = [[5, 6, 7], [300, 301, 302], [9, 9, 9]]
    batched = _decode_logits(model, prompts, conts, n=2)
    for i, (p, c) in enumerate(zip(prompts, conts)):
        full = model(torch.tensor([p + c], device=device))[0, len(p) - 1:]
        for j in range(2):
            assert torch.allclose(batched[i * 2 + j], full, atol=1e-4), (i, j)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_bf16_cuda_kv_cache_matches_float32_forward():
    """On the GPU path (bf16, SDPA) the cached decode stays close to the float32 reference."""
    model = make_model(seed=8)
    full32 = model(torch.tensor([TOKENS]))[0, 4:]
    bf = model.to("cuda", torch.bfloat16)
    cached = _decode_logits(bf, [TOKENS[:5]], [TOKENS[5:]])[0].float().cpu()
    assert HAS_SDPA
    assert (cached - full32).abs().max() < 0.15 * full32.abs().max()
    assert (cached.argmax(-1) == full32.argmax(-1)).float().mean() > 0.8


def test_manual_attention_path_equals_sdpa(monkeypatch):
    """torch 1.13 lacks SDPA; both paths must agree where both exist."""
    from engine import model as model_module
    m = make_model(seed=9)
    x = torch.tensor([TOKENS])
    monkeypatch.setattr(model_module, "HAS_SDPA", False)
    manual = m(x)
    if not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
        pytest.skip("this torch has only the manual path (covered by the reference test)")
    monkeypatch.setattr(model_module, "HAS_SDPA", True)
    assert torch.allclose(manual, m(x), atol=1e-5)


def test_scalar_head_shares_the_trunk():
    lm = make_model(seed=10)
    rm = LlamaScalar(lm.args).eval()
    missing, unexpected = rm.load_state_dict(lm.state_dict(), strict=False)
    assert missing == ["score.weight"] and unexpected == ["lm_head.weight"]
    with torch.no_grad():
        rm.score.weight.copy_(lm.lm_head.weight[:1])
    x = torch.tensor([TOKENS])
    assert rm(x).shape == (1, len(TOKENS))
    assert torch.allclose(rm(x), lm(x)[..., 0], atol=1e-5)
