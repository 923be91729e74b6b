"""Checkpoints in Hugging Face's layout (read and write) and Meta's layout (read).

Hugging Face: config.json, model.safetensors or model-0000k-of-0000n.safetensors shards with
model.safetensors.index.json, tokenizer.model. Parameter names are ours already (engine/model.py).

Meta: params.json, consolidated.00.pth .. consolidated.NN.pth (one per model-parallel rank),
tokenizer.model. Shards are concatenated along the dimension each layer was split on, names are
mapped, and the q/k projection rows are permuted from Meta's interleaved rotary pairs
(x[2i], x[2i+1]) to Hugging Face's halves (x[i], x[i + D/2]) — the same permutation as
transformers' convert_llama_weights_to_hf.py.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
from dataclasses import dataclass
from typing import Optional, Union

import torch

from . import safetensors
from .config import ModelArgs
from .model import Llama, LlamaScalar

Model = Union[Llama, LlamaScalar]
SCALAR_ARCH = "LlamaForSequenceClassification"
CAUSAL_ARCH = "LlamaForCausalLM"


@dataclass
class Checkpoint:
    args: ModelArgs
    state_dict: dict[str, torch.Tensor]
    scalar_head: bool
    extra: dict  # the "pairwise" section of config.json (e.g. {"random_init": true})


# -- q/k permutation ------------------------------------------------------------------------

def permute_meta_to_hf(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(heads*D, C) rows ordered (head, pair, 2) -> (head, 2, pair): interleaved -> rotate-half."""
    rows, cols = w.shape
    return w.view(n_heads, rows // n_heads // 2, 2, cols).transpose(1, 2).reshape(rows, cols)


def permute_hf_to_meta(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    rows, cols = w.shape
    return w.view(n_heads, 2, rows // n_heads // 2, cols).transpose(1, 2).reshape(rows, cols)


# -- Meta layout ------------------------------------------------------------------------------

_META_NAMES = {
    "tok_embeddings.weight": "model.embed_tokens.weight",
    "norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}
_META_LAYER_NAMES = {
    "attention.wq": "self_attn.q_proj", "attention.wk": "self_attn.k_proj",
    "attention.wv": "self_attn.v_proj", "attention.wo": "self_attn.o_proj",
    "feed_forward.w1": "mlp.gate_proj", "feed_forward.w3": "mlp.up_proj",
    "feed_forward.w2": "mlp.down_proj",
    "attention_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
}


def meta_concat_dim(name: str) -> Optional[int]:
    """Dimension a model-parallel shard was split on (None = replicated).

    Column-parallel layers (wq, wk, wv, w1, w3, output) split output rows (dim 0); row-parallel
    ones (wo, w2) split input columns (dim 1); Meta's ParallelEmbedding splits the embedding
    dimension (dim 1). Norms are replicated.
    """
    if name.endswith("norm.weight") or name == "rope.freqs":
        return None
    if name == "tok_embeddings.weight" or name.endswith(("attention.wo.weight", "feed_forward.w2.weight")):
        return 1
    return 0


def meta_to_hf_name(name: str) -> str:
    if name in _META_NAMES:
        return _META_NAMES[name]
    m = re.fullmatch(r"layers\.(\d+)\.(.+)\.weight", name)
    if not m or m.group(2) not in _META_LAYER_NAMES:
        raise KeyError(f"unexpected tensor in Meta checkpoint: {name}")
    return f"model.layers.{m.group(1)}.{_META_LAYER_NAMES[m.group(2)]}.weight"


def load_meta(path: str, max_seq_len: int = 4096) -> Checkpoint:
    shard_paths = sorted(glob.glob(os.path.join(path, "consolidated.*.pth")))
    if not shard_paths:
        raise FileNotFoundError(f"{path}: no consolidated.*.pth shards")
    with open(os.path.join(path, "params.json")) as f:
        params = json.load(f)
    # weights_only: Meta's shards are plain tensors; torch 1.13 accepts the flag too.
    shards = [torch.load(p, map_location="cpu", weights_only=True) for p in shard_paths]
    merged: dict[str, torch.Tensor] = {}
    for name in shards[0]:
        if name == "rope.freqs":
            continue
        dim = meta_concat_dim(name)
        parts = [s[name] for s in shards]
        merged[name] = parts[0] if dim is None or len(parts) == 1 else torch.cat(parts, dim=dim)
    vocab = merged["tok_embeddings.weight"].shape[0]
    args = ModelArgs.from_meta_params(params, vocab_size=vocab, max_seq_len=max_seq_len)
    state: dict[str, torch.Tensor] = {}
    for name, t in merged.items():
        if name.endswith("attention.wq.weight"):
            t = permute_meta_to_hf(t, args.n_heads)
        elif name.endswith("attention.wk.weight"):
            t = permute_meta_to_hf(t, args.kv_heads)
        state[meta_to_hf_name(name)] = t
    return Checkpoint(args, state, scalar_head=False, extra={})


# -- Hugging Face layout ----------------------------------------------------------------------

def load_hf(path: str) -> Checkpoint:
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    args = ModelArgs.from_hf_config(cfg)
    scalar = SCALAR_ARCH in (cfg.get("architectures") or [])
    index = os.path.join(path, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    elif os.path.exists(os.path.join(path, "model.safetensors")):
        files = ["model.safetensors"]
    else:
        raise FileNotFoundError(f"{path}: neither model.safetensors nor model.safetensors.index.json")
    state: dict[str, torch.Tensor] = {}
    for fname in files:
        state.update(safetensors.load_file(os.path.join(path, fname)))
    return Checkpoint(args, state, scalar_head=scalar, extra=cfg.get("pairwise") or {})


def save_hf(model: Model, path: str, tokenizer_path: Optional[str] = None,
            max_shard_bytes: int = 2 * 1024 ** 3, extra: Optional[dict] = None,
            dtype: Optional[torch.dtype] = None) -> None:
    """Write config.json, safetensors (sharded above `max_shard_bytes`) and tokenizer.model."""
    os.makedirs(path, exist_ok=True)
    state = {k: (v.to(dtype) if dtype else v) for k, v in model.state_dict().items()}
    dtype_name = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}
    first = next(iter(state.values()))
    cfg = model.args.to_hf_config(SCALAR_ARCH if isinstance(model, LlamaScalar) else CAUSAL_ARCH,
                                  dtype_name.get(first.dtype, "float32"))
    if extra:
        cfg["pairwise"] = extra
    # Group tensors into shards in name order; a tensor larger than the limit gets its own shard.
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for name in sorted(state):
        nbytes = state[name].numel() * state[name].element_size()
        if shards[-1] and size + nbytes > max_shard_bytes:
            shards.append({})
            size = 0
        shards[-1][name] = state[name]
        size += nbytes
    for old in glob.glob(os.path.join(path, "model*.safetensors*")):
        os.remove(old)
    if len(shards) == 1:
        safetensors.save_file(shards[0], os.path.join(path, "model.safetensors"))
    else:
        weight_map = {}
        for i, shard in enumerate(shards):
            fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
            safetensors.save_file(shard, os.path.join(path, fname))
            weight_map.update({name: fname for name in shard})
        total = sum(t.numel() * t.element_size() for t in state.values())
        with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    if tokenizer_path and os.path.abspath(tokenizer_path) != os.path.abspath(os.path.join(path, "tokenizer.model")):
        shutil.copyfile(tokenizer_path, os.path.join(path, "tokenizer.model"))


# -- building models --------------------------------------------------------------------------

def detect_layout(path: str) -> str:
    if os.path.exists(os.path.join(path, "config.json")):
        return "hf"
    if os.path.exists(os.path.join(path, "params.json")):
        return "meta"
    raise FileNotFoundError(f"{path}: no config.json (Hugging Face) or params.json (Meta)")


def load_checkpoint(path: str) -> Checkpoint:
    from . import lora

    if lora.is_peft_dir(path):
        return load_peft_merged(path)
    return load_hf(path) if detect_layout(path) == "hf" else load_meta(path)


_BASE_CACHE: dict = {}  # one base checkpoint (CPU tensors) shared by the adapters on it
_BASE_CACHE_LOCK = __import__("threading").Lock()


def _cached_base(path: str) -> Checkpoint:
    """The base of adapter folders, kept in memory (the last one, when its weights are at most
    ENGINE_PEFT_BASE_CACHE_GB, default 8): loading round after round of adapters on one base
    (policies by directory, reward models) reads the base once. Keyed by real path and mtimes."""
    real = os.path.realpath(path)
    try:
        key = (real, tuple(sorted((f, os.stat(os.path.join(real, f)).st_mtime_ns) for f in os.listdir(real)
                                  if f.endswith((".safetensors", ".json", ".pth")))))
    except OSError:
        return load_checkpoint(path)
    with _BASE_CACHE_LOCK:
        hit = _BASE_CACHE.get("entry")
        if hit is not None and hit[0] == key:
            return hit[1]
    ckpt = load_checkpoint(path)
    nbytes = sum(t.numel() * t.element_size() for t in ckpt.state_dict.values())
    if nbytes <= float(os.environ.get("ENGINE_PEFT_BASE_CACHE_GB", "8")) * 1024 ** 3:
        with _BASE_CACHE_LOCK:
            _BASE_CACHE["entry"] = (key, ckpt)
    return ckpt


def load_peft_merged(path: str) -> Checkpoint:
    """A PEFT LoRA folder (engine/lora.py) as one checkpoint: its base (adapter_config.json's
    base_model_name_or_path, itself possibly an adapter folder) with the adapter merged in."""
    from . import lora

    base_path = lora.base_of(path)
    if not os.path.isabs(base_path):
        base_path = os.path.normpath(os.path.join(path, base_path))
    base = _cached_base(base_path)
    adapter = lora.load_peft(path, base.args)
    model = Llama(base.args)
    state = {k: v for k, v in base.state_dict.items() if k != "score.weight"}
    if "lm_head.weight" not in state:  # a scalar-head base: the head is replaced below
        state["lm_head.weight"] = torch.zeros(base.args.vocab_size, base.args.dim)
    model.load_state_dict(state)
    merged = lora.merged_state_dict(model.float(), adapter)
    scalar = adapter.score is not None
    if not scalar and base.scalar_head:
        raise ValueError(f"{path}: a language-model adapter on the scalar-head model {base_path}")
    extra = dict(base.extra)
    extra["peft_adapter"] = path
    return Checkpoint(base.args, merged, scalar_head=scalar, extra=extra)


def build_model(ckpt: Checkpoint, device: Union[str, torch.device] = "cpu",
                dtype: torch.dtype = torch.float32) -> Model:
    model: Model = LlamaScalar(ckpt.args) if ckpt.scalar_head else Llama(ckpt.args)
    state = dict(ckpt.state_dict)
    if ckpt.scalar_head and "score.weight" not in state and "lm_head.weight" in state:
        raise ValueError("checkpoint has a vocabulary head, not a scalar head")
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"checkpoint does not fit the config: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model.to(device=device, dtype=dtype).eval()


def load_model(path: str, device: Union[str, torch.device] = "cpu", dtype: torch.dtype = torch.float32) -> tuple[Model, Checkpoint]:
    ckpt = load_checkpoint(path)
    model = build_model(ckpt, device, dtype)
    ckpt.state_dict = {}  # the model holds the weights now; drop the second copy
    return model, ckpt
