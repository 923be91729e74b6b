"""Batched generation with a static KV cache: one prefill, then single-token decode steps.

Prompts of different lengths are left-padded to a common length T; row b's padding is `pad[b]`
slots, its rotary positions are `slot - pad[b]`, and masks hide the padding slots. The `n`
samples of a prompt share its prefill: the prompt runs once and its keys/values are broadcast
into the n cache rows (KVCache.write_prefill).

Decode steps run eagerly, or on CUDA replayed from a captured CUDA graph ("graph"), or compiled
by torch.compile (Inductor, fusing the element-wise kernels) and then captured ("compile"). Sampled tokens stay on the device; the host
reads them only every `check_every` steps (EOS / stop strings / streaming), so a benchmark or
a non-streaming request runs the whole decode without host synchronisation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence

import torch

from .model import Llama
from .sampling import SamplingParams, sample
from .tokenizer import Tokenizer

DECODE_MODES = ("eager", "graph", "compile")


@dataclass
class RowState:
    """One sample's progress, as the host last saw it."""

    prompt_index: int
    sample_index: int
    prompt_tokens: int
    token_ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    text: str = ""
    finish_reason: Optional[str] = None  # "stop" (EOS or stop string) | "length"
    emitted: int = 0  # characters of `text` already handed out by take_delta()

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    def take_delta(self, stops: Sequence[str]) -> str:
        """New text that can no longer change: holds back an unfinished UTF-8 character (byte
        fallback decodes it as U+FFFD) and any tail that could still become a stop string."""
        safe = self.text
        if not self.finished:
            safe = safe.rstrip("\ufffd")
            for stop in stops:
                for k in range(min(len(stop) - 1, len(safe)), 0, -1):
                    if safe.endswith(stop[:k]):
                        safe = safe[:-k]
                        break
        if len(safe) <= self.emitted or not safe.startswith(self.text[:self.emitted]):
            return ""
        delta, self.emitted = safe[self.emitted:], len(safe)
        return delta


class Generator:
    def __init__(self, model: Llama, tokenizer: Tokenizer, decode_mode: str = "eager"):
        if decode_mode not in DECODE_MODES:
            raise ValueError(f"decode_mode must be one of {DECODE_MODES}")
        self.model, self.tokenizer, self.decode_mode = model, tokenizer, decode_mode
        p = next(model.parameters())
        self.device, self.dtype = p.device, p.dtype
        if decode_mode != "eager" and self.device.type != "cuda":
            self.decode_mode = "eager"  # graphs and reduce-overhead need CUDA
        self._key: Optional[tuple[int, int]] = None  # (batch, slots) the cache and graph were built for
        self._graph = None
        self._compiled: Optional[Callable] = None

    # -- static decode state ---------------------------------------------------------------
    def _prepare(self, batch: int, slots: int) -> None:
        """(Re)build the cache and the static decode inputs for a (batch, slots) shape."""
        if self._key == (batch, slots):
            return
        self._graph = None
        self.model.setup_cache(batch, slots)
        dev = self.device
        self._tok = torch.zeros(batch, 1, dtype=torch.long, device=dev)  # (B, 1) token being decoded
        self._slot = torch.zeros(1, dtype=torch.long, device=dev)  # (1,) its cache slot
        self._pad = torch.zeros(batch, dtype=torch.long, device=dev)  # (B,) left padding per row
        self._slots = torch.arange(slots, device=dev)  # (S,)
        self._key = (batch, slots)
        if self.decode_mode == "compile" and self._compiled is None:
            # Inductor fuses the small element-wise kernels (norms, rotary, SwiGLU) that dominate a
            # batch-1 step after the weight reads; the CUDA graph below then removes launch gaps.
            import torch._inductor.config as inductor_config

            # Tune the decomposed matrix-vector kernels for bandwidth (as gpt-fast does): slower
            # compiles, faster steps.
            inductor_config.coordinate_descent_tuning = True
            self._compiled = torch.compile(self._decode_fn, fullgraph=True, dynamic=False)
        if self.decode_mode in ("graph", "compile"):
            self._capture(slots)

    def _decode_fn(self) -> torch.Tensor:
        """One decode step from the static inputs -> next-token logits (B, V) float32."""
        positions = self._slot - self._pad[:, None]  # (B, 1)
        visible = (self._slots <= self._slot) & (self._slots >= self._pad[:, None])  # (B, S)
        logits = self.model(self._tok, positions, visible[:, None, None, :], "decode", self._slot)
        return logits[:, -1].float()

    def _capture(self, slots: int) -> None:
        # Warm up on a side stream (as torch.cuda.graphs requires), then record one step. Writes
        # go to the last slot, which is masked until decoding reaches it and then overwritten.
        self._slot.fill_(slots - 1)
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        step = self._compiled or self._decode_fn
        with torch.cuda.stream(stream):
            for _ in range(2):  # the first call also compiles, in compile mode
                step()
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._graph_logits = step()
        self._graph = graph

    def _decode(self, tokens: torch.Tensor, slot: int) -> torch.Tensor:
        self._tok.copy_(tokens[:, None])
        self._slot.fill_(slot)
        if self._graph is not None:
            self._graph.replay()
            return self._graph_logits
        return self._decode_fn()

    # -- generation ------------------------------------------------------------------------
    def slots_needed(self, prompt_len: int, max_tokens: int) -> int:
        """Cache size for a request; graph/compile modes round up to 128 slots so shapes (and graphs)
        repeat across requests, while decode (which reads every slot) wastes at most 127 slots."""
        need = prompt_len + max_tokens
        if self.decode_mode != "eager":
            need = min(-(-need // 128) * 128, self.model.args.max_seq_len)
        return need

    @torch.no_grad()
    def stream(self, prompts: Sequence[Sequence[int]], params: SamplingParams, n: int = 1,
               check_every: int = 1) -> Iterator[list[RowState]]:
        """Yields the rows (prompt-major: prompt 0's n samples first) each time the host checks."""
        if not prompts or any(len(p) == 0 for p in prompts):
            raise ValueError("every prompt needs at least one token")
        args, dev = self.model.args, self.device
        n_prompts, longest = len(prompts), max(len(p) for p in prompts)
        batch = n_prompts * n
        if longest + params.max_tokens > args.max_seq_len:
            raise ValueError(f"prompt ({longest}) + max_tokens ({params.max_tokens}) exceeds the context of {args.max_seq_len}")
        self._prepare(batch, self.slots_needed(longest, params.max_tokens))

        # Prefill: (P, T) left-padded prompts; pads attend only to themselves so no row is empty.
        pad_p = torch.tensor([longest - len(p) for p in prompts], device=dev)  # (P,)
        tokens = torch.tensor([[0] * (longest - len(p)) + list(p) for p in prompts], device=dev)
        cols = torch.arange(longest, device=dev)
        positions = (cols[None, :] - pad_p[:, None]).clamp(min=0)  # (P, T)
        real = cols[None, :] >= pad_p[:, None]  # (P, T) key j is a prompt token
        causal = cols[None, :] <= cols[:, None]  # (T, T) key j <= query i
        mask = causal[None] & (real[:, None, :] | torch.eye(longest, dtype=torch.bool, device=dev)[None])
        logits = self.model(tokens, positions, mask[:, None], "prefill", last_only=True)[:, -1].float()
        logits = logits.repeat_interleave(n, dim=0)  # (B, V): the n samples share the prefill
        self._pad.copy_(pad_p.repeat_interleave(n))

        seen = None
        if params.repetition_penalty != 1.0:
            seen = torch.zeros(batch, args.vocab_size, dtype=torch.bool, device=dev)  # (B, V)
            for i, p in enumerate(prompts):
                seen[i * n:(i + 1) * n, torch.tensor(sorted(set(p)), device=dev)] = True
        seed = params.seed if params.seed is not None else random.SystemRandom().randrange(2 ** 62)
        gen = torch.Generator(device=dev).manual_seed(seed)

        out = torch.empty(batch, params.max_tokens, dtype=torch.long, device=dev)  # sampled tokens
        out_lp = torch.empty(batch, params.max_tokens, dtype=torch.float32, device=dev)
        rows = [RowState(i // n, i % n, len(prompts[i // n])) for i in range(batch)]
        checked = 0
        needs_host = bool(params.stop) or not params.ignore_eos
        for step in range(params.max_tokens):
            tok, lp = sample(logits, params, gen, seen)
            out[:, step], out_lp[:, step] = tok, lp
            last = step + 1 == params.max_tokens
            if last or (needs_host and (step + 1 - checked) >= check_every):
                self._absorb(rows, out[:, checked:step + 1].tolist(), out_lp[:, checked:step + 1].tolist(), params)
                checked = step + 1
                yield rows
                if all(r.finished for r in rows):
                    return
            if last:
                break
            if seen is not None:
                seen.scatter_(1, tok[:, None], True)
            logits = self._decode(tok, longest + step)

    def _absorb(self, rows: list[RowState], new_tokens: list[list[int]], new_lps: list[list[float]],
                params: SamplingParams) -> None:
        """Append freshly read tokens to each unfinished row and decide whether it finished."""
        eos = self.tokenizer.eos_id
        for row, toks, lps in zip(rows, new_tokens, new_lps):
            if row.finished:
                continue
            by_stop_string = False
            for tok, lp in zip(toks, lps):
                row.token_ids.append(tok)
                row.logprobs.append(lp)
                if tok == eos and not params.ignore_eos:
                    row.finish_reason = "stop"
                    break
                if params.stop and self._hit_stop(row, params.stop):
                    by_stop_string = True
                    break
            if not by_stop_string:  # (_hit_stop has already cut the text at the stop string)
                ended_by_eos = row.finish_reason == "stop"
                row.text = self.tokenizer.decode(row.token_ids[:-1] if ended_by_eos else row.token_ids)
            if row.finish_reason is None and len(row.token_ids) >= params.max_tokens:
                row.finish_reason = "length"

    def _hit_stop(self, row: RowState, stops: Sequence[str]) -> bool:
        text = self.tokenizer.decode(row.token_ids)
        cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
        if cut < 0:
            return False
        row.text, row.finish_reason = text[:cut], "stop"
        return True

    def generate(self, prompts: Sequence[Sequence[int]], params: SamplingParams, n: int = 1,
                 check_every: Optional[int] = None) -> list[RowState]:
        if check_every is None:  # CPU: check every step (cheap); CUDA: avoid per-step host syncs
            check_every = 1 if self.device.type == "cpu" else 16
        rows: list[RowState] = []
        for rows in self.stream(prompts, params, n, check_every):
            pass
        return rows
