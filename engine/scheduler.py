"""Continuous batching: one scheduler thread owns a policy model and runs it step by step.

Requests from any number of HTTP connections are queued (bounded: past `max_queue` waiting
requests `submit` raises Busy, which the service answers with 503 + Retry-After). Each step:

  1. admit: waiting requests, first come first served, take free cache rows (a request needs its
     `n` rows at once; the n samples share one prefill);
  2. prefill: newcomers' prompts run in fixed chunks of `chunk` tokens, at most `prefill_budget`
     prompt tokens per step while other rows are decoding (all of them when nothing decodes), so a
     long prompt never stalls the running rows for more than one budget's worth of compute. Chunk
     boundaries are multiples of `chunk` whatever the load, so a prompt's numbers do not depend
     on what else runs;
  3. decode: one token for every decoding row, all rows in one forward pass over the smallest
     batch bucket (1, 2, 4, ..., max_rows) holding the highest busy row, attending over the
     smallest span (multiple of `span_step` slots) holding the longest row; on CUDA that step is
     replayed from a CUDA graph captured once per (bucket, span);
  4. sample per row, with that row's own parameters and torch.Generator (a seeded request gives
     the same tokens alone or beside others), then finish rows on EOS, stop string, max_tokens, or
     when the client has gone (`Handle.cancel`): their rows are free for the next step.

The KV cache is preallocated: `max_rows` rows x the model's context, written at per-row slots
(model.py mode "rows"); rows are not padded, so a row's slot is its token's position.
Training jobs share the device through `JobGate` (below): between optimizer steps a job waits
while generation is busy, for at most `job_wait_s`, so time to first token stays bounded.
"""

from __future__ import annotations

import atexit
import queue
import random
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import torch

from .generate import RowState
from .model import Llama, RowIndex
from .sampling import SamplingParams
from .tokenizer import Tokenizer


class Busy(Exception):
    """The admission queue is full: answer 503 with Retry-After."""

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Update:
    """What a handler receives after a step: each of its rows' state (copied), and whether done."""

    rows: list[RowState]
    done: bool
    error: Optional[str] = None


class Handle:
    """A submitted request as its HTTP handler sees it."""

    def __init__(self, scheduler: "Scheduler", prompt: list[int], params: SamplingParams, n: int):
        self.scheduler, self.prompt, self.params, self.n = scheduler, prompt, params, n
        self.updates: "queue.Queue[Update]" = queue.Queue()
        self.cancelled = False
        self.submitted = time.perf_counter()
        # scheduler-side state
        self.rows: list[int] = []  # cache rows, one per sample
        self.states = [RowState(0, i, len(prompt)) for i in range(n)]
        self.prefilled = 0  # prompt tokens already in the cache
        self.gens: list[Optional[torch.Generator]] = []
        self.seen: Optional[torch.Tensor] = None  # (V,) bool, prompt tokens, for the repetition penalty
        self.finished = False

    def cancel(self) -> None:
        """The client has gone: the scheduler frees the rows at its next step."""
        self.cancelled = True
        self.scheduler.wake()

    def get(self, timeout: Optional[float] = None) -> Update:
        return self.updates.get(timeout=timeout)


_LIVE: "weakref.WeakSet[Scheduler]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """A scheduler thread still alive when the interpreter exits makes the process abort
    ("terminate called without an active exception", status 134, from the OpenMP/ATen thread
    state it holds): end every one first."""
    for sched in list(_LIVE):
        sched.stop(timeout=5.0)


def _buckets(limit: int) -> list[int]:
    out, b = [], 1
    while b < limit:
        out.append(b)
        b *= 2
    return out + [limit]


class Scheduler:
    def __init__(self, model: Llama, tokenizer: Tokenizer, max_rows: int = 64, max_queue: int = 256,
                 prefill_budget: int = 256, chunk: int = 64, max_running: Optional[int] = None,
                 use_graphs: Optional[bool] = None, gate: Optional["JobGate"] = None, name: str = "policy"):
        self.model, self.tokenizer = model, tokenizer
        p = next(model.parameters())
        self.device, self.dtype = p.device, p.dtype
        self.ctx = model.args.max_seq_len
        self.vocab = model.args.vocab_size
        self.max_rows, self.max_queue = max_rows, max_queue
        self.prefill_budget, self.chunk = max(prefill_budget, chunk), chunk
        self.max_running = max_running  # requests decoding at once; 1 = the serialised engine (benchmarks)
        self.span_step = 64 if self.device.type == "cpu" else 128
        self.use_graphs = self.device.type == "cuda" if use_graphs is None else use_graphs
        self.gate = gate
        self.name = name
        self.buckets = _buckets(max_rows)
        self.waiting: list[Handle] = []  # admission queue, FIFO
        self.running: list[Handle] = []  # admitted: prefilling or decoding
        self.row_owner: list[Optional[Handle]] = [None] * max_rows
        self.lock = threading.Lock()  # guards waiting / cancelled flags handed over by handlers
        self.cond = threading.Condition(self.lock)
        self.thread: Optional[threading.Thread] = None
        self.stats = {"steps": 0, "decode_rows": 0, "prefill_tokens": 0}
        self._ready = False
        self.closed = False
        self._stopping = False
        _LIVE.add(self)

    # -- the HTTP side ---------------------------------------------------------------------------
    def submit(self, prompt: Sequence[int], params: SamplingParams, n: int = 1) -> Handle:
        if n > self.max_rows:
            raise ValueError(f"n={n} exceeds the engine's {self.max_rows} batch rows")
        if len(prompt) + params.max_tokens > self.ctx:
            raise ValueError(f"prompt ({len(prompt)}) + max_tokens ({params.max_tokens}) exceeds the context of {self.ctx}")
        handle = Handle(self, list(prompt), params, n)
        with self.cond:
            if len(self.waiting) >= self.max_queue:
                raise Busy(f"the model is busy: {len(self.waiting)} requests are already waiting "
                           f"(ENGINE_MAX_QUEUE={self.max_queue}); retry shortly")
            self.waiting.append(handle)
            if self.thread is None:
                self.thread = threading.Thread(target=self._loop, name=f"engine-scheduler-{self.name}", daemon=True)
                self.thread.start()
            self.cond.notify_all()
        return handle

    def close(self) -> None:
        """The policy was evicted: requests in flight finish, then the thread ends and the KV cache
        is freed. A later submit would start the thread again."""
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        if self.gate is not None:
            self.gate.remove(self)

    def stop(self, timeout: float = 5.0) -> None:
        """Shut down now (process exit): requests in flight fail, the thread ends."""
        with self.cond:
            self._stopping = True
            thread = self.thread
            self.cond.notify_all()
        if thread is not None and thread.ident is not None:
            thread.join(timeout)
        for h in list(self.running) + self._take_waiting():
            self._finish(h, error="the engine is shutting down")

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def busy(self) -> bool:
        """Requests waiting or running (JobGate asks)."""
        return bool(self.waiting or self.running)

    def load(self) -> dict:
        return {"waiting": len(self.waiting), "running": len(self.running),
                "rows_busy": sum(o is not None for o in self.row_owner), "rows": self.max_rows}

    # -- the scheduler thread ----------------------------------------------------------------------
    def _setup(self) -> None:
        dev, R = self.device, self.max_rows
        self.model.setup_cache(R, self.ctx)
        self._tok = torch.zeros(R, 1, dtype=torch.long, device=dev)  # static decode inputs
        self._slot = torch.full((R, 1), self.ctx - 1, dtype=torch.long, device=dev)  # idle rows: last slot
        self._seen = torch.zeros(R, self.vocab, dtype=torch.bool, device=dev)
        self._graphs: dict[tuple[int, int], tuple[Any, torch.Tensor]] = {}
        self._ready = True

    def _loop(self, warm: bool = False) -> None:
        with torch.no_grad():
            self._setup()
            if warm and self.use_graphs:
                self._capture_all()
            while True:
                with self.cond:
                    while not self.waiting and not self.running or self._stopping:
                        if self.closed or self._stopping:  # evicted from the LRU: free the KV cache and end the thread
                            self.model.clear_cache()
                            self._ready, self.thread = False, None  # a late submit starts a new one
                            return
                        self.cond.wait()
                try:
                    self.step()
                except Exception as e:  # a bug fails the requests in flight, never the thread
                    import traceback

                    traceback.print_exc()
                    for h in list(self.running) + self._take_waiting():
                        self._finish(h, error=f"internal error: {type(e).__name__}: {e}")

    def _take_waiting(self) -> list[Handle]:
        with self.cond:
            out, self.waiting = self.waiting, []
        return out

    def _free_rows(self) -> list[int]:
        return [i for i, o in enumerate(self.row_owner) if o is None]

    def _admit(self) -> None:
        with self.cond:
            for h in [h for h in self.waiting if h.cancelled]:
                self.waiting.remove(h)
                h.finished = True
                h.updates.put(Update([], True))
            free = self._free_rows()
            while self.waiting and len(free) >= self.waiting[0].n:
                if self.max_running is not None and len(self.running) >= self.max_running:
                    break
                h = self.waiting.pop(0)
                h.rows, free = free[:h.n], free[h.n:]
                for r in h.rows:
                    self.row_owner[r] = h
                self.running.append(h)
                self._start(h)

    def _start(self, h: Handle) -> None:
        dev, p = self.device, h.params
        seed = p.seed if p.seed is not None else random.SystemRandom().randrange(2 ** 62)
        # One generator per sample: sample i of a seeded request draws from (seed, i) only.
        h.gens = [None if p.greedy else torch.Generator(device=dev).manual_seed((seed + 7919 * i) % (2 ** 63))
                  for i in range(h.n)]
        rows = torch.tensor(h.rows, device=dev)
        self._seen[rows] = False
        if p.repetition_penalty != 1.0:
            prompt_ids = torch.tensor(sorted(set(h.prompt)), device=dev)
            self._seen[rows[:, None], prompt_ids[None, :]] = True

    def step(self) -> None:
        self._admit()
        for h in [h for h in self.running if h.cancelled]:
            self._finish(h)
        decoding = [h for h in self.running if h.prefilled == len(h.prompt) and not h.finished]
        prefilling = [h for h in self.running if h.prefilled < len(h.prompt)]
        self.stats["steps"] += 1
        # Prefill under the token budget (everything when nothing is decoding).
        budget = self.prefill_budget if decoding else 1 << 30
        newly: list[tuple[Handle, torch.Tensor]] = []
        while budget > 0:  # rounds: the next chunk of each prefilling prompt, oldest first, in one forward
            chunks = []
            for h in prefilling:
                if h.prefilled < len(h.prompt) and budget > 0:
                    end = min(len(h.prompt), (h.prefilled // self.chunk + 1) * self.chunk)
                    chunks.append((h, h.prefilled, end))
                    budget -= end - h.prefilled
            if not chunks:
                break
            for (h, start, end), logits in zip(chunks, self._prefill_chunks(chunks)):
                self.stats["prefill_tokens"] += end - start
                h.prefilled = end
                if logits is not None:
                    newly.append((h, logits))
        # One decode step for the rows that were already decoding.
        active = [(h, i) for h in decoding for i in range(h.n) if not h.states[i].finished]
        parts = []
        if active:
            rows = [h.rows[i] for h, i in active]
            bucket = next(b for b in self.buckets if b >= max(rows) + 1)
            longest = max(len(h.prompt) + len(h.states[i].token_ids) for h, i in active)
            span = self._span(longest)
            logits = self._decode(bucket, span)  # (bucket, V) float32
            self.stats["decode_rows"] += len(rows)
            parts.append(logits[torch.tensor(rows, device=self.device)])
        for h, logits in newly:  # first token of each newcomer: its n samples share the prefill's logits
            active += [(h, i) for i in range(h.n)]
            parts.append(logits.expand(h.n, -1))
        if active:  # every row of the step sampled at once, each with its own parameters
            self._sample_and_absorb(active, parts[0] if len(parts) == 1 else torch.cat(parts))

    def _span(self, longest: int) -> int:
        """Slots the decode step attends over: a multiple of span_step on CPU; with CUDA graphs a
        power-of-two multiple (128, 256, ..., the context) so few graphs cover every length."""
        if not self.use_graphs:
            return min(self.ctx, -(-longest // self.span_step) * self.span_step)
        span = self.span_step
        while span < longest:
            span *= 2
        return min(span, self.ctx)

    def warmup(self) -> None:
        """Start the thread now and, with CUDA graphs, capture every (bucket, span) graph before
        the first request (requests that arrive meanwhile wait in the queue)."""
        with self.cond:
            if self.thread is None:
                self.thread = threading.Thread(target=self._loop, args=(True,), name=f"engine-scheduler-{self.name}",
                                               daemon=True)
                self.thread.start()

    def _capture_all(self) -> None:
        spans = sorted({self._span(n) for n in range(1, self.ctx + 1)})
        for bucket in self.buckets:
            for span in spans:
                if (bucket, span) not in self._graphs:
                    self._graphs[(bucket, span)] = self._capture(bucket, span)

    def _prefill_chunks(self, chunks: list[tuple[Handle, int, int]]) -> list[Optional[torch.Tensor]]:
        """One forward for the chunks [start, end) of several prompts (a burst of newcomers is
        prefilled together): right-padded to the longest chunk, the padding written at the scratch
        slot (ctx - 1, never inside the span read here). Each prompt's keys/values go to all its
        sample rows. -> per chunk, the next-token logits (1, V) when it ends its prompt, else None."""
        dev, scratch = self.device, self.ctx - 1
        t = max(end - start for _, start, end in chunks)
        r = max(h.n for h, _, _ in chunks)
        tokens = torch.tensor([h.prompt[s:e] + [0] * (t - e + s) for h, s, e in chunks], device=dev)  # (P, T)
        slots = torch.tensor([list(range(s, e)) + [scratch] * (t - e + s) for _, s, e in chunks], device=dev)
        rows = torch.tensor([h.rows + h.rows[:1] * (r - h.n) for h, _, _ in chunks], device=dev)  # (P, R)
        span = max(end for _, _, end in chunks)
        keys = torch.arange(span, device=dev)
        mask = (keys[None, None, :] <= slots[:, :, None])[:, None]  # (P, 1, T, span): causal per prompt
        hidden = self.model.model(tokens, slots, mask, "rows", RowIndex(slots, rows, span))  # (P, T, C)
        out: list[Optional[torch.Tensor]] = [None] * len(chunks)
        finals = [i for i, (h, _, end) in enumerate(chunks) if end == len(h.prompt)]
        if finals:
            last = hidden[torch.tensor(finals, device=dev), torch.tensor([chunks[i][2] - chunks[i][1] - 1 for i in finals],
                                                                         device=dev)]  # (F, C)
            logits = self.model.lm_head(last[:, None]).float()[:, -1]  # (F, V)
            for j, i in enumerate(finals):
                out[i] = logits[j:j + 1]
        return out

    def _decode_fn(self, bucket: int, span: int) -> torch.Tensor:
        tok, slot = self._tok[:bucket], self._slot[:bucket]  # (b, 1)
        keys = torch.arange(span, device=self.device)
        mask = (keys[None, :] <= slot)[:, None, None, :]  # (b, 1, 1, span)
        logits = self.model(tok, slot, mask, "rows", RowIndex(slot, None, span))
        return logits[:, -1].float()

    def _decode(self, bucket: int, span: int) -> torch.Tensor:
        if not self.use_graphs:
            return self._decode_fn(bucket, span)
        key = (bucket, span)
        if key not in self._graphs:
            self._graphs[key] = self._capture(bucket, span)
        graph, out = self._graphs[key]
        graph.replay()
        return out

    def _capture(self, bucket: int, span: int):
        # Capture with every row pointed at the scratch slot (ctx - 1, see _set_idle) so warm-up
        # writes never touch a live slot; then restore the live decode inputs.
        saved_tok, saved_slot = self._tok.clone(), self._slot.clone()
        self._slot.fill_(self.ctx - 1)
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(2):
                self._decode_fn(bucket, span)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        pool = getattr(self, "_pool", None)
        try:  # torch >= 2.1: other threads (a job training) may use the device meanwhile
            ctx = torch.cuda.graph(graph, pool=pool, capture_error_mode="thread_local")
        except TypeError:
            ctx = torch.cuda.graph(graph, pool=pool)
        with ctx:
            out = self._decode_fn(bucket, span)
        self._pool = graph.pool()
        self._tok.copy_(saved_tok)
        self._slot.copy_(saved_slot)
        return graph, out

    # -- sampling ------------------------------------------------------------------------------------
    def _sample_and_absorb(self, active: list[tuple[Handle, int]], logits: torch.Tensor) -> None:
        """logits (len(active), V): sample each (request, sample) row with the request's own
        parameters and that sample's generator, feed the tokens back as the next decode inputs,
        and hand each request its update."""
        dev = self.device
        idx = torch.tensor([h.rows[i] for h, i in active], device=dev)
        params = [h.params for h, _ in active]
        tokens, logprobs = sample_rows(logits, params, [h.gens[i] for h, i in active], self._seen[idx])
        # Next decode step's inputs: each row's new token at the slot after its last one.
        lengths = [len(h.prompt) + len(h.states[i].token_ids) for h, i in active]
        self._tok[idx, 0] = tokens
        self._slot[idx, 0] = torch.tensor(lengths, device=dev)
        if any(p.repetition_penalty != 1.0 for p in params):
            self._seen[idx, tokens] = True
        for (h, i), tok, lp in zip(active, tokens.tolist(), logprobs.tolist()):
            self._absorb(h, h.states[i], tok, lp)
        for h in dict.fromkeys(h for h, _ in active):
            if all(s.finished for s in h.states):
                self._finish(h)
            else:
                h.updates.put(Update(_copy_rows(h.states), False))

    def _absorb(self, h: Handle, row: RowState, tok: int, lp: float) -> None:
        if row.finished:
            return
        p = h.params
        row.token_ids.append(tok)
        row.logprobs.append(lp)
        if tok == self.tokenizer.eos_id and not p.ignore_eos:
            row.finish_reason = "stop"
            row.text = self.tokenizer.decode(row.token_ids[:-1])
        else:
            row.text = self.tokenizer.decode(row.token_ids)
            if p.stop:
                cut = min((i for i in (row.text.find(s) for s in p.stop) if i >= 0), default=-1)
                if cut >= 0:
                    row.text, row.finish_reason = row.text[:cut], "stop"
        if row.finish_reason is None and len(row.token_ids) >= p.max_tokens:
            row.finish_reason = "length"
        if row.finished:  # the row stops decoding at once; the rest of the request may go on
            self._set_idle([h.rows[row.sample_index]])

    def _set_idle(self, rows: list[int]) -> None:
        """Rows that must not disturb anything: they decode at the scratch slot (ctx - 1), which a
        live row only reaches at its very last token and then writes before it reads."""
        idx = torch.tensor(rows, device=self.device)
        self._slot[idx, 0] = self.ctx - 1
        self._tok[idx, 0] = 0

    def _finish(self, h: Handle, error: Optional[str] = None) -> None:
        if h.finished and h not in self.running:
            return
        h.finished = True
        if h in self.running:
            self.running.remove(h)
        if h.rows and self._ready:
            self._set_idle(h.rows)
        for r in h.rows:
            if self.row_owner[r] is h:
                self.row_owner[r] = None
        h.updates.put(Update(_copy_rows(h.states), True, error))


def _copy_rows(states: list[RowState]) -> list[RowState]:
    return [RowState(s.prompt_index, s.sample_index, s.prompt_tokens, list(s.token_ids), list(s.logprobs), s.text,
                     s.finish_reason) for s in states]


def sample_rows(logits: torch.Tensor, params: list[SamplingParams], gens: list[Optional[torch.Generator]],
                seen: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row sampling: logits (B, V) float32, row b with params[b] and generator gens[b] (None =
    greedy). Same arithmetic as sampling.sample (temperature, top-k, top-p, repetition penalty,
    exponential race), row by row parameters as (B, 1) tensors. -> (tokens (B,), logprobs (B,))."""
    dev = logits.device
    b = logits.shape[0]
    raw_logprobs = torch.log_softmax(logits, dim=-1)
    pen = [p.repetition_penalty for p in params]
    if any(x != 1.0 for x in pen):
        pt = torch.tensor(pen, device=dev)[:, None]
        penalised = torch.where(logits > 0, logits / pt, logits * pt)
        logits = torch.where(seen & (pt != 1.0), penalised, logits)
    greedy = [p.greedy for p in params]
    tokens = logits.argmax(dim=-1)
    if not all(greedy):
        temp = torch.tensor([max(p.temperature, 1e-5) for p in params], device=dev)[:, None]
        scaled = logits / temp
        ks = [p.top_k if 0 < p.top_k < logits.shape[-1] else 0 for p in params]
        if any(ks):
            kmax = max(ks)
            top = torch.topk(scaled, kmax, dim=-1).values  # (B, kmax) descending
            kth_idx = torch.tensor([max(k, 1) - 1 for k in ks], device=dev)[:, None]
            kth = top.gather(1, kth_idx)
            use = torch.tensor([k > 0 for k in ks], device=dev)[:, None]
            scaled = scaled.masked_fill(use & (scaled < kth), float("-inf"))
        tps = [p.top_p for p in params]
        if any(tp < 1.0 for tp in tps):
            scaled = top_p_filter(scaled, torch.tensor(tps, device=dev)[:, None])
        probs = scaled.softmax(dim=-1)
        race = torch.ones_like(probs)
        for i in range(b):
            if gens[i] is not None and not greedy[i]:
                race[i].exponential_(1.0, generator=gens[i])
        drawn = (probs / race).argmax(dim=-1)
        tokens = torch.where(torch.tensor(greedy, device=dev), tokens, drawn)
    return tokens, raw_logprobs.gather(-1, tokens[:, None]).squeeze(-1)


def _top_p_sorted(scaled: torch.Tensor, tp: torch.Tensor) -> torch.Tensor:
    """Exact top-p over the whole vocabulary (sampling.filter_logits' arithmetic)."""
    sorted_logits, order = torch.sort(scaled, dim=-1, descending=True)
    probs = sorted_logits.softmax(dim=-1)
    mass_before = probs.cumsum(dim=-1) - probs
    drop_sorted = (mass_before >= tp) & (tp < 1.0)
    drop_sorted[:, 0] = False
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return scaled.masked_fill(drop, float("-inf"))


def top_p_filter(scaled: torch.Tensor, tp: torch.Tensor, candidates: int = 128) -> torch.Tensor:
    """Top-p per row (tp: (B, 1); 1 = off). Sorting the whole vocabulary every step is the costly
    part of sampling, so each row first looks at its `candidates` most likely tokens only: when
    they already hold the row's top_p mass, every other token is dropped anyway and the answer is
    the same; rows they do not cover take the full sort. Each row's result depends on that row
    alone (never on its neighbours in the batch)."""
    v = scaled.shape[-1]
    if candidates >= v:
        return _top_p_sorted(scaled, tp)
    top, idx = torch.topk(scaled, candidates, dim=-1)  # (B, C) descending
    probs = (top - torch.logsumexp(scaled, dim=-1, keepdim=True)).exp()
    cum = probs.cumsum(dim=-1)
    mass_before = cum - probs
    drop_sorted = (mass_before >= tp) & (tp < 1.0)
    drop_sorted[:, 0] = False
    drop = torch.ones_like(scaled, dtype=torch.bool).scatter(-1, idx, drop_sorted)
    drop &= tp < 1.0  # rows without top-p keep everything
    out = scaled.masked_fill(drop, float("-inf"))
    uncovered = ((cum[:, -1:] < tp) & (tp < 1.0)).squeeze(-1).nonzero().squeeze(-1).tolist()
    if uncovered:
        rows = torch.tensor(uncovered, device=scaled.device)
        out[rows] = _top_p_sorted(scaled[rows], tp[rows])
    return out


class JobGate:
    """How a training job shares the device with generation: the job calls `pause_point()` between
    micro-batches (jobs.py wraps its should_stop check). While any scheduler has requests waiting
    or running, the job waits — at most `max_wait_s` per call, so a job under constant load still
    advances one micro-batch per max_wait_s. Generation thus waits for at most the one micro-batch
    in progress when a request arrives."""

    def __init__(self, max_wait_s: float = 2.0):
        self.max_wait_s = max_wait_s
        self.schedulers: list[Scheduler] = []
        self.paused_s = 0.0

    def add(self, scheduler: Scheduler) -> None:
        self.schedulers.append(scheduler)

    def remove(self, scheduler: Scheduler) -> None:
        if scheduler in self.schedulers:
            self.schedulers.remove(scheduler)

    def busy(self) -> bool:
        return any(s.busy() for s in list(self.schedulers))

    def pause_point(self) -> None:
        if self.max_wait_s <= 0 or not self.busy():
            return
        t0 = time.monotonic()
        deadline = t0 + self.max_wait_s
        while self.busy() and time.monotonic() < deadline:
            time.sleep(0.005)
        self.paused_s += time.monotonic() - t0
