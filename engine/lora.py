"""LoRA adapters on the engine's Llama (engine/model.py), kept outside the base model.

An adapter is its own `nn.Module` (`Adapter`): for every chosen projection of every decoder
layer a pair A (r, in), B (out_part, r), and optionally a scalar head `score` (dim -> 1) for
reward and value models. The base model's Linear layers get one forward hook each (`attach`);
the hook adds `scale · B A dropout(x)` of the *active* adapter, if any, to the rows of the
projection it adapts. Several adapters can share one frozen base (the PPO policy, the value model
and the reward models); switching is `with use(trunk, adapter)` and the base alone (the reference
model) is `with use(trunk, None)`. The base's state dict is untouched by all this.

Projections: q, k, v live in one fused `qkv_proj` and gate, up in one `gate_up_proj`
(engine/model.py); an adapter on q only adds to q's rows. Hugging Face / PEFT names:
`model.layers.{i}.self_attn.{q,k,v,o}_proj`, `model.layers.{i}.mlp.{gate,up,down}_proj`.

Adapters and their optimizer state stay in float32 whatever the base dtype (bf16 on CUDA); the
delta is computed in the adapter's dtype (or under autocast) and cast to the base output's dtype.

PEFT layout (`save_peft` / `load_peft`): `adapter_config.json` (peft_type LORA, r, lora_alpha,
lora_dropout, target_modules, task_type CAUSAL_LM or SEQ_CLS, modules_to_save ["score"] for a
scalar head, base_model_name_or_path) and `adapter_model.safetensors` with keys
`base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight` and, for a scalar head,
`base_model.model.score.weight`. We also write `config.json` (the merged model's Hugging Face
config, so the folder validates as a model directory) and `tokenizer.model`; checkpoint.py loads
such a folder as its base with the adapter merged.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

import torch
from torch import nn

from . import safetensors
from .config import ModelArgs

PARTS = ("q", "k", "v", "o", "gate", "up", "down")
DEFAULT_TARGETS = PARTS
HF_MODULE = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj", "o": "self_attn.o_proj",
             "gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj"}
PEFT_PREFIX = "base_model.model."
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


@dataclass(frozen=True)
class LoraConfig:
    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.0
    targets: tuple[str, ...] = DEFAULT_TARGETS

    def __post_init__(self) -> None:
        bad = [t for t in self.targets if t not in PARTS]
        if bad or not self.targets:
            raise ValueError(f"LoRA targets must be a non-empty subset of {', '.join(PARTS)}, got {list(self.targets)}")
        if self.rank < 1:
            raise ValueError("LoRA rank must be at least 1")

    @property
    def scale(self) -> float:
        return self.alpha / self.rank

    def to_json(self) -> dict:
        return {"rank": self.rank, "alpha": self.alpha, "dropout": self.dropout, "targets": list(self.targets)}


def part_shapes(args: ModelArgs) -> dict[str, tuple[int, int]]:
    """(in, out) of each projection."""
    q, kv, d, f = args.n_heads * args.head_dim, args.kv_heads * args.head_dim, args.dim, args.ffn_dim
    return {"q": (d, q), "k": (d, kv), "v": (d, kv), "o": (q, d), "gate": (d, f), "up": (d, f), "down": (f, d)}


def _slots(args: ModelArgs) -> dict[str, tuple[str, int, int]]:
    """part -> (module attribute path inside a Block, first row, last row + 1) in the fused weight."""
    q, kv, f = args.n_heads * args.head_dim, args.kv_heads * args.head_dim, args.ffn_dim
    return {"q": ("self_attn.qkv_proj", 0, q), "k": ("self_attn.qkv_proj", q, q + kv),
            "v": ("self_attn.qkv_proj", q + kv, q + 2 * kv), "o": ("self_attn.o_proj", 0, args.dim),
            "gate": ("mlp.gate_up_proj", 0, f), "up": ("mlp.gate_up_proj", f, 2 * f),
            "down": ("mlp.down_proj", 0, args.dim)}


def count_parameters(args: ModelArgs, cfg: LoraConfig) -> int:
    shapes = part_shapes(args)
    return args.n_layers * sum(cfg.rank * (shapes[p][0] + shapes[p][1]) for p in cfg.targets)


class Adapter(nn.Module):
    """LoRA pairs for every target projection of every layer, plus an optional scalar head."""

    def __init__(self, args: ModelArgs, cfg: LoraConfig, scalar_head: bool = False, seed: int = 0,
                 device=None, dtype: torch.dtype = torch.float32):
        super().__init__()
        self.args, self.cfg = args, cfg
        shapes = part_shapes(args)
        gen = torch.Generator().manual_seed(seed)
        self.lora_A = nn.ParameterDict()
        self.lora_B = nn.ParameterDict()
        for i in range(args.n_layers):
            for p in cfg.targets:
                fan_in, fan_out = shapes[p]
                a = torch.empty(cfg.rank, fan_in)
                # PEFT's default: A ~ kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)); B = 0.
                bound = 1.0 / math.sqrt(fan_in)
                a.uniform_(-bound, bound, generator=gen)
                self.lora_A[f"{i}_{p}"] = nn.Parameter(a)
                self.lora_B[f"{i}_{p}"] = nn.Parameter(torch.zeros(fan_out, cfg.rank))
        self.score = nn.Linear(args.dim, 1, bias=False) if scalar_head else None
        if self.score is not None:
            nn.init.zeros_(self.score.weight)
        self.dropout = nn.Dropout(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        self.to(device=device, dtype=dtype)

    def delta(self, key: str, x: torch.Tensor) -> Optional[torch.Tensor]:
        a = self.lora_A[key] if key in self.lora_A else None
        if a is None:
            return None
        b = self.lora_B[key]
        h = self.dropout(x.to(a.dtype)) @ a.t()
        return (h @ b.t()) * self.cfg.scale

    def weight_delta(self, key: str) -> torch.Tensor:
        """scale · B A, the (out, in) update a merge adds to the base weight."""
        return (self.lora_B[key] @ self.lora_A[key]) * self.cfg.scale


# -- hooks on the base ------------------------------------------------------------------------

def _trunk(model: nn.Module) -> nn.Module:
    return model.model if hasattr(model, "model") and hasattr(model.model, "layers") else model


def attach(model: nn.Module) -> nn.Module:
    """Install the LoRA hooks on `model`'s trunk once (idempotent); no adapter is active yet."""
    trunk = _trunk(model)
    if getattr(trunk, "_lora_hooks", None):
        return trunk
    args: ModelArgs = trunk.args
    slots = _slots(args)
    by_module: dict[str, list[tuple[str, int, int]]] = {}
    for part, (path, lo, hi) in slots.items():
        by_module.setdefault(path, []).append((part, lo, hi))
    handles = []
    for i, layer in enumerate(trunk.layers):
        for path, parts in by_module.items():
            module = layer.get_submodule(path)
            handles.append(module.register_forward_hook(_make_hook(trunk, i, parts)))
    trunk._lora_hooks = handles
    set_state(trunk, None)
    return trunk


def set_state(trunk: nn.Module, adapter: Optional[Adapter]) -> None:
    """The active adapter, as a plain attribute: assigning a Module to a Module would register
    it as a child (its parameters would join the base's parameters() and state_dict())."""
    object.__setattr__(trunk, "lora_state", adapter)


def _make_hook(trunk: nn.Module, layer: int, parts: Sequence[tuple[str, int, int]]):
    slots = [(f"{layer}_{p}", lo, hi) for p, lo, hi in parts]
    width = parts[-1][2]

    def hook(module, inputs, out):
        adapter: Optional[Adapter] = trunk.lora_state
        if adapter is None:
            return out
        mine = [(k, lo, hi) for k, lo, hi in slots if k in adapter.lora_A]
        if not mine:
            return out
        a0 = adapter.lora_A[mine[0][0]]
        x = adapter.dropout(inputs[0].to(a0.dtype))
        r = adapter.cfg.rank
        if len(mine) == 1:
            h = [x @ a0.t()]
        else:  # one matmul for the A's of a fused projection (q/k/v, gate/up), then one per B
            hs = x @ torch.cat([adapter.lora_A[k] for k, _, _ in mine], 0).t()
            h = list(hs.split(r, dim=-1))
        deltas = [(hi_, lo, hi) for hi_, (_, lo, hi) in zip(
            [hh @ adapter.lora_B[k].t() for hh, (k, _, _) in zip(h, mine)], mine)]
        scale = adapter.cfg.scale
        if len(mine) == len(slots) and mine[0][1] == 0 and mine[-1][2] == width:  # every part adapted
            d = deltas[0][0] if len(deltas) == 1 else torch.cat([d for d, _, _ in deltas], dim=-1)
            return out + (d * scale).to(out.dtype)
        pieces, at = [], 0
        for d, lo, hi in deltas:
            if lo > at:
                pieces.append(out[..., at:lo])
            pieces.append(out[..., lo:hi] + (d * scale).to(out.dtype))
            at = hi
        if at < out.shape[-1]:
            pieces.append(out[..., at:])
        return torch.cat(pieces, dim=-1)

    return hook


def detach_hooks(model: nn.Module) -> None:
    trunk = _trunk(model)
    for h in getattr(trunk, "_lora_hooks", None) or []:
        h.remove()
    trunk._lora_hooks = None
    set_state(trunk, None)


@contextlib.contextmanager
def use(model: nn.Module, adapter: Optional[Adapter]) -> Iterator[None]:
    """Run `model` with `adapter` active (None = the base alone), restoring the previous one after."""
    trunk = attach(model)
    prev = trunk.lora_state
    set_state(trunk, adapter)
    try:
        yield
    finally:
        set_state(trunk, prev)


def activate(model: nn.Module, adapter: Optional[Adapter]) -> None:
    set_state(attach(model), adapter)


def freeze_base(model: nn.Module) -> None:
    for p in model.parameters():
        p.requires_grad_(False)


def scalar_forward(base: nn.Module, adapter: Adapter, tokens: torch.Tensor, positions=None,
                   mask=None) -> torch.Tensor:
    """A scalar-head model made of a shared base trunk + `adapter` (with its `score`): (B, T)."""
    assert adapter.score is not None, "this adapter has no scalar head"
    with use(base, adapter):
        hidden = _trunk(base)(tokens, positions, mask)
    return adapter.score(hidden.to(adapter.score.weight.dtype)).squeeze(-1)


class AdaptedScalar(nn.Module):
    """Base trunk + adapter + its head, called like `LlamaScalar` (tokens -> (B, T)). The base is
    not a registered child: `.parameters()` are the adapter's only."""

    def __init__(self, base: nn.Module, adapter: Adapter):
        super().__init__()
        self.adapter = adapter
        object.__setattr__(self, "base", base)
        self.args = adapter.args

    def forward(self, tokens, positions=None, mask=None):
        return scalar_forward(self.base, self.adapter, tokens, positions, mask)


# -- merge ------------------------------------------------------------------------------------

@torch.no_grad()
def merged_state_dict(model: nn.Module, adapter: Adapter, dtype: Optional[torch.dtype] = None) -> dict:
    """The base's state dict (Hugging Face names) with the adapter's updates added (in float32,
    then cast to `dtype`, default the base's), and `score.weight` from a scalar head."""
    state = {k: v.detach() for k, v in model.state_dict().items()}
    prefix = "model." if any(k.startswith("model.layers.") for k in state) else ""
    for key in adapter.lora_A.keys():
        i, part = key.split("_", 1)
        name = f"{prefix}layers.{i}.{HF_MODULE[part]}.weight"
        w = state[name]
        state[name] = (w.float() + adapter.weight_delta(key).float().to(w.device)).to(dtype or w.dtype)
    if dtype is not None:
        state = {k: v.to(dtype) for k, v in state.items()}
    if adapter.score is not None:
        state["score.weight"] = adapter.score.weight.detach().to(dtype or adapter.score.weight.dtype)
        state.pop("lm_head.weight", None)
    return state


@torch.no_grad()
def merge_into(model: nn.Module, adapter: Adapter) -> None:
    """Add the adapter's updates into `model`'s weights in place (the base changes for good)."""
    args = adapter.args
    slots = _slots(args)
    trunk = _trunk(model)
    for key in adapter.lora_A.keys():
        i, part = key.split("_", 1)
        path, lo, hi = slots[part]
        w = trunk.layers[int(i)].get_submodule(path).weight
        w[lo:hi] = (w[lo:hi].float() + adapter.weight_delta(key).float().to(w.device)).to(w.dtype)


# -- PEFT files -------------------------------------------------------------------------------

def peft_state_dict(adapter: Adapter) -> dict[str, torch.Tensor]:
    out = {}
    for key in adapter.lora_A.keys():
        i, part = key.split("_", 1)
        name = f"{PEFT_PREFIX}model.layers.{i}.{HF_MODULE[part]}"
        out[f"{name}.lora_A.weight"] = adapter.lora_A[key].detach().float().cpu()
        out[f"{name}.lora_B.weight"] = adapter.lora_B[key].detach().float().cpu()
    if adapter.score is not None:
        out[f"{PEFT_PREFIX}score.weight"] = adapter.score.weight.detach().float().cpu()
    return out


def save_peft(adapter: Adapter, path: str, base_model: str, tokenizer_path: Optional[str] = None,
              extra: Optional[dict] = None) -> str:
    """Write the adapter in PEFT's layout, plus config.json and tokenizer.model. -> path."""
    os.makedirs(path, exist_ok=True)
    cfg = adapter.cfg
    scalar = adapter.score is not None
    config = {
        "peft_type": "LORA",
        "task_type": "SEQ_CLS" if scalar else "CAUSAL_LM",
        "base_model_name_or_path": os.path.abspath(base_model),
        "r": cfg.rank,
        "lora_alpha": cfg.alpha,
        "lora_dropout": cfg.dropout,
        "target_modules": [HF_MODULE[t].split(".")[1] for t in cfg.targets],
        "modules_to_save": ["score"] if scalar else None,
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "use_rslora": False,
        "use_dora": False,
        "revision": None,
    }
    safetensors.save_file(peft_state_dict(adapter), os.path.join(path, ADAPTER_WEIGHTS), metadata={"format": "pt"})
    with open(os.path.join(path, ADAPTER_CONFIG), "w") as f:
        json.dump(config, f, indent=2)
    arch = "LlamaForSequenceClassification" if scalar else "LlamaForCausalLM"
    hf = adapter.args.to_hf_config(arch, "float32")
    hf["pairwise"] = {**(extra or {}), "peft_adapter": True, "base_model": os.path.abspath(base_model)}
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)
    if tokenizer_path and os.path.abspath(tokenizer_path) != os.path.abspath(os.path.join(path, "tokenizer.model")):
        shutil.copyfile(tokenizer_path, os.path.join(path, "tokenizer.model"))
    return path


def is_peft_dir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, ADAPTER_CONFIG)) and os.path.isfile(os.path.join(path, ADAPTER_WEIGHTS))


def read_peft_config(path: str) -> dict:
    with open(os.path.join(path, ADAPTER_CONFIG)) as f:
        cfg = json.load(f)
    if cfg.get("peft_type") != "LORA":
        raise ValueError(f"{path}: only LoRA adapters are supported (peft_type {cfg.get('peft_type')!r})")
    return cfg


_PART_OF = {v.split(".")[1]: k for k, v in HF_MODULE.items()}


def load_peft(path: str, args: ModelArgs, device=None) -> Adapter:
    """An Adapter from PEFT files (ours or PEFT's own, LoRA on the Llama projections)."""
    cfg_json = read_peft_config(path)
    tensors = safetensors.load_file(os.path.join(path, ADAPTER_WEIGHTS))
    targets = [_PART_OF[t] for t in cfg_json["target_modules"] if t in _PART_OF]
    unknown = [t for t in cfg_json["target_modules"] if t not in _PART_OF]
    if unknown:
        raise ValueError(f"{path}: LoRA on modules this engine does not adapt: {unknown}")
    targets = [p for p in PARTS if p in targets]
    cfg = LoraConfig(rank=int(cfg_json["r"]), alpha=float(cfg_json.get("lora_alpha", 8)),
                     dropout=float(cfg_json.get("lora_dropout", 0.0)), targets=tuple(targets))
    scalar = f"{PEFT_PREFIX}score.weight" in tensors
    adapter = Adapter(args, cfg, scalar_head=scalar)
    state = {}
    for name, t in tensors.items():
        if name == f"{PEFT_PREFIX}score.weight":
            state["score.weight"] = t
            continue
        rest = name[len(PEFT_PREFIX):] if name.startswith(PEFT_PREFIX) else name
        parts = rest.split(".")  # model layers i self_attn q_proj lora_A [default] weight
        try:
            i, module, ab = int(parts[2]), parts[4], parts[5]
        except (IndexError, ValueError):
            raise ValueError(f"{path}: unexpected tensor {name}") from None
        state[f"{ab}.{i}_{_PART_OF[module]}"] = t
    adapter.load_state_dict(state)
    return adapter.to(device=device) if device is not None else adapter


def base_of(path: str) -> str:
    return read_peft_config(path)["base_model_name_or_path"]


def save_merged(model: nn.Module, adapter: Adapter, path: str, tokenizer_path: Optional[str] = None,
                dtype: Optional[torch.dtype] = None, extra: Optional[dict] = None) -> str:
    """A merged Hugging Face checkpoint (the base + the adapter, one model) at `path`."""
    from . import checkpoint
    from .model import Llama, LlamaScalar

    state = merged_state_dict(model, adapter, dtype)
    out = (LlamaScalar if adapter.score is not None else Llama)(adapter.args)
    out.load_state_dict(state)
    checkpoint.save_hf(out.to(dtype or torch.float32), path, tokenizer_path=tokenizer_path, extra=extra)
    return path


# -- method selection -------------------------------------------------------------------------

LORA_THRESHOLD = 1_000_000_000  # parameters: above it, jobs default to method "lora"


def default_method(args: ModelArgs) -> str:
    return "lora" if args.num_parameters() > LORA_THRESHOLD else "full"


def trainable(model_or_adapter: nn.Module) -> list[nn.Parameter]:
    return [p for p in model_or_adapter.parameters() if p.requires_grad]


def adamw(params, lr: float, weight_decay: float = 0.1, device: Optional[torch.device] = None,
          betas=(0.9, 0.95), eps: float = 1e-5) -> torch.optim.Optimizer:
    """AdamW with decay on matrices only; fused on CUDA when this torch has it (2.x)."""
    params = [p for p in params if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    kwargs = {}
    if device is not None and device.type == "cuda" and fused_adamw_available():
        kwargs["fused"] = True
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, **kwargs)


def fused_adamw_available() -> bool:
    import inspect

    return "fused" in inspect.signature(torch.optim.AdamW.__init__).parameters


@dataclass
class Method:
    """How a job trains: `full` or `lora` (+ its config), gradient checkpointing."""

    name: str = "full"
    lora: LoraConfig = field(default_factory=LoraConfig)
    gradient_checkpointing: Optional[bool] = None  # None = on for LoRA on CUDA, else off

    @property
    def is_lora(self) -> bool:
        return self.name == "lora"

    def checkpointing(self, device) -> bool:
        if self.gradient_checkpointing is not None:
            return self.gradient_checkpointing
        return self.is_lora and torch.device(device).type == "cuda"

    def to_json(self) -> dict:
        """The spec fields that parse back to this method (engine/reward/spec.py parse_method)."""
        out: dict = {"method": self.name}
        if self.is_lora:
            out["lora"] = self.lora.to_json()
        if self.gradient_checkpointing is not None:
            out["gradient_checkpointing"] = self.gradient_checkpointing
        return out


def base_dtype(method: Method, device) -> torch.dtype:
    """The frozen base of a LoRA job is bf16 on CUDA; everything else trains float32 weights."""
    return torch.bfloat16 if method.is_lora and torch.device(device).type == "cuda" else torch.float32


class View:
    """One role on a shared base: the base trunk run with `adapter` active (None = the base
    alone, e.g. PPO's reference). Has the attributes PPO's helpers use: `.model(tokens)` (the
    trunk's hidden states), `.lm_head`, `.score` (the adapter's head, input cast to its dtype),
    `.args`, `__call__` (logits or, with a head, per-token scalars), train/eval, parameters()."""

    def __init__(self, base: nn.Module, adapter: Optional[Adapter]):
        self.base, self.adapter, self.args = base, adapter, base.args
        self.lm_head = getattr(base, "lm_head", None)

    def model(self, tokens, positions=None, mask=None):
        with use(self.base, self.adapter):
            return _trunk(self.base)(tokens, positions, mask)

    def score(self, hidden: torch.Tensor) -> torch.Tensor:
        assert self.adapter is not None and self.adapter.score is not None
        return self.adapter.score(hidden.to(self.adapter.score.weight.dtype))

    def __call__(self, tokens, positions=None, mask=None):
        if self.adapter is not None and self.adapter.score is not None:
            return self.score(self.model(tokens, positions, mask)).squeeze(-1)
        with use(self.base, self.adapter):
            return self.base(tokens, positions, mask)

    def parameters(self):
        return iter(self.adapter.parameters()) if self.adapter is not None else iter(())

    def train(self, mode: bool = True):
        if self.adapter is not None:
            self.adapter.train(mode)
        return self

    def eval(self):
        return self.train(False)

    @property
    def training(self) -> bool:
        return self.adapter.training if self.adapter is not None else False
