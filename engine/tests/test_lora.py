"""LoRA adapters (engine/lora.py): identity at B = 0, gradients only to adapters and heads,
merge = base + adapter, PEFT files round-trip, gradient checkpointing changes nothing."""

from __future__ import annotations

import json
import os

import torch

from engine import checkpoint, lora, safetensors
from engine.model import Llama

from .conftest import make_model


def _tokens(vocab=512, b=2, t=12, seed=0):
    return torch.randint(0, vocab, (b, t), generator=torch.Generator().manual_seed(seed))


def _randomise(adapter, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in adapter.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)


def test_adapter_with_zero_b_equals_base():
    model = make_model(seed=3)
    tokens = _tokens()
    base = model(tokens)
    adapter = lora.Adapter(model.args, lora.LoraConfig(rank=4, alpha=8))
    with lora.use(model, adapter):
        out = model(tokens)
    assert torch.equal(out, base)  # B = 0: the delta is exactly zero
    _randomise(adapter)
    with lora.use(model, adapter):
        changed = model(tokens)
    assert not torch.allclose(changed, base)
    with lora.use(model, None):  # the reference: adapter off
        assert torch.equal(model(tokens), base)
    lora.activate(model, adapter)  # an active adapter never joins the base's parameters or state dict
    assert set(model.state_dict()) == set(make_model(seed=3).state_dict())
    assert all(not n.startswith("model.lora") for n, _ in model.named_parameters())


def test_gradients_reach_only_adapter_and_head():
    model = make_model(seed=4)
    lora.freeze_base(model)
    adapter = lora.Adapter(model.args, lora.LoraConfig(rank=2, targets=("q", "v", "down")), scalar_head=True)
    _randomise(adapter)
    values = lora.scalar_forward(model, adapter, _tokens())
    values.sum().backward()
    assert all(p.grad is None for p in model.parameters())
    grads = {n: p.grad for n, p in adapter.named_parameters()}
    assert grads and all(g is not None and g.abs().sum() > 0 for g in grads.values())
    assert set(adapter.lora_A.keys()) == {f"{i}_{p}" for i in range(model.args.n_layers) for p in ("q", "v", "down")}


def test_merged_equals_base_plus_adapter(tmp_path, tokenizer_path):
    model = make_model(seed=5)
    adapter = lora.Adapter(model.args, lora.LoraConfig(rank=4, alpha=16))
    _randomise(adapter)
    tokens = _tokens()
    with lora.use(model, adapter), torch.no_grad():
        adapted = model(tokens)
    merged = Llama(model.args)
    merged.load_state_dict(lora.merged_state_dict(model, adapter))
    with torch.no_grad():
        assert (merged(tokens) - adapted).abs().max().item() <= 1e-5
    # ... and as a Hugging Face checkpoint on disk
    lora.save_merged(model, adapter, str(tmp_path / "merged"), tokenizer_path=tokenizer_path)
    loaded, _ = checkpoint.load_model(str(tmp_path / "merged"))
    with torch.no_grad():
        assert (loaded(tokens) - adapted).abs().max().item() <= 1e-5


def test_peft_files_load_back(tmp_path, tokenizer_path):
    model = make_model(seed=6)
    base_dir = str(tmp_path / "base")
    checkpoint.save_hf(model, base_dir, tokenizer_path=tokenizer_path)
    for scalar in (False, True):
        adapter = lora.Adapter(model.args, lora.LoraConfig(rank=3, alpha=6, targets=("q", "k", "o", "up")),
                               scalar_head=scalar)
        _randomise(adapter, seed=7)
        out = str(tmp_path / f"adapter-{scalar}")
        lora.save_peft(adapter, out, base_dir, tokenizer_path=tokenizer_path)
        cfg = json.load(open(os.path.join(out, "adapter_config.json")))
        assert cfg["peft_type"] == "LORA" and cfg["r"] == 3 and cfg["lora_alpha"] == 6
        assert cfg["target_modules"] == ["q_proj", "k_proj", "o_proj", "up_proj"]
        assert cfg["task_type"] == ("SEQ_CLS" if scalar else "CAUSAL_LM")
        keys = set(safetensors.load_file(os.path.join(out, "adapter_model.safetensors")))
        assert "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" in keys
        assert "base_model.model.model.layers.1.mlp.up_proj.lora_B.weight" in keys
        assert ("base_model.model.score.weight" in keys) == scalar
        back = lora.load_peft(out, model.args)
        for name, p in adapter.state_dict().items():
            assert torch.equal(back.state_dict()[name], p)
        # The folder loads as a model directory: the base with the adapter merged.
        loaded, ckpt = checkpoint.load_model(out)
        tokens = _tokens()
        with torch.no_grad():
            if scalar:
                expect = lora.scalar_forward(model, adapter, tokens)
            else:
                with lora.use(model, adapter):
                    expect = model(tokens)
            assert (loaded(tokens) - expect).abs().max().item() <= 1e-5


def test_gradient_checkpointing_gives_the_same_gradients():
    model = make_model(seed=8)
    lora.freeze_base(model)
    policy = lora.Adapter(model.args, lora.LoraConfig(rank=2))
    value = lora.Adapter(model.args, lora.LoraConfig(rank=2), scalar_head=True, seed=1)
    _randomise(policy, 1)
    _randomise(value, 2)
    tokens = _tokens()

    def grads(ckpt: bool):
        model.model.gradient_checkpointing = ckpt
        for p in list(policy.parameters()) + list(value.parameters()):
            p.grad = None
        with lora.use(model, policy):
            logits = model(tokens)
        v = lora.scalar_forward(model, value, tokens)  # another adapter active before backward
        (logits.float().pow(2).mean() + v.pow(2).mean()).backward()
        return [p.grad.clone() for p in list(policy.parameters()) + list(value.parameters())]

    plain, ckpt = grads(False), grads(True)
    model.model.gradient_checkpointing = False
    for a, b in zip(plain, ckpt):
        assert torch.allclose(a, b, atol=1e-6)


def test_default_method_threshold():
    from engine.config import named_config

    assert lora.default_method(named_config("7B")) == "lora"
    assert lora.default_method(named_config("tiny")) == "full"
    # gradient checkpointing: on by default for LoRA on CUDA only; a flag overrides it
    assert lora.Method("lora").checkpointing("cuda") and not lora.Method("lora").checkpointing("cpu")
    assert not lora.Method("full").checkpointing("cuda") and lora.Method("full", gradient_checkpointing=True).checkpointing("cpu")
    # fused AdamW only where torch has it (2.x) and on CUDA
    p = torch.nn.Parameter(torch.zeros(2, 2))
    assert not lora.adamw([p], 1e-3, device=torch.device("cpu")).defaults.get("fused")


def test_adapters_on_one_base_read_the_base_once(tmp_path, tokenizer_path, monkeypatch):
    model = make_model(seed=9)
    base_dir = str(tmp_path / "base")
    checkpoint.save_hf(model, base_dir, tokenizer_path=tokenizer_path)
    dirs = []
    for i in range(3):
        adapter = lora.Adapter(model.args, lora.LoraConfig(rank=2), seed=i)
        _randomise(adapter, seed=i)
        dirs.append(lora.save_peft(adapter, str(tmp_path / f"round-{i}"), base_dir, tokenizer_path=tokenizer_path))
    reads = []
    real = checkpoint.load_hf
    monkeypatch.setattr(checkpoint, "load_hf", lambda p: reads.append(p) or real(p))
    checkpoint._BASE_CACHE.clear()
    outs = [checkpoint.load_model(d)[0](_tokens()) for d in dirs]
    assert reads == [base_dir] and not torch.equal(outs[0], outs[1])  # one read, three different policies
