"""The `ppo` job: proximal policy optimisation against the reward models (Llama 2 paper, section 3.2.3).

One iteration:

1. rollout: `rollout_batch` prompts (a seeded order over the prompts file, cycling through it)
   in the Llama 2 chat format; one reply each sampled from the current policy at `temperature`
   (top-p 1, at most `max_tokens`, ending at EOS) by the engine's Generator (KV cache). Then one
   forward pass without cache over prompt + reply through the policy, for the log-probability
   of every sampled token and the value before it, and through the frozen reference, for its
   log-probability. Rows are right-padded, so every row's rotary positions start at 0 and causal
   attention keeps real tokens blind to the padding after them. "The policy" is the tempered
   distribution softmax(logits / temperature) the samples come from (the raw model at 1.0).
2. scoring: each dialogue closed with its reply gets R_c (engine/reward/score.py combined_reward;
   σ of one model's output for reward = helpfulness | safety). logit(R_c) is exactly the raw
   output of the reward model R_c came from (logit ∘ σ = identity), so that is used, whitened
   over the rollout batch (mean 0, std 1; left as is for a batch of one), and added at the
   reply's last token. Every reply token also gets −β · (log π(a|s) − log π_ref(a|s)).
3. GAE with γ = 1, λ = 0.95 on the value estimates; returns = advantages + values; advantages
   whitened over the batch's reply tokens.
4. update: `ppo_epochs` passes over the batch in seeded minibatches of `minibatch_size`
   sequences, one AdamW step each for the policy and for the value model (β 0.9/0.95, ε 1e-5,
   weight decay 0.1 on matrices, constant learning rate, gradient-norm clip 1.0 per model) on
       policy: clipped surrogate  mean_tokens max(−A·r, −A·clip(r, 1 − ε, 1 + ε)),  r = π/π_old, ε = clip
       value:  clipped value loss  0.5 · mean_tokens max((V − R)², (V_old + clip(V − V_old, ±VALUE_CLIP) − R)²).

Value model: a separate scalar-head model (`LlamaScalar`) initialised from the policy — the
policy's trunk and a zero head, so every first value is 0 — trained alongside it. A scalar head
on the policy's own trunk would be cheaper (one forward for both), but its value-loss gradients
then move the policy: on the tiny test model that drift swamped the KL penalty (a larger β no
longer gave a smaller KL), so the two are kept apart at twice the training compute and memory.
The value model is not saved: `<output_dir>/model` holds only the language model, in float32
(PPO's small steps would vanish in bf16 rounding).

Metrics per iteration: mean R_c of the rollout ("reward"), mean KL per sequence (Σ over reply
tokens of log π − log π_ref), mean per-token entropy of the policy, the clip fraction (share of
reply tokens whose clipped branch is active, trl's definition), policy and value losses (means
over the iteration's minibatches). When the mean KL per sequence of an iteration's rollout
exceeds `kl_stop`, that iteration is recorded without an update (its clip fraction and losses
null), and the job stops early and saves the policy as it is.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from engine import lora
from engine.model import Llama, LlamaScalar
from engine.reward.train import Cancelled

from . import common
from .ppo_spec import PpoSpec, parse_ppo  # noqa: F401  (parse_ppo: the jobs registry imports it from here)

GAMMA, LAMBDA = 1.0, 0.95
VALUE_CLIP = 0.2
HISTORY_POINTS = 200  # iterations kept in the streamed metrics (all of them go to ppo.json)

Report = Callable[..., None]


# -- the math --------------------------------------------------------------------------------

def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (x * mask).sum() / mask.sum().clamp(min=1)


def whiten(x: torch.Tensor, mask: Optional[torch.Tensor] = None, eps: float = 1e-8) -> torch.Tensor:
    """(x − mean) / std over the entries where `mask` is 1 (all by default); population std.
    Masked-out entries come back as 0. Fewer than two entries: returned unchanged."""
    m = torch.ones_like(x) if mask is None else mask.to(x.dtype)
    if m.sum() < 2:
        return x * m
    mean = masked_mean(x, m)
    var = masked_mean((x - mean) ** 2, m)
    return (x - mean) * torch.rsqrt(var + eps) * m


def gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float = GAMMA,
        lam: float = LAMBDA) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation over (B, L) reply tokens (mask 1 on real ones, which come
    first in each row). δ_t = r_t + γ V_{t+1} − V_t with V = 0 after the last token;
    A_t = δ_t + γ λ A_{t+1}. -> (advantages, returns = advantages + values), 0 where masked."""
    mask = mask.to(values.dtype)
    rewards, values = rewards * mask, values * mask
    adv = torch.zeros_like(values)
    running = torch.zeros_like(values[:, 0])
    length = values.shape[1]
    for t in reversed(range(length)):
        next_value = values[:, t + 1] if t + 1 < length else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = delta + gamma * lam * running
        adv[:, t] = running
    adv = adv * mask
    return adv, (adv + values) * mask


def token_rewards(score: torch.Tensor, logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor,
                  beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per reply token: −β·(log π − log π_ref), plus the sequence's (whitened) score at its last
    real token. score (B,), the rest (B, L). -> (rewards (B, L), KL per token (B, L))."""
    mask = mask.to(logp.dtype)
    kl = (logp - ref_logp) * mask
    rewards = -beta * kl
    last = (mask.sum(1).long() - 1).clamp(min=0)  # (B,)
    rewards = rewards.scatter_add(1, last[:, None], score[:, None].to(rewards.dtype))
    return rewards * mask, kl


@dataclass
class LossParts:
    loss: torch.Tensor
    policy_loss: torch.Tensor
    value_loss: torch.Tensor
    clip_fraction: torch.Tensor
    approx_kl: torch.Tensor


def ppo_loss(logp: torch.Tensor, old_logp: torch.Tensor, values: torch.Tensor, old_values: torch.Tensor,
             advantages: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor, clip: float,
             value_clip: float = VALUE_CLIP) -> LossParts:
    """Clipped surrogate + clipped value loss, means over the reply tokens; all (B, L). The two
    train separate models, so `loss` is their plain sum."""
    mask = mask.to(logp.dtype)
    ratio = torch.exp(logp - old_logp)
    pg1 = -advantages * ratio
    pg2 = -advantages * ratio.clamp(1.0 - clip, 1.0 + clip)
    policy_loss = masked_mean(torch.max(pg1, pg2), mask)
    clipped_values = old_values + (values - old_values).clamp(-value_clip, value_clip)
    value_loss = 0.5 * masked_mean(torch.max((values - returns) ** 2, (clipped_values - returns) ** 2), mask)
    with torch.no_grad():
        clip_fraction = masked_mean((pg2 > pg1).to(logp.dtype), mask)
        approx_kl = 0.5 * masked_mean((logp - old_logp) ** 2, mask)
    return LossParts(policy_loss + value_loss, policy_loss, value_loss, clip_fraction, approx_kl)


# -- the model ---------------------------------------------------------------------------------

def value_model_from(policy: Llama) -> LlamaScalar:
    """A scalar-head model with the policy's trunk (a copy) and a zero head: V = 0 everywhere at first."""
    model = LlamaScalar(policy.args)
    model.model.load_state_dict(policy.model.state_dict())
    nn.init.zeros_(model.score.weight)
    p = next(policy.parameters())
    return model.to(device=p.device, dtype=p.dtype)


@dataclass
class Packed:
    """Right-padded prompt + reply rows and where their reply tokens are."""

    tokens: torch.Tensor  # (B, T)
    pos: torch.Tensor  # (B, L) index of the token *before* reply token j (its logits / value live there)
    mask: torch.Tensor  # (B, L) float 1 on real reply tokens


def pack(seqs: Sequence[Sequence[int]], prompt_lens: Sequence[int], device: torch.device,
         width: Optional[int] = None) -> Packed:
    """Rows = prompt tokens then reply tokens; reply j of row b is token prompt_lens[b] + j, predicted
    at position prompt_lens[b] + j − 1. `width` (≥ the longest reply) fixes L."""
    longest = max(len(s) for s in seqs)
    reply_lens = [len(s) - p for s, p in zip(seqs, prompt_lens)]
    L = width or max(reply_lens)
    tokens = torch.tensor([list(s) + [0] * (longest - len(s)) for s in seqs], dtype=torch.long, device=device)
    j = torch.arange(L, device=device)
    p = torch.tensor(prompt_lens, device=device)
    r = torch.tensor(reply_lens, device=device)
    pos = (p[:, None] - 1 + j[None, :]).clamp(max=longest - 2)
    mask = (j[None, :] < r[:, None]).float()
    return Packed(tokens, pos, mask)


def _at_replies(hidden: torch.Tensor, batch: Packed) -> torch.Tensor:
    return hidden.gather(1, batch.pos[..., None].expand(-1, -1, hidden.shape[-1]))  # (B, L, C)


def forward_reply(policy: Llama, batch: Packed, temperature: float,
                  entropy: bool = False) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
    """One pass without cache: log π(token) of every reply token under softmax(logits / T) (B, L),
    and the per-token entropy (B, L) if asked. The vocabulary head runs only at reply positions."""
    hidden = policy.model(batch.tokens)  # (B, T, C)
    logits = policy.lm_head(_at_replies(hidden, batch)).float() / temperature  # (B, L, V)
    logp_all = F.log_softmax(logits, dim=-1)
    targets = batch.tokens.gather(1, batch.pos + 1)  # (B, L)
    logp = logp_all.gather(-1, targets[..., None]).squeeze(-1)
    ent = -(logp_all.exp() * logp_all).sum(-1) if entropy else None
    return logp, ent


def forward_values(value_model: LlamaScalar, batch: Packed) -> torch.Tensor:
    """V(s) before every reply token (B, L): the value model's head on the state the token is chosen in."""
    hidden = value_model.model(batch.tokens)
    return value_model.score(_at_replies(hidden, batch)).squeeze(-1).float()


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


# -- one rollout -------------------------------------------------------------------------------

@dataclass
class Rollout:
    seqs: list[list[int]]
    prompt_lens: list[int]
    mask: torch.Tensor  # (B, L)
    logp: torch.Tensor  # (B, L) policy at sampling time ("old")
    ref_logp: torch.Tensor
    values: torch.Tensor
    entropy: torch.Tensor
    rewards_rc: list[float]  # R_c in [0, 1]
    scores: torch.Tensor  # (B,) whitened logit(R_c)
    token_rewards: Optional[torch.Tensor] = None
    kl: Optional[torch.Tensor] = None  # (B, L) log π − log π_ref
    advantages: Optional[torch.Tensor] = None
    returns: Optional[torch.Tensor] = None


@torch.no_grad()
def reply_stats(policy: Llama, ref: Llama, value_model: LlamaScalar, seqs: list[list[int]], prompt_lens: list[int],
                temperature: float, chunk: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Old log-probs, reference log-probs, values and entropies of every reply token, (B, L) each,
    computed in chunks of `chunk` rows."""
    width = max(len(s) - p for s, p in zip(seqs, prompt_lens))
    parts: list[tuple[torch.Tensor, ...]] = []
    for a in range(0, len(seqs), chunk):
        batch = pack(seqs[a:a + chunk], prompt_lens[a:a + chunk], device, width)
        with _autocast(device):
            logp, ent = forward_reply(policy, batch, temperature, entropy=True)
            ref_logp, _ = forward_reply(ref, batch, temperature)
            values = forward_values(value_model, batch)
        parts.append((batch.mask, logp, ref_logp, values, ent))
    return tuple(torch.cat([p[i] for p in parts]).float() for i in range(5))


def minibatches(n: int, size: int, seed: int, iteration: int, epoch: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(f"{seed}:{iteration}:{epoch}").shuffle(order)
    return [order[i:i + size] for i in range(0, n, size)]


def prompt_order(n: int, seed: int, cycle: int) -> list[int]:
    order = list(range(n))
    random.Random(f"{seed}:prompts:{cycle}").shuffle(order)
    return order


class PromptStream:
    """Rollout prompts: a seeded shuffle of the file, cycled (each cycle reshuffled)."""

    def __init__(self, n: int, seed: int):
        self.n, self.seed, self.cycle, self.queue = n, seed, 0, []  # type: ignore[var-annotated]

    def take(self, k: int) -> list[int]:
        out: list[int] = []
        while len(out) < k:
            if not self.queue:
                self.queue = prompt_order(self.n, self.seed, self.cycle)
                self.cycle += 1
            out.append(self.queue.pop(0))
        return out


def _opt(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    params = list(model.parameters())
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95), eps=1e-5)


def _mean(xs: Sequence[float]) -> Optional[float]:
    return sum(xs) / len(xs) if xs else None


def _round(x: Optional[float], digits: int = 6) -> Optional[float]:
    return None if x is None else round(float(x), digits)


def history_view(entries: list[dict], points: int = HISTORY_POINTS) -> list[dict]:
    """At most `points` entries, evenly spaced, always keeping the first and the last."""
    if len(entries) <= points:
        return list(entries)
    idx = sorted({round(i * (len(entries) - 1) / (points - 1)) for i in range(points)})
    return [entries[i] for i in idx]


# -- the job -----------------------------------------------------------------------------------

class Trainer:
    """The policy, its value model, the frozen reference and the reward models of one PPO run."""

    def __init__(self, spec: PpoSpec, device: torch.device):
        self.spec, self.device = spec, device
        torch.manual_seed(spec.seed)
        self.prompts = common.read_prompts(spec.prompts_file, "prompts_file")  # a bad line fails before any loading
        if not self.prompts:
            raise ValueError("prompts_file holds no prompts")
        method = spec.method
        self.policy, self.tokenizer, self.adapter, self.policy_params = common.load_trainable_policy(
            spec.base_model, device, method, spec.seed)
        # One frozen base, many heads (LoRA): the reference is the base with the policy's adapter
        # off, the value model an adapter + scalar head on the same base, and reward models that
        # are LoRA adapters on this base score on it too. Otherwise each is its own model.
        self.shared_reference = method.is_lora and os.path.realpath(spec.reference_model) == os.path.realpath(
            spec.base_model)
        if self.shared_reference:
            self.ref, ref_tok = lora.View(self.policy, None), self.tokenizer
        else:
            self.ref, ref_tok = common.load_policy(spec.reference_model, device)
        if self.ref.args.vocab_size != self.policy.args.vocab_size or ref_tok.vocab_size != self.tokenizer.vocab_size:
            raise ValueError(f"reference_model {spec.reference_model} has another vocabulary than base_model")
        if self.ref.args.max_seq_len < self.policy.args.max_seq_len:
            raise ValueError(f"reference_model's context ({self.ref.args.max_seq_len}) is shorter than base_model's "
                             f"({self.policy.args.max_seq_len})")
        if not self.shared_reference:
            self.ref.requires_grad_(False)
            self.ref.eval()
        ctx = self.policy.args.max_seq_len
        if spec.max_tokens >= ctx - 1:
            raise ValueError(f"max_tokens ({spec.max_tokens}) leaves no room for a prompt in the policy's "
                             f"context of {ctx} tokens")
        self.reward_models = common.load_reward_models(
            spec.reward_models, device, spec.reward,
            shared=(spec.base_model, self.policy) if method.is_lora else None)
        if method.is_lora:
            self.value_adapter = lora.Adapter(self.policy.args, method.lora, scalar_head=True, seed=spec.seed + 1,
                                              device=device)
            self.value_model = lora.View(self.policy, self.value_adapter)
            self.value_params = list(self.value_adapter.parameters())
        else:
            self.value_model = value_model_from(self.policy)
            self.value_model.model.gradient_checkpointing = method.checkpointing(device)
            self.value_params = list(self.value_model.parameters())
        self.opt = lora.adamw(self.policy_params, spec.learning_rate, 0.1, device)
        self.value_opt = lora.adamw(self.value_params, spec.learning_rate, 0.1, device)
        self.stream = PromptStream(len(self.prompts), spec.seed)

    def encode_prompt(self, row: common.PromptRow) -> list[int]:
        keep = self.policy.args.max_seq_len - self.spec.max_tokens
        return self.tokenizer.encode_dialog(list(row.messages))[-keep:]

    # -- rollout and scoring ---------------------------------------------------------------
    def rollout(self, iteration: int,
                should_stop: Callable[[], bool]) -> tuple[Rollout, list[common.PromptRow], float, float]:
        """Sample, score and compute advantages -> (rollout, its prompts, rollout seconds, scoring seconds)."""
        s = self.spec
        t0 = time.time()
        rows = [self.prompts[i] for i in self.stream.take(s.rollout_batch)]
        seed = (s.seed * 1_000_003 + iteration) % (1 << 40)  # common.sample multiplies it again: stay < 2^64
        samples = common.sample(self.policy, self.tokenizer, rows, k=1, temperature=s.temperature, top_p=1.0,
                                max_tokens=s.max_tokens, seed=seed, should_stop=should_stop)
        replies = [group[0] for group in samples]
        prompt_tokens = [self.encode_prompt(r) for r in rows]
        seqs = [p + list(rep.token_ids) for p, rep in zip(prompt_tokens, replies)]
        prompt_lens = [len(p) for p in prompt_tokens]
        if should_stop():
            raise Cancelled()
        self.policy.eval()
        mask, logp, ref_logp, values, ent = reply_stats(self.policy, self.ref, self.value_model, seqs, prompt_lens,
                                                         s.temperature, s.minibatch_size, self.device)
        t1 = time.time()
        scored = common.score_detailed(self.reward_models, rows, [rep.text for rep in replies], s.reward)
        logits = torch.tensor([d[d["source"]] for d in scored], dtype=torch.float32, device=self.device)
        ro = Rollout(seqs, prompt_lens, mask, logp, ref_logp, values, ent, [d["reward"] for d in scored],
                     whiten(logits))
        ro.token_rewards, ro.kl = token_rewards(ro.scores, logp, ref_logp, mask, s.kl_beta)
        adv, ro.returns = gae(ro.token_rewards, values, mask)
        ro.advantages = whiten(adv, mask)
        return ro, rows, t1 - t0, time.time() - t1

    # -- the update ------------------------------------------------------------------------
    def update(self, ro: Rollout, iteration: int, should_stop: Callable[[], bool],
               on_step: Callable[[int, int], None] = lambda done, total: None) -> dict:
        s = self.spec
        size = min(s.minibatch_size, len(ro.seqs))
        plans = [minibatches(len(ro.seqs), size, s.seed, iteration, e) for e in range(s.ppo_epochs)]
        total = sum(len(p) for p in plans)
        stats: dict[str, list[float]] = {"policy_loss": [], "value_loss": [], "clip_fraction": [], "approx_kl": []}
        self.policy.train()
        self.value_model.train()
        done = 0
        for plan in plans:
            for idx in plan:
                if should_stop():
                    raise Cancelled()
                seqs = [ro.seqs[i] for i in idx]
                width = max(len(ro.seqs[i]) - ro.prompt_lens[i] for i in idx)
                batch = pack(seqs, [ro.prompt_lens[i] for i in idx], self.device, width)
                rows = torch.tensor(idx, device=self.device)
                pick = lambda t: t[rows, :width]  # noqa: E731
                with _autocast(self.device):
                    logp, _ = forward_reply(self.policy, batch, s.temperature)
                    values = forward_values(self.value_model, batch)
                parts = ppo_loss(logp.float(), pick(ro.logp), values.float(), pick(ro.values), pick(ro.advantages),
                                 pick(ro.returns), batch.mask, s.clip)
                self.opt.zero_grad(set_to_none=True)
                self.value_opt.zero_grad(set_to_none=True)
                parts.loss.backward()
                for params, opt in ((self.policy_params, self.opt), (self.value_params, self.value_opt)):
                    torch.nn.utils.clip_grad_norm_(params, 1.0)
                    opt.step()
                for k in stats:
                    stats[k].append(getattr(parts, k).item())
                done += 1
                on_step(done, total)
        self.policy.eval()
        self.value_model.eval()
        return {k: _mean(v) for k, v in stats.items()} | {"first_clip_fraction": stats["clip_fraction"][0]}


def run_ppo(spec: PpoSpec, device: torch.device, report: Report,
            should_stop: Callable[[], bool] = lambda: False) -> dict:
    """Run PPO as `spec` says; -> the job's result. Writes `<output_dir>/model` and `ppo.json`."""
    start = time.time()
    report(phase="loading", progress=0.0, metrics={})
    tr = Trainer(spec, device)
    history: list[dict] = []
    stop_reason: Optional[str] = None
    n = spec.iterations
    train_start = time.time()

    def progress(i: float) -> float:
        return 0.02 + 0.95 * i / n

    def eta(i: float) -> Optional[float]:
        if i <= 0:
            return None
        per = (time.time() - train_start) / i
        return round(per * (n - i), 1)

    def metrics(iteration: int, stage: str) -> dict:
        return {"iteration": iteration, "total_iterations": n, "stage": stage, "prompts": len(tr.prompts),
                "iterations": history_view(history)}

    report(phase="training", progress=progress(0), metrics=metrics(0, "rollout"))
    for it in range(1, n + 1):
        if should_stop():
            raise Cancelled()
        ro, _, t_rollout, t_score = tr.rollout(it, should_stop)
        kl_seq = ro.kl.sum(1)  # type: ignore[union-attr]
        entry = {
            "iteration": it,
            "reward": _round(_mean(ro.rewards_rc)),
            "kl": _round(kl_seq.mean().item()),
            "entropy": _round(masked_mean(ro.entropy, ro.mask).item()),
            "clip_fraction": None,
            "policy_loss": None,
            "value_loss": None,
            "response_tokens": _round(ro.mask.sum(1).mean().item(), 3),
            "seconds": {"rollout": round(t_rollout, 3), "scoring": round(t_score, 3), "update": 0.0},
        }
        if entry["kl"] > spec.kl_stop:
            stop_reason = (f"mean KL per sequence {entry['kl']:.4g} exceeded kl_stop {spec.kl_stop:g} at "
                           f"iteration {it}; the policy is saved as it was before this iteration's update")
            history.append(entry)
            report(progress=progress(it - 1), metrics=metrics(it, "stopped"))
            break
        report(progress=progress(it - 0.7), eta_seconds=eta(it - 0.7), metrics=metrics(it, "update"))
        t2 = time.time()
        upd = tr.update(ro, it, should_stop,
                        lambda d, t: report(progress=progress(it - 0.7 + 0.7 * d / t),
                                            eta_seconds=eta(it - 0.7 + 0.7 * d / t)))
        entry.update(clip_fraction=_round(upd["clip_fraction"]), policy_loss=_round(upd["policy_loss"]),
                     value_loss=_round(upd["value_loss"]), approx_kl=_round(upd["approx_kl"]),
                     first_clip_fraction=_round(upd["first_clip_fraction"]))
        entry["seconds"]["update"] = round(time.time() - t2, 3)
        history.append(entry)
        report(progress=progress(it), eta_seconds=eta(it), metrics=metrics(it, "rollout"))

    if should_stop():
        raise Cancelled()
    iterations_run = sum(1 for e in history if e["policy_loss"] is not None)
    report(phase="saving", progress=0.98, eta_seconds=None)
    model_dir = os.path.join(spec.output_dir, "model")
    tr.policy.clear_cache()
    saved = common.save_trained_policy(
        tr.policy, tr.adapter, spec.base_model, model_dir, dtype=torch.float32, save_merged=spec.save_merged,
        extra={"ppo": {"base_model": spec.base_model, "reference_model": spec.reference_model,
                       "iterations_run": iterations_run}})
    last = history[-1]
    clip_fracs = [e["clip_fraction"] for e in history if e["clip_fraction"] is not None]
    result = {
        **saved,
        "method": spec.method.name,
        "shared_base": {"reference": tr.shared_reference, "value_model": spec.method.is_lora,
                        "reward_models": list(tr.reward_models.shared)},
        "iterations_run": iterations_run,
        "stopped_early": stop_reason is not None,
        "stop_reason": stop_reason,
        "final": {"reward": last["reward"], "kl": last["kl"], "entropy": last["entropy"],
                  "clip_fraction": clip_fracs[-1] if clip_fracs else None},
        "seconds": round(time.time() - start, 3),
    }
    with open(os.path.join(spec.output_dir, "ppo.json"), "w") as f:
        json.dump({"spec": spec.to_json(), "result": result, "device": str(device), "torch": torch.__version__,
                   "value_model": ("LoRA adapter + zero head on the policy's frozen base" if spec.method.is_lora
                                   else "separate LlamaScalar: the policy's trunk, zero head"),
                   "value_clip": VALUE_CLIP, "gamma": GAMMA, "lambda": LAMBDA,
                   "iterations": history}, f, indent=2)
    report(metrics=metrics(last["iteration"], "done"))
    return result


__all__ = ["PpoSpec", "parse_ppo", "run_ppo", "gae", "whiten", "ppo_loss", "token_rewards", "pack",
           "forward_reply", "forward_values", "value_model_from", "Trainer"]
