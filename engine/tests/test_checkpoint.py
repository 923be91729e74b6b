"""Checkpoint round trips: the safetensors codec, Hugging Face layout (sharded too), Meta layout."""

from __future__ import annotations

import json
import os
import struct

import pytest
import torch

from engine import checkpoint, safetensors
from engine.checkpoint import meta_concat_dim, permute_hf_to_meta, permute_meta_to_hf
from engine.config import ModelArgs

from . import reference
from .conftest import make_model, tiny_args

TOKENS = [1, 17, 300, 42, 5, 99, 250, 3, 77, 410]


def test_safetensors_round_trip_all_float_dtypes(tmp_path):
    g = torch.Generator().manual_seed(0)
    tensors = {
        "f32": torch.randn(3, 5, generator=g), "f16": torch.randn(7, generator=g).half(),
        "bf16": torch.randn(2, 2, 2, generator=g).bfloat16(), "i64": torch.arange(4), "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3), "view": torch.randn(6, 6, generator=g)[::2, 1:],  # non-contiguous
    }
    path = str(tmp_path / "t.safetensors")
    safetensors.save_file(tensors, path, metadata={"format": "pt", "note": "x"})
    back = safetensors.load_file(path)
    assert set(back) == set(tensors)
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and torch.equal(back[k], v), k
    assert safetensors.load_metadata(path) == {"format": "pt", "note": "x"}


def test_safetensors_byte_layout(tmp_path):
    """The documented format: u64 LE header size, JSON header padded to 8 bytes, raw LE data."""
    path = str(tmp_path / "t.safetensors")
    safetensors.save_file({"a": torch.tensor([1.0, 2.0]), "b": torch.tensor([1], dtype=torch.bfloat16)}, path)
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0
    header = json.loads(raw[8:8 + n])
    assert header["a"] == {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    assert header["b"] == {"dtype": "BF16", "shape": [1], "data_offsets": [8, 10]}
    assert raw[8 + n:8 + n + 8] == struct.pack("<2f", 1.0, 2.0)
    assert raw[8 + n + 8:] == b"\x80\x3f"  # bf16 1.0 = 0x3F80, little-endian


def test_safetensors_rejects_corrupt_files(tmp_path):
    path = str(tmp_path / "bad.safetensors")
    header = json.dumps({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    open(path, "wb").write(struct.pack("<Q", len(header)) + header + b"\0" * 8)
    with pytest.raises(ValueError, match="offsets"):
        safetensors.load_file(path)
    open(path, "wb").write(b"\x01")
    with pytest.raises(ValueError):
        safetensors.load_file(path)


def test_interoperates_with_the_official_safetensors_library(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    ours, theirs = str(tmp_path / "ours.safetensors"), str(tmp_path / "theirs.safetensors")
    tensors = {"w": torch.randn(4, 3).bfloat16(), "b": torch.randn(3).half(), "c": torch.randn(2)}
    safetensors.save_file(tensors, ours)
    st.save_file(tensors, theirs)
    for k, v in st.load_file(ours).items():
        assert torch.equal(v, tensors[k])
    for k, v in safetensors.load_file(theirs).items():
        assert torch.equal(v, tensors[k])


def test_qk_permutations_are_inverse_and_not_identity():
    w = torch.randn(4 * 8, 16)
    assert torch.equal(permute_hf_to_meta(permute_meta_to_hf(w, 4), 4), w)
    assert not torch.equal(permute_meta_to_hf(w, 4), w)


@pytest.mark.parametrize("max_shard_bytes", [2 ** 31, 40_000])
def test_hf_layout_round_trip_gives_identical_logits(tmp_path, tokenizer_path, max_shard_bytes):
    model = make_model(seed=20)
    path = str(tmp_path / "m")
    checkpoint.save_hf(model, path, tokenizer_path=tokenizer_path, max_shard_bytes=max_shard_bytes)
    files = os.listdir(path)
    assert "config.json" in files and "tokenizer.model" in files
    if max_shard_bytes < 2 ** 31:
        index = json.load(open(os.path.join(path, "model.safetensors.index.json")))
        shards = sorted(set(index["weight_map"].values()))
        assert len(shards) > 1 and all(s in files for s in shards) and "model.safetensors" not in files
    loaded, ckpt = checkpoint.load_model(path)
    assert ckpt.args.to_hf_config() == model.args.to_hf_config()  # HF configs carry no multiple_of
    x = torch.tensor([TOKENS])
    assert torch.equal(loaded(x), model(x))
    cfg = json.load(open(os.path.join(path, "config.json")))
    assert cfg["architectures"] == ["LlamaForCausalLM"] and cfg["num_key_value_heads"] == 2


def test_bf16_save_and_scalar_head_round_trip(tmp_path):
    rm = make_model(seed=21, scalar=True)
    path = str(tmp_path / "rm")
    checkpoint.save_hf(rm, path, dtype=torch.bfloat16)
    cfg = json.load(open(os.path.join(path, "config.json")))
    assert cfg["architectures"] == ["LlamaForSequenceClassification"] and cfg["torch_dtype"] == "bfloat16"
    loaded, ckpt = checkpoint.load_model(path)
    assert ckpt.scalar_head and isinstance(loaded, type(rm))
    expected = rm.to(torch.bfloat16).float()
    x = torch.tensor([TOKENS])
    assert torch.equal(loaded(x), expected(x))


def _random_meta_weights(args: ModelArgs, seed: int) -> dict[str, torch.Tensor]:
    """Meta-named weights with Meta's shapes (wq rows in interleaved rotary order)."""
    g = torch.Generator().manual_seed(seed)
    c, kv, f, v = args.dim, args.kv_heads * args.head_dim, args.ffn_dim, args.vocab_size
    w = {"tok_embeddings.weight": torch.randn(v, c, generator=g), "norm.weight": 1 + 0.1 * torch.randn(c, generator=g),
         "output.weight": 0.2 * torch.randn(v, c, generator=g)}
    for i in range(args.n_layers):
        for name, shape in {"attention.wq": (c, c), "attention.wk": (kv, c), "attention.wv": (kv, c),
                            "attention.wo": (c, c), "feed_forward.w1": (f, c), "feed_forward.w3": (f, c),
                            "feed_forward.w2": (c, f)}.items():
            w[f"layers.{i}.{name}.weight"] = 0.2 * torch.randn(*shape, generator=g)
        w[f"layers.{i}.attention_norm.weight"] = 1 + 0.1 * torch.randn(c, generator=g)
        w[f"layers.{i}.ffn_norm.weight"] = 1 + 0.1 * torch.randn(c, generator=g)
    return w


def _write_meta(path: str, args: ModelArgs, weights: dict, shards: int) -> None:
    """Split like Meta's model-parallel ranks: each rank holds a slice along the split dimension."""
    os.makedirs(path, exist_ok=True)
    json.dump(args.to_meta_params(), open(os.path.join(path, "params.json"), "w"))
    for r in range(shards):
        part = {}
        for name, t in weights.items():
            dim = meta_concat_dim(name)
            part[name] = t.clone() if dim is None else t.chunk(shards, dim=dim)[r].clone()
        part["rope.freqs"] = torch.zeros(args.head_dim // 2)  # present in real shards, unused
        torch.save(part, os.path.join(path, f"consolidated.{r:02d}.pth"))


@pytest.mark.parametrize("shards", [1, 2])
@pytest.mark.parametrize("kv_heads", [2, 4])
def test_meta_layout_loads_to_reference_logits_and_survives_hf_round_trip(tmp_path, shards, kv_heads):
    args = tiny_args(n_kv_heads=kv_heads)
    weights = _random_meta_weights(args, seed=22)
    ref = reference.forward(weights, TOKENS, args.n_heads, args.kv_heads, layout="meta")
    meta_dir = str(tmp_path / "meta")
    _write_meta(meta_dir, args, weights, shards)
    model, ckpt = checkpoint.load_model(meta_dir)
    assert ckpt.args.ffn_dim == args.ffn_dim and ckpt.args.vocab_size == args.vocab_size
    logits = model(torch.tensor([TOKENS]))[0]
    assert torch.allclose(logits.double(), ref, atol=1e-4, rtol=1e-4), (logits.double() - ref).abs().max()
    hf_dir = str(tmp_path / "hf")
    checkpoint.save_hf(model, hf_dir)
    again, _ = checkpoint.load_model(hf_dir)
    assert torch.equal(again(torch.tensor([TOKENS]))[0], logits)


def test_meta_shards_split_on_the_right_dimensions():
    assert meta_concat_dim("tok_embeddings.weight") == 1
    assert meta_concat_dim("output.weight") == 0
    assert meta_concat_dim("layers.0.attention.wq.weight") == 0
    assert meta_concat_dim("layers.3.attention.wo.weight") == 1
    assert meta_concat_dim("layers.3.feed_forward.w2.weight") == 1
    assert meta_concat_dim("layers.3.feed_forward.w3.weight") == 0
    assert meta_concat_dim("layers.3.ffn_norm.weight") is None


def test_missing_or_mismatched_checkpoints_fail_clearly(tmp_path):
    with pytest.raises(FileNotFoundError):
        checkpoint.load_checkpoint(str(tmp_path))
    path = str(tmp_path / "m")
    checkpoint.save_hf(make_model(seed=23), path)
    cfg = json.load(open(os.path.join(path, "config.json")))
    cfg["num_hidden_layers"] = 3
    json.dump(cfg, open(os.path.join(path, "config.json"), "w"))
    with pytest.raises(ValueError, match="missing"):
        checkpoint.load_model(path)


def test_matches_transformers_llama_on_the_same_weights(tmp_path):
    """Where transformers is installed (GPU hosts), our HF-layout files load there with equal logits."""
    transformers = pytest.importorskip("transformers")
    model = make_model(seed=24)
    path = str(tmp_path / "m")
    checkpoint.save_hf(model, path)
    hf = transformers.LlamaForCausalLM.from_pretrained(path).float().eval()  # config says float32
    x = torch.tensor([TOKENS])
    with torch.no_grad():
        assert torch.allclose(hf(x).logits, model(x), atol=1e-4)
