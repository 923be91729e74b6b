"""A plain reference Llama 2 forward pass: the test oracle.

Written from the paper and Meta's reference code, independently of engine/model.py: float64,
an explicit loop over heads, rotary embeddings as complex rotations of interleaved pairs
(Meta's layout) or of half-split pairs (Hugging Face's layout), and Meta's parameter names.
"""

from __future__ import annotations

import math

import torch


def rms_norm(x, w, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def rope(x, theta, layout):
    """x: (T, D) for one head; rotate pair i of position t by angle t * theta^(-2i/D)."""
    t, d = x.shape
    freqs = theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angle = torch.arange(t, dtype=torch.float64)[:, None] * freqs[None]
    rot = torch.polar(torch.ones_like(angle), angle)  # (T, D/2) complex
    if layout == "meta":  # pairs (x0, x1), (x2, x3), ...
        z = torch.view_as_complex(x.reshape(t, d // 2, 2).contiguous())
        return torch.view_as_real(z * rot).reshape(t, d)
    half = d // 2  # "hf": pairs (x0, x_{D/2}), (x1, x_{D/2+1}), ...
    z = torch.complex(x[:, :half], x[:, half:]) * rot
    return torch.cat([z.real, z.imag], dim=-1)


def forward(w: dict, tokens: list[int], n_heads: int, n_kv_heads: int, eps: float = 1e-5,
            theta: float = 10000.0, layout: str = "meta") -> torch.Tensor:
    """Meta-named weights `w` -> logits (T, V) in float64."""
    w = {k: v.double() for k, v in w.items()}
    x = w["tok_embeddings.weight"][torch.tensor(tokens)]  # (T, C)
    t, c = x.shape
    hd = c // n_heads
    n_layers = len({k.split(".")[1] for k in w if k.startswith("layers.")})
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for i in range(n_layers):
        p = f"layers.{i}."
        h = rms_norm(x, w[p + "attention_norm.weight"], eps)
        q, k, v = h @ w[p + "attention.wq.weight"].T, h @ w[p + "attention.wk.weight"].T, h @ w[p + "attention.wv.weight"].T
        heads = []
        for head in range(n_heads):
            kv = head // (n_heads // n_kv_heads)  # grouped-query: query heads share kv heads in groups
            qh = rope(q[:, head * hd:(head + 1) * hd], theta, layout)
            kh = rope(k[:, kv * hd:(kv + 1) * hd], theta, layout)
            vh = v[:, kv * hd:(kv + 1) * hd]
            scores = (qh @ kh.T / math.sqrt(hd)).masked_fill(~causal, float("-inf"))
            heads.append(torch.softmax(scores, dim=-1) @ vh)
        x = x + torch.cat(heads, dim=-1) @ w[p + "attention.wo.weight"].T
        h = rms_norm(x, w[p + "ffn_norm.weight"], eps)
        gate = h @ w[p + "feed_forward.w1.weight"].T
        x = x + ((gate * torch.sigmoid(gate)) * (h @ w[p + "feed_forward.w3.weight"].T)) @ w[p + "feed_forward.w2.weight"].T
    return rms_norm(x, w["norm.weight"], eps) @ w["output.weight"].T


HF_TO_META = {
    "self_attn.q_proj": "attention.wq", "self_attn.k_proj": "attention.wk", "self_attn.v_proj": "attention.wv",
    "self_attn.o_proj": "attention.wo", "mlp.gate_proj": "feed_forward.w1", "mlp.up_proj": "feed_forward.w3",
    "mlp.down_proj": "feed_forward.w2", "input_layernorm": "attention_norm",
    "post_attention_layernorm": "ffn_norm",
}


def hf_names_to_meta(state: dict) -> dict:
    """Rename only (no permutation): for the reference's "hf" rotary layout."""
    out = {}
    for k, v in state.items():
        if k == "model.embed_tokens.weight":
            out["tok_embeddings.weight"] = v
        elif k == "model.norm.weight":
            out["norm.weight"] = v
        elif k == "lm_head.weight":
            out["output.weight"] = v
        else:
            parts = k.split(".")  # model.layers.{i}.{a}.{b}.weight or model.layers.{i}.{norm}.weight
            i = parts[2]
            name = ".".join(parts[3:-1])
            out[f"layers.{i}.{HF_TO_META[name]}.weight"] = v
    return out
