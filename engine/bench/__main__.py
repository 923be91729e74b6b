"""Benchmark: prefill and decode tokens/s at batch 1, 16, 64, with the fraction of the roofline.

    python -m engine.bench                          # CPU: the tiny (~1 M) and small (~13 M) shapes
    python -m engine.bench --device cuda --config 7B --hf   # GPU: 7B shape, bf16, vs transformers

Decode is memory-bound: each step reads every weight (bar the embedding table) once plus each
row's KV cache, so the decode roofline is B * bandwidth / (weight bytes + B * context * KV bytes
per token). Prefill is compute-bound and is reported against the measured matmul peak instead.
Timings go through Generator.generate, the path the service uses: prefill = a 1-token request,
decode = (a (1+N)-token request - prefill) for N new tokens, all rows kept running (ignore EOS).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from typing import Callable, Optional

import torch

from engine.config import named_config
from engine.generate import Generator
from engine.model import Llama, init_weights
from engine.sampling import SamplingParams

# Nominal HBM bandwidth (bytes/s) of cards we know; otherwise a measured copy is used.
CARD_BANDWIDTH = {"H100 80GB HBM3": 3.35e12, "H100 PCIe": 2.0e12, "H200": 4.8e12, "A100-SXM4-80GB": 2.04e12,
                  "A100-SXM4-40GB": 1.56e12}


class ByteVocab:
    """Stands in for a tokenizer: the benchmark feeds token ids and never decodes text."""
    eos_id, bos_id = 2, 1

    def decode(self, ids) -> str:
        return ""


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device: torch.device, repeat: int = 3) -> float:
    """Best-of-`repeat` wall time after one warm-up (captures graphs, fills allocator caches)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        sync(device)
        t = time.perf_counter()
        fn()
        sync(device)
        best = min(best, time.perf_counter() - t)
    return best


def measure_bandwidth(device: torch.device) -> float:
    """Bytes/s of a large device copy, counting bytes read plus written."""
    n = (1 << 30 if device.type == "cuda" else 1 << 27) // 4
    a = torch.empty(n, dtype=torch.float32, device=device)
    b = torch.empty_like(a)
    t = timed(lambda: b.copy_(a), device, repeat=5)
    return 2 * a.numel() * 4 / t


def measure_matmul_flops(device: torch.device, dtype: torch.dtype) -> float:
    n = 8192 if device.type == "cuda" else 1024
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    return 2 * n ** 3 / timed(lambda: a @ b, device, repeat=5)


def construct(make: Callable[[], torch.nn.Module], device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
    """Build a module directly on `device` in `dtype` (a 7B model never exists in float32 on the host)."""
    old = torch.get_default_dtype()
    try:
        torch.set_default_dtype(dtype)
    except (TypeError, RuntimeError):  # a torch that refuses a bf16 default: build, then cast
        with torch.device(device):
            return make().to(dtype)
    try:
        if device.type == "cuda":
            with torch.device(device):
                return make()
        return make()
    finally:
        torch.set_default_dtype(old)


def build(config: str, device: torch.device, dtype: torch.dtype) -> Llama:
    args = named_config(config)
    model = construct(lambda: Llama(args), device, dtype)
    init_weights(model, seed=0)
    return model.eval()


def roofline_decode(model: Llama, batch: int, mean_ctx: float, bandwidth: float) -> float:
    a = model.args
    weight_bytes = sum(p.numel() * p.element_size() for n, p in model.named_parameters() if "embed_tokens" not in n)
    kv_per_token = 2 * a.n_layers * a.kv_heads * a.head_dim * next(model.parameters()).element_size()
    return batch * bandwidth / (weight_bytes + batch * mean_ctx * kv_per_token)


def bench_engine(model: Llama, mode: str, batch: int, prompt_len: int, new: int, gen_seed: int = 0):
    dev = next(model.parameters()).device
    gen = Generator(model, ByteVocab(), mode)  # type: ignore[arg-type]
    g = torch.Generator().manual_seed(gen_seed)
    prompts = torch.randint(3, model.args.vocab_size, (batch, prompt_len), generator=g).tolist()
    params = dict(temperature=0.8, top_p=0.95, ignore_eos=True, seed=1)
    t_prefill = timed(lambda: gen.generate(prompts, SamplingParams(max_tokens=1, **params)), dev)
    t_total = timed(lambda: gen.generate(prompts, SamplingParams(max_tokens=1 + new, **params)), dev)
    model.clear_cache()
    return batch * prompt_len / t_prefill, batch * new / max(t_total - t_prefill, 1e-9), t_prefill


def bench_hf(model: Llama, batch: int, prompt_len: int, new: int):
    """transformers' LlamaForCausalLM on the same weights: (prefill tok/s, decode tok/s, max |logit diff|)."""
    import transformers

    a = model.args
    skip = ("architectures", "torch_dtype", "model_type", "rope_theta")  # theta: 10000 is every version's default
    cfg = transformers.LlamaConfig(**{k: v for k, v in a.to_hf_config().items() if k not in skip})
    dev, dtype = next(model.parameters()).device, next(model.parameters()).dtype
    hf = construct(lambda: transformers.LlamaForCausalLM(cfg), dev, dtype)
    missing, unexpected = hf.load_state_dict(model.state_dict(), strict=False)  # same names by design
    assert not missing and not unexpected, (missing, unexpected)
    hf.eval()
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, a.vocab_size, (batch, prompt_len), generator=g).to(dev)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        diff = None
        if batch == 1:
            ours, theirs = model(ids)[0].float(), hf(ids).logits[0].float()
            diff = (ours - theirs).abs().max().item(), ours.abs().max().item(), (ours.argmax(-1) == theirs.argmax(-1)).float().mean().item()
        run = dict(attention_mask=mask, do_sample=True, temperature=0.8, top_p=0.95, pad_token_id=0)
        # F821: pyflakes reads these lambdas after the `del hf` below, though they run before it
        t_prefill = timed(lambda: hf.generate(ids, max_new_tokens=1, min_new_tokens=1, **run), dev, repeat=2)  # noqa: F821
        t_total = timed(lambda: hf.generate(ids, max_new_tokens=1 + new, min_new_tokens=1 + new, **run), dev, repeat=2)  # noqa: F821
    del hf
    if dev.type == "cuda":
        torch.cuda.empty_cache()
    return batch * prompt_len / t_prefill, batch * new / max(t_total - t_prefill, 1e-9), diff


def main(argv: Optional[list[str]] = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # the HTTP service under concurrent clients: engine/bench/serve.py
        from engine.bench import serve

        return serve.main(argv[1:])
    p = argparse.ArgumentParser(prog="python -m engine.bench")
    p.add_argument("--device", default="cpu")
    p.add_argument("--config", action="append", help="named config(s); default tiny+small on CPU, 7B on CUDA")
    p.add_argument("--batches", default="1,16,64")
    p.add_argument("--prompt", type=int, help="prompt tokens (default 448 on CUDA: 448 + 64 new = 512 context)")
    p.add_argument("--new", type=int, help="decode steps per row (default 63 on CUDA: 448 + 1 + 63 = 512 slots, else 64)")
    p.add_argument("--modes", default=None, help="decode modes: eager,graph,compile (default: graph on CUDA)")
    p.add_argument("--hf", action="store_true", help="also time transformers' generate on the same weights")
    args = p.parse_args(argv)

    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if not cuda:
        torch.set_num_threads(os.cpu_count() or 1)
    dtype = torch.bfloat16 if cuda else torch.float32
    configs = args.config or (["7B"] if cuda else ["tiny", "small"])
    modes = (args.modes or ("graph" if cuda else "eager")).split(",")
    batches = [int(b) for b in args.batches.split(",")]
    prompt_len = args.prompt or (448 if cuda else 64)
    args.new = args.new or (63 if cuda else 64)

    name = torch.cuda.get_device_name(device) if cuda else f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    measured_bw = measure_bandwidth(device)
    bandwidth = next((bw for k, bw in CARD_BANDWIDTH.items() if k in name), measured_bw)
    peak = measure_matmul_flops(device, dtype)
    print(f"device: {name}; torch {torch.__version__}; threads {torch.get_num_threads()}; dtype {str(dtype)[6:]}")
    print(f"bandwidth: {bandwidth / 1e9:.0f} GB/s used for the roofline (measured copy {measured_bw / 1e9:.0f} GB/s); "
          f"matmul peak measured {peak / 1e9:,.0f} GFLOP/s")
    print(f"prompt {prompt_len} tokens, {args.new} new tokens per row, sampling temperature 0.8 top-p 0.95\n", flush=True)
    print("| model | params | engine | batch | prefill tok/s | prefill % of matmul peak | decode tok/s | decode % of roofline |")
    print("|---|---|---|---|---|---|---|---|", flush=True)
    for config in configs:
        model = build(config, device, dtype)
        n_params = sum(p.numel() for p in model.parameters())
        size = f"{n_params / 1e9:.2f} B" if n_params > 1e9 else f"{n_params / 1e6:.2f} M"
        for mode in modes:
            for batch in batches:
                pre, dec, _ = bench_engine(model, mode, batch, prompt_len, args.new)
                flops = 2 * n_params * pre
                roof = roofline_decode(model, batch, prompt_len + args.new / 2, bandwidth)
                print(f"| {config} | {size} | pairwise {mode} | {batch} | {pre:,.0f} | {100 * flops / peak:.0f} % "
                      f"| {dec:,.0f} | {100 * dec / roof:.0f} % (of {roof:,.0f}) |", flush=True)
        if args.hf:
            try:
                import transformers  # noqa: F401
            except ImportError:
                print("(transformers is not importable here: no Hugging Face comparison)")
                continue
            diffs = None
            for batch in batches:
                pre, dec, diff = bench_hf(model, batch, prompt_len, args.new)
                diffs = diff or diffs
                roof = roofline_decode(model, batch, prompt_len + args.new / 2, bandwidth)
                print(f"| {config} | {size} | transformers generate | {batch} | {pre:,.0f} | "
                      f"{100 * 2 * n_params * pre / peak:.0f} % | {dec:,.0f} | {100 * dec / roof:.0f} % |", flush=True)
            if diffs:
                print(f"\nmax |logit difference| vs transformers on the same weights ({str(dtype)[6:]}, {prompt_len} tokens): "
                      f"{diffs[0]:.4f} (max |logit| {diffs[1]:.2f}); argmax agreement {100 * diffs[2]:.1f} %", flush=True)
        del model
        if cuda:
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
