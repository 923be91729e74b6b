"""The Llama 2 architecture: RMSNorm pre-norm, rotary embeddings, grouped-query attention, SwiGLU.

State dicts use Hugging Face's `LlamaForCausalLM` names, so a Hugging Face state dict loads as
is (q/k/v and gate/up are stored fused in memory and split by state-dict hooks); Meta
checkpoints are renamed and their q/k rows permuted on load (engine/checkpoint.py). Rotary
embeddings therefore use Hugging Face's "rotate half" layout.

Three ways to run the attention, chosen by the caller:
  * no cache   (training, reward scoring): causal attention over the given tokens;
  * prefill    : attend over the prompt, and write its keys/values into the static cache at
                 slots [0, T); the cache may hold `n` rows per prompt (shared prefill);
  * decode     : one new token per row, written at slot `input_pos`, attending over the cache;
  * rows       : continuous batching (engine/scheduler.py): each sequence writes its new tokens at
                 its own slots of its own cache rows and attends over the first `span` slots
                 (`input_pos` is a RowIndex).
Shapes: B batch, T tokens, S cache slots, H query heads, K kv heads, D head dim, C model dim.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelArgs

# torch >= 2.0 has fused attention; torch 1.13 (Debian's CPU build) takes the manual path.
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Normalise in float32 as Meta does, then cast back before the (bf16) weight.
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return xf.type_as(x) * self.weight


def rope_tables(head_dim: int, max_seq_len: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables, (max_seq_len, D), float32, frequencies duplicated for the rotate-half layout."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    angles = torch.outer(torch.arange(max_seq_len, dtype=torch.float64), inv_freq)  # (S, D/2)
    angles = torch.cat([angles, angles], dim=-1)  # (S, D)
    return angles.cos().float(), angles.sin().float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (B, heads, T, D); cos/sin: (B, 1, T, D) float32. Rotates pairs (i, i + D/2)."""
    xf = x.float()
    half = xf.shape[-1] // 2
    rotated = torch.cat([-xf[..., half:], xf[..., :half]], dim=-1)
    return (xf * cos + rotated * sin).type_as(x)


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """(B, K, S, D) -> (B, K * n_rep, S, D): query head h reads kv head h // n_rep."""
    if n_rep == 1:
        return x
    b, k, s, d = x.shape
    return x[:, :, None].expand(b, k, n_rep, s, d).reshape(b, k * n_rep, s, d)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    """q: (B, H, T, D); k, v: (B, K, S, D); mask: (B, 1, T, S) bool (True = may attend) or None = causal."""
    b, h, t, d = q.shape
    kv_heads, s = k.shape[1], k.shape[2]
    n_rep = h // kv_heads
    if HAS_SDPA:  # enable_gqa needs torch 2.5, so repeat the kv heads for the fused kernel
        k, v = repeat_kv(k, n_rep), repeat_kv(v, n_rep)
        if mask is None:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    # Manual path (torch 1.13): group the query heads that share a kv head instead of copying the
    # cache n_rep times; query head h = kv_head * n_rep + r reads kv head h // n_rep.
    qg = q.float().reshape(b, kv_heads, n_rep * t, d)  # (B, K, R*T, D)
    scores = (qg @ k.float().transpose(-2, -1)) / math.sqrt(d)  # (B, K, R*T, S)
    scores = scores.view(b, kv_heads, n_rep, t, s)
    if mask is None:
        mask = torch.ones(t, s, dtype=torch.bool, device=q.device).tril(s - t)
    else:
        mask = mask.unsqueeze(1)  # (B, 1, 1, T, S): same for every head
    probs = scores.masked_fill(~mask, float("-inf")).softmax(dim=-1).view(b, kv_heads, n_rep * t, s)
    return (probs @ v.float()).view(b, h, t, d).type_as(q)


class KVCache(nn.Module):
    """Static, preallocated key/value buffers (B, K, S, D), written in place at given slots."""

    def __init__(self, batch: int, kv_heads: int, max_seq_len: int, head_dim: int, dtype: torch.dtype, device):
        super().__init__()
        shape = (batch, kv_heads, max_seq_len, head_dim)
        self.register_buffer("k", torch.zeros(shape, dtype=dtype, device=device), persistent=False)
        self.register_buffer("v", torch.zeros(shape, dtype=dtype, device=device), persistent=False)

    def write_prefill(self, k: torch.Tensor, v: torch.Tensor) -> None:
        """k, v: (P, K, T, D) for P prompts; each prompt fills B / P consecutive rows (its samples)."""
        p, kh, t, d = k.shape
        rows = self.k.shape[0] // p
        self.k.view(p, rows, kh, -1, d)[:, :, :, :t] = k[:, None]
        self.v.view(p, rows, kh, -1, d)[:, :, :, :t] = v[:, None]

    def write_decode(self, input_pos: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
        """input_pos: (1,) slot index; k, v: (B, K, 1, D)."""
        self.k.index_copy_(2, input_pos, k)
        self.v.index_copy_(2, input_pos, v)

    def write_rows(self, index: "RowIndex", k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Continuous batching (engine/scheduler.py): sequence p's T new keys/values go to slots
        index.slots[p] of cache rows index.rows[p] (R rows: the n samples sharing a prefill; None =
        row p). k, v: (P, K, T, D). -> the keys/values to attend over, (P, K, span, D)."""
        p, t = k.shape[0], k.shape[2]
        slots = index.slots  # (P, T)
        if index.rows is None and t == 1:  # decode: one index_copy_ per buffer (CUDA-graph safe)
            _, kh, s, d = self.k.shape
            heads = torch.arange(p, device=slots.device)[:, None] * kh + torch.arange(kh, device=slots.device)
            flat = (heads * s + slots).reshape(-1)  # (P*K,) rows of the (R*K*S, D) view
            self.k.view(-1, d).index_copy_(0, flat, k.reshape(-1, d))
            self.v.view(-1, d).index_copy_(0, flat, v.reshape(-1, d))
            return self.k[:p, :, :index.span], self.v[:p, :, :index.span]
        if index.rows is None:
            rows = torch.arange(p, device=slots.device)[:, None]  # (P, 1)
            self.k[rows, :, slots] = k.transpose(1, 2)  # advanced indices first: (P, T, K, D)
            self.v[rows, :, slots] = v.transpose(1, 2)
            return self.k[:p, :, :index.span], self.v[:p, :, :index.span]
        for r in range(index.rows.shape[1]):  # each sample row of a shared prefill gets the same keys
            rows = index.rows[:, r:r + 1]  # (P, 1)
            self.k[rows, :, slots] = k.transpose(1, 2)
            self.v[rows, :, slots] = v.transpose(1, 2)
        first = index.rows[:, 0]
        return self.k[first, :, :index.span], self.v[first, :, :index.span]


class RowIndex(NamedTuple):
    """Where mode "rows" reads and writes the cache: `slots` (P, T) cache slots of the new tokens
    (= their rotary positions: rows are not padded), `rows` (P, R) cache rows or None for rows
    0..P-1, `span` how many leading slots the attention reads (the mask hides the rest)."""

    slots: torch.Tensor
    rows: Optional[torch.Tensor]
    span: int


def fused_linear(module: nn.Module, fused: str, parts: dict[str, int]) -> None:
    """Keep one (sum(rows), C) weight `fused` but read and write it as separate Hugging Face
    tensors `parts` (name -> rows): one large matmul instead of several small ones per step
    (decode at batch 1 is a chain of matrix-vector products), with unchanged checkpoints."""

    def save_hook(mod, state_dict, prefix, local_metadata):
        weight = state_dict.pop(f"{prefix}{fused}.weight")
        for name, chunk in zip(parts, weight.split(list(parts.values()), dim=0)):
            state_dict[f"{prefix}{name}.weight"] = chunk

    def load_hook(state_dict, prefix, *args):
        names = [f"{prefix}{name}.weight" for name in parts]
        if all(n in state_dict for n in names):
            state_dict[f"{prefix}{fused}.weight"] = torch.cat([state_dict.pop(n) for n in names], dim=0)

    module._register_state_dict_hook(save_hook)
    module._register_load_state_dict_pre_hook(load_hook)


class Attention(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.head_dim = args.n_heads, args.kv_heads, args.head_dim
        self.q_rows, self.kv_rows = args.n_heads * args.head_dim, args.kv_heads * args.head_dim
        # q, k and v projections in one (H*D + 2*K*D, C) weight; checkpoints see q_proj/k_proj/v_proj.
        self.qkv_proj = nn.Linear(args.dim, self.q_rows + 2 * self.kv_rows, bias=False)
        fused_linear(self, "qkv_proj", {"q_proj": self.q_rows, "k_proj": self.kv_rows, "v_proj": self.kv_rows})
        self.o_proj = nn.Linear(self.q_rows, args.dim, bias=False)
        self.cache: Optional[KVCache] = None

    def forward(self, x, cos, sin, mask, mode: str = "full", input_pos: Optional[torch.Tensor] = None):
        b, t, _ = x.shape
        q, k, v = self.qkv_proj(x).split([self.q_rows, self.kv_rows, self.kv_rows], dim=-1)
        q = q.view(b, t, self.n_heads, self.head_dim).transpose(1, 2)  # (B, H, T, D)
        k = k.view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)  # (B, K, T, D)
        v = v.view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if mode == "prefill":
            assert self.cache is not None, "call setup_cache() before prefill"
            self.cache.write_prefill(k, v)
        elif mode == "decode":
            assert self.cache is not None and input_pos is not None
            self.cache.write_decode(input_pos, k, v)
            k, v = self.cache.k, self.cache.v  # (B, K, S, D): attend over every slot, mask decides
        elif mode == "rows":  # continuous batching: per-row slots; input_pos is a RowIndex
            assert self.cache is not None and input_pos is not None
            k, v = self.cache.write_rows(input_pos, k, v)
        y = attention(q, k, v, mask)  # (B, H, T, D)
        return self.o_proj(y.transpose(1, 2).reshape(b, t, -1))


class MLP(nn.Module):
    """SwiGLU: down(silu(gate(x)) * up(x)). Meta's w1 = gate, w3 = up, w2 = down."""

    def __init__(self, args: ModelArgs):
        super().__init__()
        # gate and up in one (2F, C) weight; checkpoints see gate_proj/up_proj.
        self.gate_up_proj = nn.Linear(args.dim, 2 * args.ffn_dim, bias=False)
        fused_linear(self, "gate_up_proj", {"gate_proj": args.ffn_dim, "up_proj": args.ffn_dim})
        self.down_proj = nn.Linear(args.ffn_dim, args.dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up_proj(x).chunk(2, dim=-1)  # (B, T, F) each
        return self.down_proj(F.silu(gate) * up)


class Block(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.self_attn = Attention(args)
        self.mlp = MLP(args)
        self.input_layernorm = RMSNorm(args.dim, args.norm_eps)
        self.post_attention_layernorm = RMSNorm(args.dim, args.norm_eps)

    def forward(self, x, cos, sin, mask, mode="full", input_pos=None):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask, mode, input_pos)
        return x + self.mlp(self.post_attention_layernorm(x))


class Trunk(nn.Module):
    """Embeddings, blocks and final norm: shared by the language model and scalar-head models."""

    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        self.embed_tokens = nn.Embedding(args.vocab_size, args.dim)
        self.layers = nn.ModuleList(Block(args) for _ in range(args.n_layers))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        # Plain attributes, not buffers: model.to(bfloat16) must not round the rotary tables.
        self.rope_cos, self.rope_sin = rope_tables(args.head_dim, args.max_seq_len, args.rope_theta)

    def forward(self, tokens, positions=None, mask=None, mode="full", input_pos=None):
        """tokens: (B, T); positions: (B, T) rotary positions (default 0..T-1) -> hidden (B, T, C)."""
        b, t = tokens.shape
        if positions is None:
            positions = torch.arange(t, device=tokens.device).expand(b, t)
        if self.rope_cos.device != tokens.device:
            self.rope_cos, self.rope_sin = self.rope_cos.to(tokens.device), self.rope_sin.to(tokens.device)
        cos = self.rope_cos[positions].unsqueeze(1)  # (B, 1, T, D) float32
        sin = self.rope_sin[positions].unsqueeze(1)
        x = self.embed_tokens(tokens)
        for layer in self.layers:
            if getattr(self, "gradient_checkpointing", False) and mode == "full" and torch.is_grad_enabled():
                x = checkpointed_layer(self, layer, x, cos, sin, mask)
            else:
                x = layer(x, cos, sin, mask, mode, input_pos)
        return self.norm(x)


def checkpointed_layer(trunk: "Trunk", layer: "Block", x, cos, sin, mask):
    """Activation checkpointing of one decoder layer (training only; engine/lora.py sets
    `trunk.gradient_checkpointing`). The recomputation in backward runs with the LoRA adapter
    that was active in forward (`trunk.lora_state`), even if another one is active by then."""
    from torch.utils.checkpoint import checkpoint

    state = getattr(trunk, "lora_state", None)

    def run(h):
        prev = getattr(trunk, "lora_state", None)
        object.__setattr__(trunk, "lora_state", state)  # a plain attribute, never a child module
        try:
            return layer(h, cos, sin, mask)
        finally:
            object.__setattr__(trunk, "lora_state", prev)

    return checkpoint(run, x, use_reentrant=False)


class CacheMixin:
    """Static KV cache management shared by both heads."""

    model: Trunk

    def setup_cache(self, batch: int, max_seq_len: int, dtype=None, device=None) -> None:
        ref = self.model.embed_tokens.weight
        a = self.model.args
        if max_seq_len > a.max_seq_len:
            raise ValueError(f"cache of {max_seq_len} slots exceeds the context of {a.max_seq_len}")
        for layer in self.model.layers:
            layer.self_attn.cache = KVCache(batch, a.kv_heads, max_seq_len, a.head_dim,
                                            dtype or ref.dtype, device or ref.device)

    def clear_cache(self) -> None:
        for layer in self.model.layers:
            layer.self_attn.cache = None


class Llama(CacheMixin, nn.Module):
    """Causal language model: trunk plus an untied vocabulary head."""

    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        self.model = Trunk(args)
        self.lm_head = nn.Linear(args.dim, args.vocab_size, bias=False)

    def forward(self, tokens, positions=None, mask=None, mode="full", input_pos=None, last_only=False):
        """-> logits (B, T, V), or (B, 1, V) with last_only (prefill needs only the next token)."""
        h = self.model(tokens, positions, mask, mode, input_pos)
        if last_only:
            h = h[:, -1:]
        return self.lm_head(h)


class LlamaScalar(CacheMixin, nn.Module):
    """Scalar-head variant for reward and value models (Hugging Face: LlamaForSequenceClassification)."""

    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        self.model = Trunk(args)
        self.score = nn.Linear(args.dim, 1, bias=False)

    def forward(self, tokens, positions=None, mask=None, mode="full", input_pos=None):
        """-> per-token scalars (B, T); a reward model reads the last real token's value."""
        return self.score(self.model(tokens, positions, mask, mode, input_pos)).squeeze(-1)


def init_weights(model: nn.Module, seed: int = 0, std: float = 0.02) -> None:
    """Llama-style random init (normal(0, 0.02), norms at 1), reproducible from `seed`."""
    gens: dict[torch.device, torch.Generator] = {}
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.fill_(1.0)
                continue
            # Sampled on the parameter's own device: a 7B model initialises on the GPU in seconds.
            gen = gens.setdefault(p.device, torch.Generator(device=p.device).manual_seed(seed))
            p.normal_(0.0, std, generator=gen)
