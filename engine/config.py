"""Model configuration: one dataclass plus named configs, and the two on-disk spellings of it.

Hugging Face writes `config.json` (hidden_size, intermediate_size, ...); Meta writes
`params.json` (dim, multiple_of, ffn_dim_multiplier, ...). Both map onto `ModelArgs`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional


def llama_hidden_dim(dim: int, multiple_of: int, ffn_dim_multiplier: Optional[float]) -> int:
    """Llama's SwiGLU width rule: 2/3 of 4*dim, scaled, rounded up to `multiple_of`.

    7B: 4096 -> 11008; 13B: 5120 -> 13824; 70B (x1.3, multiple_of 4096): 8192 -> 28672.
    """
    hidden = int(2 * (4 * dim) / 3)
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


@dataclass
class ModelArgs:
    dim: int = 4096
    n_layers: int = 32
    n_heads: int = 32
    n_kv_heads: Optional[int] = None  # None = multi-head attention (kv heads = heads)
    vocab_size: int = 32000
    multiple_of: int = 256
    ffn_dim_multiplier: Optional[float] = None
    hidden_dim: Optional[int] = None  # explicit SwiGLU width; None = Llama's rule above
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_seq_len: int = 4096

    def __post_init__(self) -> None:
        if self.n_kv_heads is None:
            self.n_kv_heads = self.n_heads
        if self.hidden_dim is None:
            self.hidden_dim = llama_hidden_dim(self.dim, self.multiple_of, self.ffn_dim_multiplier)
        if self.dim % self.n_heads or self.n_heads % self.n_kv_heads:
            raise ValueError(f"dim {self.dim} / heads {self.n_heads} / kv heads {self.n_kv_heads} do not divide")
        if self.head_dim % 2:
            raise ValueError("head_dim must be even for rotary embeddings")

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    @property
    def kv_heads(self) -> int:
        assert self.n_kv_heads is not None
        return self.n_kv_heads

    @property
    def ffn_dim(self) -> int:
        assert self.hidden_dim is not None
        return self.hidden_dim

    def num_parameters(self, scalar_head: bool = False) -> int:
        d, f, v, hd = self.dim, self.ffn_dim, self.vocab_size, self.head_dim
        attn = d * d * 2 + 2 * d * self.kv_heads * hd  # q, o + k, v
        layer = attn + 3 * d * f + 2 * d
        head = d if scalar_head else v * d
        return v * d + self.n_layers * layer + d + head

    def replace(self, **changes: Any) -> "ModelArgs":
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields.update(changes)
        # A changed width recomputes the SwiGLU width unless that was given too.
        if "hidden_dim" not in changes and {"dim", "multiple_of", "ffn_dim_multiplier"} & changes.keys():
            fields["hidden_dim"] = None
        return ModelArgs(**fields)

    # -- Hugging Face config.json --------------------------------------------------------
    def to_hf_config(self, architecture: str = "LlamaForCausalLM", dtype: str = "float32") -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "architectures": [architecture],
            "model_type": "llama",
            "hidden_size": self.dim,
            "intermediate_size": self.ffn_dim,
            "num_hidden_layers": self.n_layers,
            "num_attention_heads": self.n_heads,
            "num_key_value_heads": self.kv_heads,
            "vocab_size": self.vocab_size,
            "rms_norm_eps": self.norm_eps,
            "rope_theta": self.rope_theta,
            "max_position_embeddings": self.max_seq_len,
            "hidden_act": "silu",
            "tie_word_embeddings": False,
            "attention_bias": False,
            "mlp_bias": False,
            "bos_token_id": 1,
            "eos_token_id": 2,
            "torch_dtype": dtype,
        }
        if architecture == "LlamaForSequenceClassification":
            cfg["num_labels"] = 1
            cfg["pad_token_id"] = 0
        return cfg

    @classmethod
    def from_hf_config(cls, cfg: dict[str, Any]) -> "ModelArgs":
        if cfg.get("model_type", "llama") != "llama":
            raise ValueError(f"not a Llama config: model_type={cfg.get('model_type')!r}")
        if cfg.get("tie_word_embeddings"):
            raise ValueError("Llama 2 has an untied output head; tie_word_embeddings=true is not supported")
        rope_theta = cfg.get("rope_theta")
        if rope_theta is None:  # transformers >= 5 nests it under rope_parameters
            rope_theta = (cfg.get("rope_parameters") or {}).get("rope_theta", 10000.0)
        return cls(
            dim=cfg["hidden_size"],
            n_layers=cfg["num_hidden_layers"],
            n_heads=cfg["num_attention_heads"],
            n_kv_heads=cfg.get("num_key_value_heads", cfg["num_attention_heads"]),
            vocab_size=cfg["vocab_size"],
            hidden_dim=cfg["intermediate_size"],
            norm_eps=cfg.get("rms_norm_eps", 1e-5),
            rope_theta=float(rope_theta),
            max_seq_len=cfg.get("max_position_embeddings", 4096),
        )

    # -- Meta params.json -----------------------------------------------------------------
    @classmethod
    def from_meta_params(cls, params: dict[str, Any], vocab_size: int, max_seq_len: int = 4096) -> "ModelArgs":
        """`vocab_size` comes from the weights: Meta's params.json says -1 (taken from the tokenizer)."""
        return cls(
            dim=params["dim"],
            n_layers=params["n_layers"],
            n_heads=params["n_heads"],
            n_kv_heads=params.get("n_kv_heads"),
            vocab_size=vocab_size,
            multiple_of=params.get("multiple_of", 256),
            ffn_dim_multiplier=params.get("ffn_dim_multiplier"),
            norm_eps=params.get("norm_eps", 1e-5),
            rope_theta=float(params.get("rope_theta", 10000.0)),
            max_seq_len=max_seq_len,
        )

    def to_meta_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "dim": self.dim, "n_layers": self.n_layers, "n_heads": self.n_heads,
            "multiple_of": self.multiple_of, "norm_eps": self.norm_eps, "vocab_size": -1,
        }
        if self.kv_heads != self.n_heads:
            params["n_kv_heads"] = self.kv_heads
        if self.ffn_dim_multiplier is not None:
            params["ffn_dim_multiplier"] = self.ffn_dim_multiplier
        if self.rope_theta != 10000.0:
            params["rope_theta"] = self.rope_theta
        return params


# Named configs. The published Llama 2 sizes, then small shapes for tests, CPU and the demo world.
CONFIGS: dict[str, ModelArgs] = {
    "7B": ModelArgs(dim=4096, n_layers=32, n_heads=32),
    "13B": ModelArgs(dim=5120, n_layers=40, n_heads=40),
    "70B": ModelArgs(dim=8192, n_layers=80, n_heads=64, n_kv_heads=8, ffn_dim_multiplier=1.3, multiple_of=4096),
    # ~1 M parameters with a 512-piece vocabulary: the CPU benchmark's shape and the random default.
    "tiny": ModelArgs(dim=128, n_layers=4, n_heads=4, n_kv_heads=2, vocab_size=512, multiple_of=32, max_seq_len=512),
    # ~15 M parameters: a demo-world sized chat model.
    "small": ModelArgs(dim=384, n_layers=6, n_heads=6, n_kv_heads=2, vocab_size=4096, multiple_of=64, max_seq_len=1024),
    # Test shapes: a few thousand parameters, GQA and MHA variants.
    "test": ModelArgs(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=96, multiple_of=16, max_seq_len=64),
    "test-mha": ModelArgs(dim=32, n_layers=2, n_heads=4, vocab_size=96, multiple_of=16, max_seq_len=64),
}


def named_config(name: str, **overrides: Any) -> ModelArgs:
    if name not in CONFIGS:
        raise KeyError(f"unknown config {name!r}; known: {', '.join(CONFIGS)}")
    return CONFIGS[name].replace(**overrides) if overrides else CONFIGS[name].replace()
