"""Benchmark: training at Llama 2 size — the measurements of issue 17, next to the memory plan.

    python -m engine.bench.scale --device cuda             # the GPU session (engine/bench/gpu_check.sh)
    python -m engine.bench.scale --device cpu --small      # the same code paths on test shapes (CPU)

Parts (each prints one line of JSON as it finishes, with the memory plan's prediction beside the
measured peak; random weights, synthetic tokens):
  reward_full   reward-model training steps, ~1B shape, full fine-tuning: tokens/s, MFU, peak
  reward_lora   the same on the 7B shape with LoRA (frozen bf16 base, gradient checkpointing)
  ppo_lora      one PPO iteration, 7B shape, LoRA on one shared base (policy, reference = adapter
                off, value and two reward models = adapters + heads): seconds by phase, peak
  rs_sampling   rejection sampling's sampling phase at 7B: samples/s (K replies per prompt)

MFU = model FLOPs / (seconds · device peak). Model FLOPs per token: full fine-tuning 6·P (forward
2·P, backward 4·P) + 12·L·d·T attention; LoRA 4·P (no weight gradients for the frozen base) +
2·P recomputation with checkpointing, same attention term — both with the 6·P "model FLOPs"
convention reported too, so numbers compare with llm.c / torchtune. The 7B shape uses the
bundled tokenizer's vocabulary (2,048 pieces; ~6.5 B parameters) so that sampled text decodes.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from engine import lora
from engine.config import named_config
from engine.memory_plan import GB, plan
from engine.model import Llama, init_weights

PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12}
BUNDLED_TOKENIZER = os.path.join(os.path.dirname(os.path.dirname(__file__)), "models", "pairwise-tiny-chat",
                                 "tokenizer.model")


def peak_flops(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAK_BF16.items() if k in name), None)


def shapes(small: bool, vocab: int) -> dict:
    if small:
        return {"1B": named_config("test", vocab_size=vocab, max_seq_len=256),
                "7B": named_config("test", vocab_size=vocab, max_seq_len=256, n_layers=3)}
    return {"1B": named_config("tiny", dim=2048, n_layers=16, n_heads=16, n_kv_heads=16, vocab_size=vocab,
                               multiple_of=256, max_seq_len=4096),
            "7B": named_config("7B", vocab_size=vocab)}


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def _reset_peak(device):
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def _peak(device) -> float | None:
    return round(torch.cuda.max_memory_allocated(device) / GB, 2) if device.type == "cuda" else None


def _base(args, device, dtype) -> Llama:
    with torch.device(device) if hasattr(torch, "get_default_device") else _nullctx():
        model = Llama(args)
    model = model.to(device=device, dtype=dtype)
    init_weights(model, seed=0)
    return model


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def reward_step_bench(args, device, method: str, batch: int, seq: int, steps: int, ckpt: bool) -> dict:
    """Reward-model training steps on random tokens (a pair = 2 sequences of `seq` tokens)."""
    cuda = device.type == "cuda"
    if method == "full":
        from engine.model import LlamaScalar

        model = LlamaScalar(args).to(device=device, dtype=torch.float32)
        init_weights(model, seed=0)
        model.model.gradient_checkpointing = ckpt
        fwd = model
        params = list(model.parameters())
    else:
        base = _base(args, device, torch.bfloat16 if cuda else torch.float32)
        lora.freeze_base(base)
        base.model.gradient_checkpointing = ckpt
        adapter = lora.Adapter(args, lora.LoraConfig(rank=16), scalar_head=True, device=device)
        fwd = lora.View(base, adapter)
        params = list(adapter.parameters())
    opt = lora.adamw(params, 1e-5, 0.1, device)
    _reset_peak(device)  # the peak of training, not of building random weights
    gen = torch.Generator(device="cpu").manual_seed(0)
    tokens = torch.randint(3, args.vocab_size, (2 * batch, seq), generator=gen).to(device)
    from engine.reward.train import reward_loss

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16) if cuda else _nullctx():
            r = fwd(tokens)[:, -1].float().view(-1, 2)
        loss = reward_loss(r[:, 0], r[:, 1])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    step()  # warm-up
    _sync(device)
    t = time.time()
    for _ in range(steps):
        step()
    _sync(device)
    dt = (time.time() - t) / steps
    n_tok = 2 * batch * seq
    P = args.num_parameters(scalar_head=True)
    attn = 12 * args.n_layers * args.dim * seq
    model_flops = (6 * P + attn) * n_tok
    hw = ((4 * P + (2 * P if ckpt else 0)) + attn) * n_tok if method == "lora" else \
         ((6 * P + (2 * P if ckpt else 0)) + attn) * n_tok
    peak = peak_flops(device)
    predicted = plan(args, "train_reward", method, 2 * batch, seq, device.type, None, ckpt)
    return {"part": f"reward_{method}", "params": P, "batch_pairs": batch, "seq": seq, "checkpointing": ckpt,
            "seconds_per_step": round(dt, 4), "tokens_per_s": round(n_tok / dt, 1),
            "mfu_6P": None if peak is None else round(model_flops / dt / peak, 4),
            "hfu": None if peak is None else round(hw / dt / peak, 4),
            "peak_gb": _peak(device), "planned_gb": round(predicted.peak_bytes / GB, 2)}


def ppo_bench(args, device, rollouts: int, max_tokens: int, minibatch: int, small: bool) -> dict:
    """One PPO iteration on one shared base (LoRA): rollout, scoring, update, with their seconds."""
    from engine.rlhf import common
    from engine.rlhf.ppo import PromptStream, Trainer
    from engine.rlhf.ppo_spec import PpoSpec
    from engine.tokenizer import Tokenizer

    cuda = device.type == "cuda"
    method = lora.Method("lora", lora.LoraConfig(rank=16), gradient_checkpointing=True)
    tr = Trainer.__new__(Trainer)
    tr.spec = PpoSpec(base_model="-", reference_model="-", output_dir="-", prompts_file="-",
                      reward_models={"helpfulness": "-", "safety": "-"}, rollout_batch=rollouts,
                      minibatch_size=minibatch, ppo_epochs=1, max_tokens=max_tokens, method=method)
    tr.device = device
    tr.tokenizer = Tokenizer(BUNDLED_TOKENIZER)
    words = "explain how rivers form and why the sea is salty in simple words for a child".split()
    tr.prompts = [common.PromptRow(f"p{i}", (common.Message("user", " ".join(words[: 4 + i % 10]) * (1 if small else 8)),),
                                   i % 3 == 0) for i in range(rollouts)]
    tr.stream = PromptStream(len(tr.prompts), 0)
    tr.policy = _base(args, device, torch.bfloat16 if cuda else torch.float32)
    lora.freeze_base(tr.policy)
    tr.policy.model.gradient_checkpointing = True
    tr.adapter = lora.Adapter(args, method.lora, device=device)
    lora.activate(tr.policy, tr.adapter)
    tr.policy_params = list(tr.adapter.parameters())
    tr.shared_reference = True
    tr.ref = lora.View(tr.policy, None)
    tr.value_adapter = lora.Adapter(args, method.lora, scalar_head=True, seed=1, device=device)
    tr.value_model = lora.View(tr.policy, tr.value_adapter)
    tr.value_params = list(tr.value_adapter.parameters())
    rms = {}
    for i, axis in enumerate(("helpfulness", "safety")):
        a = lora.Adapter(args, method.lora, scalar_head=True, seed=2 + i, device=device)
        with torch.no_grad():
            a.score.weight.normal_(0, 0.02)
        rms[axis] = common.RewardModel("-", lora.View(tr.policy, a), tr.tokenizer)  # type: ignore[arg-type]
    tr.reward_models = common.RewardSet(rms, device, shared=list(rms))
    tr.opt = lora.adamw(tr.policy_params, 1e-5, 0.1, device)
    tr.value_opt = lora.adamw(tr.value_params, 1e-5, 0.1, device)
    _reset_peak(device)
    t0 = time.time()
    ro, _, t_rollout, t_score = tr.rollout(1, lambda: False)
    _sync(device)
    t1 = time.time()
    tr.update(ro, 1, lambda: False)
    _sync(device)
    t_update = time.time() - t1
    seq = max(len(s) for s in ro.seqs)
    shared = plan(args, "ppo", "lora", minibatch, seq, device.type, None, True, 16, shared_base=True,
                  rollout_batch=rollouts)
    separate = plan(args, "ppo", "lora", minibatch, seq, device.type, None, True, 16, shared_base=False,
                    rollout_batch=rollouts)
    return {"part": "ppo_lora_shared", "params": args.num_parameters(), "rollouts": rollouts,
            "max_tokens": max_tokens, "mean_reply_tokens": round(float(ro.mask.sum(1).mean()), 1),
            "seconds": {"rollout_and_stats": round(t_rollout, 2), "scoring": round(t_score, 2),
                        "update": round(t_update, 2), "total": round(time.time() - t0, 2)},
            "peak_gb": _peak(device), "planned_gb_shared": round(shared.peak_bytes / GB, 2),
            "planned_gb_without_sharing": round(separate.peak_bytes / GB, 2)}


def rs_sampling_bench(args, device, prompts: int, k: int, max_tokens: int, small: bool) -> dict:
    from engine.rlhf import common
    from engine.tokenizer import Tokenizer

    model = _base(args, device, torch.bfloat16 if device.type == "cuda" else torch.float32).eval()
    _reset_peak(device)
    tok = Tokenizer(BUNDLED_TOKENIZER)
    rows = [common.PromptRow(f"p{i}", (common.Message("user", f"question number {i}: why is the sky blue?"),))
            for i in range(prompts)]
    _sync(device)
    t = time.time()
    out = common.sample(model, tok, rows, k=k, max_tokens=max_tokens, seed=0)
    _sync(device)
    dt = time.time() - t
    n = sum(len(g) for g in out)
    toks = sum(len(s.token_ids) for g in out for s in g)
    return {"part": "rs_sampling", "prompts": prompts, "k": k, "max_tokens": max_tokens, "seconds": round(dt, 2),
            "samples_per_s": round(n / dt, 2), "generated_tokens_per_s": round(toks / dt, 1),
            "peak_gb": _peak(device), "path": "engine.rlhf.common.sample (Generator, shared prefill)"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--small", action="store_true", help="test shapes (CPU dry run)")
    ap.add_argument("--parts", default="reward_full,reward_lora,ppo_lora,rs_sampling")
    ap.add_argument("--steps", type=int, default=5)
    args_ = ap.parse_args()
    device = torch.device(args_.device)
    torch.manual_seed(0)
    from engine.tokenizer import Tokenizer

    vocab = Tokenizer(BUNDLED_TOKENIZER).vocab_size
    sh = shapes(args_.small, vocab)
    small = args_.small
    parts = args_.parts.split(",")
    runs = {
        "reward_full": lambda: reward_step_bench(sh["1B"], device, "full", 4 if small else 8, 64 if small else 1024,
                                                 args_.steps, ckpt=False),
        "reward_lora": lambda: reward_step_bench(sh["7B"], device, "lora", 4 if small else 8, 64 if small else 1024,
                                                 args_.steps, ckpt=True),
        "ppo_lora": lambda: ppo_bench(sh["7B"], device, 4 if small else 32, 8 if small else 256, 2 if small else 8,
                                      small),
        "rs_sampling": lambda: rs_sampling_bench(sh["7B"], device, 2 if small else 32, 2 if small else 8,
                                                 8 if small else 128, small),
    }
    for name in parts:
        t = time.time()
        try:
            row = runs[name]()
        except Exception as e:  # one failing part must not lose the others' numbers
            row = {"part": name, "error": f"{type(e).__name__}: {e}"}
        row["wall_s"] = round(time.time() - t, 1)
        print(json.dumps(row), flush=True)
        if device.type == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
