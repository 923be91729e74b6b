"""A memory plan before a job starts: estimate peak memory, and refuse what cannot fit.

`plan(...)` takes the model config, the job kind, the method (full | lora), the micro-batch in
sequences, the sequence length, whether activations are checkpointed, whether PPO shares one
base, and the device's free memory, and returns a `Plan`: bytes by component, the peak, whether
it fits, and when it does not, a message that says what to change ("needs ~96 GB, the device
has 79 GB free: use method lora or batch 4").

The model (bytes; P = parameters of the base, A = adapter parameters, h = width, f = SwiGLU
width, L = layers, V = vocabulary, N = B·T tokens of the micro-batch):

* full fine-tuning: float32 master weights + gradients + AdamW's two moments = 16·P (the
  forward runs under bf16 autocast on CUDA), the paper-sized "~16 bytes a parameter";
* LoRA: the frozen base in bf16 on CUDA (2·P; float32 = 4·P on CPU) + 16·A for the adapters;
* activations per token and layer ≈ 2·(10h + 6f) + 8h bytes (bf16 projections' inputs and
  outputs, SwiGLU's three F-wide tensors, float32 norms and rotary), plus 8·heads·T for the
  attention probabilities when there is no fused attention (torch 1.13, CPU); with activation
  checkpointing only each layer's input (2h bf16 / 4h fp32) is kept, plus one layer recomputed;
* the vocabulary head's float32 logits, their log-softmax and gradient: 12·N·V (language models);
* PPO: the policy, a value model (full: its own 16·P; LoRA: an adapter + head), the reference
  (a second copy of the base unless shared: adapter off), two reward models (two copies of
  their base unless they are adapters on the shared base), a KV cache for the rollout batch,
  and the larger of the update's and the rollout forward's activations;
* CUDA: + 1.5 GB context and 10 % for fragmentation.

These are estimates for a go / no-go and for choosing a batch, not measurements; the GPU bench
(engine/bench/gpu_check.sh) prints measured peaks next to them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Optional

from .config import ModelArgs

GB = 1024 ** 3
CUDA_CONTEXT = int(1.5 * GB)
FRAGMENTATION = 0.10
TYPICAL_SEQ = 1024
KINDS = ("train_reward", "sft", "rejection_sampling", "ppo", "evaluate")


@dataclass
class Plan:
    kind: str
    method: str
    batch: int
    seq_len: int
    device: str
    components: dict[str, int]
    peak_bytes: int
    free_bytes: Optional[int]
    fits: bool
    message: str
    suggestions: list[str] = field(default_factory=list)
    gradient_checkpointing: bool = False
    shared_base: Optional[bool] = None

    def to_json(self) -> dict:
        out = asdict(self)
        out["peak_gb"] = round(self.peak_bytes / GB, 2)
        out["free_gb"] = None if self.free_bytes is None else round(self.free_bytes / GB, 2)
        out["components_gb"] = {k: round(v / GB, 3) for k, v in self.components.items()}
        return out


def gb(n: float) -> str:
    return f"{n / GB:.0f}" if n >= 10 * GB else f"{n / GB:.1f}"


def activation_bytes(args: ModelArgs, tokens: int, seq_len: int, cuda: bool, checkpointing: bool,
                     fused_attention: bool) -> int:
    h, f, layers = args.dim, args.ffn_dim, args.n_layers
    width = 2 if cuda else 4  # bf16 autocast on CUDA, float32 on CPU
    per_layer = width * (10 * h + 6 * f) + 8 * h
    if not fused_attention:
        per_layer += 8 * args.n_heads * seq_len  # float32 scores + probabilities
    if checkpointing:
        return tokens * (layers * width * h + per_layer)
    return tokens * layers * per_layer


def _weights(args: ModelArgs, method: str, cuda: bool, lora_params: int, scalar: bool) -> dict[str, int]:
    p = args.num_parameters(scalar_head=scalar)
    if method == "full":
        return {"weights": 4 * p, "gradients": 4 * p, "optimizer": 8 * p}
    return {"weights": (2 if cuda else 4) * p, "adapter+optimizer": 16 * lora_params}


def plan(args: ModelArgs, kind: str, method: str = "full", batch: int = 8, seq_len: Optional[int] = None,
         device: str = "cuda", free_bytes: Optional[int] = None, gradient_checkpointing: bool = False,
         lora_rank: int = 8, lora_targets: tuple[str, ...] = ("q", "k", "v", "o", "gate", "up", "down"),
         shared_base: bool = True, rollout_batch: int = 32, reward_models: int = 2,
         fused_attention: Optional[bool] = None, suggest: bool = True) -> Plan:
    """Peak memory of one training step of `kind` (see the module docstring). `batch` is the
    micro-batch in sequences (train_reward: 2 × pairs; PPO: the minibatch), `seq_len` tokens each."""
    from .lora import LoraConfig, count_parameters

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if method not in ("full", "lora"):
        raise ValueError("method must be full or lora")
    cuda = device.startswith("cuda")
    if fused_attention is None:
        import torch.nn.functional as F

        fused_attention = cuda and hasattr(F, "scaled_dot_product_attention")
    seq = min(seq_len or args.max_seq_len, args.max_seq_len)
    lora_params = count_parameters(args, LoraConfig(rank=lora_rank, targets=tuple(lora_targets)))
    frozen_width = 2 if cuda else 4
    P = args.num_parameters()
    comp: dict[str, int] = {}
    scalar = kind == "train_reward"
    tokens = batch * seq
    if kind == "evaluate":  # sampling only: one policy at a time, then the reward models
        comp["weights"] = frozen_width * P
        comp["kv_cache"] = rollout_batch * seq * args.n_layers * 2 * args.kv_heads * args.head_dim * frozen_width
        comp["reward_models"] = reward_models * frozen_width * P if not shared_base else reward_models * 4 * args.dim
    elif kind != "ppo":
        comp.update(_weights(args, method, cuda, lora_params, scalar))
        comp["activations"] = activation_bytes(args, tokens, seq, cuda, gradient_checkpointing, fused_attention)
        if not scalar:
            comp["logits"] = 12 * tokens * args.vocab_size
        if kind == "rejection_sampling":  # sampling before training: KV cache of the decode batch
            comp["kv_cache"] = min(256, rollout_batch) * seq * args.n_layers * 2 * args.kv_heads * args.head_dim * frozen_width
    else:
        policy = _weights(args, method, cuda, lora_params, False)
        comp.update({f"policy_{k}": v for k, v in policy.items()})
        if method == "full":
            comp["value_model"] = 16 * args.num_parameters(scalar_head=True)
            comp["reference"] = frozen_width * P
            comp["reward_models"] = reward_models * frozen_width * args.num_parameters(scalar_head=True)
        else:
            comp["value_adapter+optimizer"] = 16 * (lora_params + args.dim)
            if shared_base:
                comp["reference"] = 0  # the base with the policy's adapter off
                comp["reward_models"] = reward_models * 4 * (lora_params + args.dim)  # adapters + heads on the base
            else:
                comp["value_base"] = frozen_width * args.num_parameters(scalar_head=True)
                comp["reference"] = frozen_width * P
                comp["reward_models"] = reward_models * frozen_width * args.num_parameters(scalar_head=True)
        comp["kv_cache"] = rollout_batch * seq * args.n_layers * 2 * args.kv_heads * args.head_dim * frozen_width
        # update: policy and value forwards of one minibatch kept for one backward
        comp["activations"] = 2 * activation_bytes(args, tokens, seq, cuda, gradient_checkpointing, fused_attention)
        comp["logits"] = 12 * tokens * args.vocab_size
    peak = sum(comp.values())
    if cuda:
        comp["cuda_context"] = CUDA_CONTEXT
        comp["fragmentation"] = int(FRAGMENTATION * peak)
        peak = sum(comp.values())
    fits = free_bytes is None or peak <= free_bytes
    where = f"the device has {gb(free_bytes)} GB free" if free_bytes is not None else "free memory unknown"
    out = Plan(kind, method, batch, seq, device, comp, peak, free_bytes, fits,
               f"needs ~{gb(peak)} GB, {where}", gradient_checkpointing=gradient_checkpointing,
               shared_base=shared_base if kind in ("ppo", "evaluate") else None)
    if not fits and suggest:
        out.suggestions = _suggest(args, kind, method, batch, seq, device, free_bytes, gradient_checkpointing,
                                   lora_rank, lora_targets, shared_base, rollout_batch, reward_models,
                                   fused_attention)
        out.message += ": " + (" or ".join(out.suggestions) if out.suggestions else
                               "no single-device setting fits: shard the base over several GPUs (FSDP, torch 2.x) "
                               "or use a larger device")
    return out


def _suggest(args, kind, method, batch, seq, device, free, ckpt, rank, targets, shared, rollout, rms, fused) -> list[str]:
    def fits(**kw) -> bool:
        p = dict(args=args, kind=kind, method=method, batch=batch, seq_len=seq, device=device, free_bytes=free,
                 gradient_checkpointing=ckpt, lora_rank=rank, lora_targets=targets, shared_base=shared,
                 rollout_batch=rollout, reward_models=rms, fused_attention=fused, suggest=False)
        p.update(kw)
        return plan(**p).fits

    out = []
    if method == "full" and fits(method="lora"):
        out.append("use method lora")
    elif method == "full" and fits(method="lora", gradient_checkpointing=True):
        out.append("use method lora with gradient checkpointing")
    if not ckpt and fits(gradient_checkpointing=True):
        out.append("turn on gradient checkpointing")
    for b in range(batch - 1, 0, -1):
        if b < batch and fits(batch=b):
            label = "batch" if kind != "train_reward" else "batch_size"
            out.append(f"{label} {b if kind != 'train_reward' else max(1, b // 2)}")
            break
    if kind == "ppo" and not shared and method == "lora" and fits(shared_base=True):
        out.append("train the reward models as LoRA adapters on the policy's base (shared base)")
    return out


# -- the device and the job specs ---------------------------------------------------------------

def device_free_bytes(device) -> Optional[int]:
    """Free memory of `device`: ENGINE_DEVICE_MEMORY_GB if set (tests, or to reserve room),
    else CUDA's mem_get_info, else the host's MemAvailable."""
    env = os.environ.get("ENGINE_DEVICE_MEMORY_GB")
    if env:
        return int(float(env) * GB)
    import torch

    dev = torch.device(device)
    if dev.type == "cuda":
        free, _ = torch.cuda.mem_get_info(dev)
        return int(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def model_args(model_dir: str) -> Optional[ModelArgs]:
    try:
        with open(os.path.join(model_dir, "config.json")) as f:
            return ModelArgs.from_hf_config(json.load(f))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def plan_for_job(kind: str, spec, device, free_bytes: Optional[int] = None) -> Optional[Plan]:
    """The plan of a parsed job spec (engine/jobs.py KINDS), or None when the base's config is
    unreadable (the job then fails at load with its own message)."""
    import torch

    base = getattr(spec, "base_model", None) or getattr(spec, "model", None)
    args = model_args(base) if base else None
    if args is None:
        return None
    device = torch.device(device)
    free = free_bytes if free_bytes is not None else device_free_bytes(device)
    m = getattr(spec, "method", None)
    method = getattr(m, "name", "full") if m is not None else "full"
    ckpt = bool(getattr(m, "gradient_checkpointing", False)) if m is not None else False
    rank = m.lora.rank if m is not None and method == "lora" else 8
    targets = tuple(m.lora.targets) if m is not None and method == "lora" else ("q", "k", "v", "o", "gate", "up", "down")
    # Tokens per sequence: the spec's max_seq_len, else min(context, TYPICAL_SEQ): a 4096-token
    # context is a bound few dialogues reach, and planning every row at it would refuse jobs
    # that fit (an OOM mid-job still fails only that job, with its reason).
    seq = getattr(spec, "max_seq_len", None) or min(args.max_seq_len, TYPICAL_SEQ)
    if kind == "train_reward":
        batch = 2 * spec.batch_size
    elif kind in ("sft", "rejection_sampling"):
        batch = spec.batch_size
    elif kind == "ppo":
        batch = spec.minibatch_size
    else:
        batch = 1
    kw = {}
    if kind == "ppo":
        kw["rollout_batch"] = spec.rollout_batch
        kw["shared_base"] = bool(getattr(spec, "shared_base", True)) and method == "lora"
        kw["reward_models"] = len(spec.reward_models)
        # a rollout row is the prompt plus the reply; the plan uses the context as the bound
        seq = min(args.max_seq_len, getattr(spec, "max_tokens", 0) * 2 or args.max_seq_len)
    if kind == "rejection_sampling":
        kw["rollout_batch"] = spec.k * max(1, 256 // spec.k)
    if kind == "evaluate":
        kw["reward_models"] = len(spec.reward_models)
        kw["shared_base"] = False
    return plan(args, kind, method, batch, seq, device.type, free, ckpt, rank, targets, **kw)


def plan_request(body, device) -> dict:
    """`POST /v1/jobs/plan`: {"kind", "spec": {base_model, method?, lora?, gradient_checkpointing?,
    batch_size? | minibatch_size?, max_seq_len?, rollout_batch?, k?, max_tokens?, reward_models?}}
    -> the plan as JSON. Only the fields that size memory are read (no data files needed), so the
    launch form can ask before it submits. Raises ApiError (400) on a bad body."""
    import torch

    from .protocol import ApiError
    from .reward.spec import _num, _path, parse_method

    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    kind = body.get("kind")
    if kind not in KINDS:
        raise ApiError(400, f"'kind' must be one of {', '.join(KINDS)}, got {kind!r}", "kind")
    spec = body.get("spec")
    if not isinstance(spec, dict):
        raise ApiError(400, "'spec' must be an object", "spec")
    base_key = "model" if kind == "evaluate" else "base_model"
    base = _path(spec, base_key, "model")
    args = model_args(base)
    if args is None:
        raise ApiError(400, f"'spec.{base_key}': cannot read the model config of {base}", f"spec.{base_key}")
    method = parse_method(spec, base)
    dev = torch.device(device)
    free = device_free_bytes(dev)
    seq = spec.get("max_seq_len")
    seq = _num(spec, "max_seq_len", None, 8, 1 << 20, True) if seq is not None else min(args.max_seq_len, TYPICAL_SEQ)
    kw: dict = {}
    if kind == "train_reward":
        batch = 2 * _num(spec, "batch_size", 8, 1, 4096, True)
    elif kind == "ppo":
        batch = _num(spec, "minibatch_size", 8, 1, 1024, True)
        kw["rollout_batch"] = _num(spec, "rollout_batch", 32, 1, 4096, True)
        max_tokens = _num(spec, "max_tokens", 48, 1, 4096, True)
        seq = min(args.max_seq_len, spec.get("max_seq_len") or 2 * max_tokens)
        kw["shared_base"] = method.is_lora and spec.get("shared_base", True) is not False
    elif kind == "evaluate":
        batch = 1
        kw["shared_base"] = False
    else:
        batch = _num(spec, "batch_size", 16, 1, 4096, True)
    rms = spec.get("reward_models")
    if isinstance(rms, dict) and rms:
        kw["reward_models"] = len(rms)
    p = plan(args, kind, method.name, batch, seq, dev.type, free, method.checkpointing(dev), method.lora.rank,
             method.lora.targets, **kw)
    return p.to_json()
