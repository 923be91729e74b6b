"""What the RLHF jobs share: prompts, policies (load / sample / save) and reward scoring with R_c.

Prompts file (JSONL), one row per prompt:
    {"id": str, "messages": [{"role": "user"|"assistant", "content": str}, ... ending with user],
     "is_safety": bool}
A malformed line raises DataError naming the file label and line, which fails the job with that
message (engine/jobs.py).

Sampling is seeded per batch (the batch's seed derives from `seed` and the batch's position in
the length-sorted order), so two policies sampled with the same prompts and seed see the same
random stream, and a policy sampled twice gives the same replies.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import torch

from engine import checkpoint
from engine.generate import Generator
from engine.model import Llama, LlamaScalar
from engine.reward.data import DataError, encode_response
from engine.reward.score import combined_reward, sigmoid
from engine.sampling import SamplingParams
from engine.tokenizer import ChatFormatError, Message, Tokenizer, fold_system

REWARDS = ("combined", "helpfulness", "safety")
SAMPLE_ROWS = 256  # sequences decoded together (prompts per batch × k)
SCORE_BATCH = 32  # sequences per reward-model forward


# -- prompts and dialogues -------------------------------------------------------------------

@dataclass(frozen=True)
class PromptRow:
    id: str
    messages: tuple[Message, ...]  # ends with a user turn
    is_safety: bool = False

    def messages_json(self) -> list[dict]:
        return messages_json(self.messages)


def messages_json(messages: Sequence[Message]) -> list[dict]:
    return [{"role": m.role, "content": m.content} for m in messages]


def parse_messages(value: object, where: str, last_role: str) -> tuple[Message, ...]:
    """A non-empty message list in the Llama 2 chat shape whose last turn has `last_role`."""
    if not isinstance(value, list) or not value:
        raise DataError(f"{where}: 'messages' must be a non-empty list of messages")
    msgs = []
    for i, m in enumerate(value):
        if (not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant")
                or not isinstance(m.get("content"), str)):
            raise DataError(f"{where}: messages[{i}] must be an object with 'role' (system, user or assistant) "
                            "and string 'content'")
        msgs.append(Message(m["role"], m["content"]))
    try:
        turns = fold_system(msgs)
    except ChatFormatError as e:
        raise DataError(f"{where}: messages: {e}") from None
    if turns[-1].role != last_role:
        raise DataError(f"{where}: messages must end with a{'n' if last_role == 'assistant' else ''} "
                        f"{last_role} turn")
    return tuple(msgs)


def _jsonl(path: str, label: str):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{label} line {n}: not valid JSON ({e})") from None
            if not isinstance(obj, dict):
                raise DataError(f"{label} line {n}: expected a JSON object")
            yield n, obj


def read_prompts(path: str, label: str = "prompts_file") -> list[PromptRow]:
    """All prompts of a JSONL file (blank lines skipped). Ids must be unique non-empty strings;
    `is_safety` defaults to false."""
    rows: list[PromptRow] = []
    seen: set[str] = set()
    for n, obj in _jsonl(path, label):
        where = f"{label} line {n}"
        pid = obj.get("id")
        if not isinstance(pid, str) or not pid:
            raise DataError(f"{where}: 'id' must be a non-empty string")
        if pid in seen:
            raise DataError(f"{where}: duplicate id {pid!r}")
        seen.add(pid)
        flag = obj.get("is_safety", False)
        if not isinstance(flag, bool):
            raise DataError(f"{where}: 'is_safety' must be true or false")
        rows.append(PromptRow(pid, parse_messages(obj.get("messages"), where, "user"), flag))
    return rows


def read_dialogues(path: str, label: str = "train_file") -> list[tuple[Message, ...]]:
    """SFT rows {"messages": [... ending with an assistant turn]}."""
    return [parse_messages(obj.get("messages"), f"{label} line {n}", "assistant") for n, obj in _jsonl(path, label)]


# -- policies --------------------------------------------------------------------------------

def load_policy(path: str, device: torch.device | str) -> tuple[Llama, Tokenizer]:
    """A language model in float32 (trainable) on `device`, in eval mode, and its tokenizer."""
    model, _ = checkpoint.load_model(path, device, torch.float32)
    if not isinstance(model, Llama):
        raise ValueError(f"{path} is a scalar-head model, not a language model (policy)")
    return model, Tokenizer(os.path.join(path, "tokenizer.model"))


def load_trainable_policy(path: str, device: torch.device, method, seed: int = 0):
    """-> (model, tokenizer, adapter, params). Full: the float32 policy, every parameter trains.
    LoRA: the frozen base (bf16 on CUDA) with a new adapter active; only the adapter trains.
    Gradient checkpointing as the method says (on for LoRA on CUDA by default)."""
    from engine import lora

    dtype = lora.base_dtype(method, device)
    model, _ = checkpoint.load_model(path, device, dtype)
    if not isinstance(model, Llama):
        raise ValueError(f"{path} is a scalar-head model, not a language model (policy)")
    tokenizer = Tokenizer(os.path.join(path, "tokenizer.model"))
    model.model.gradient_checkpointing = method.checkpointing(device)
    if not method.is_lora:
        return model, tokenizer, None, list(model.parameters())
    lora.freeze_base(model)
    adapter = lora.Adapter(model.args, method.lora, seed=seed, device=device)
    lora.activate(model, adapter)
    return model, tokenizer, adapter, list(adapter.parameters())


def save_trained_policy(model: Llama, adapter, src_dir: str, out_dir: str, extra: Optional[dict] = None,
                        dtype: Optional[torch.dtype] = None, save_merged: bool = False) -> dict:
    """Full: the Hugging Face checkpoint at out_dir. LoRA: PEFT files at out_dir (the folder
    loads as a model directory: base + adapter merged) and, on request, a merged checkpoint at
    out_dir + "-merged". -> {"model_dir", "adapter_dir"?, "merged_dir"?}."""
    from engine import lora

    if adapter is None:
        return {"model_dir": save_policy(model, src_dir, out_dir, extra=extra, dtype=dtype)}
    out = {"model_dir": os.path.abspath(out_dir), "adapter_dir": os.path.abspath(out_dir)}
    tmp = os.path.join(os.path.dirname(os.path.abspath(out_dir)), f".{os.path.basename(out_dir)}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    lora.save_peft(adapter, tmp, src_dir, tokenizer_path=os.path.join(src_dir, "tokenizer.model"), extra=extra)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.rename(tmp, out_dir)
    if save_merged:
        merged = os.path.abspath(out_dir) + "-merged"
        lora.save_merged(model, adapter, merged, tokenizer_path=os.path.join(src_dir, "tokenizer.model"),
                         dtype=dtype or stored_dtype(src_dir), extra=extra)
        out["merged_dir"] = merged
    return out


def stored_dtype(model_dir: str) -> torch.dtype:
    """The dtype a model directory's weights are stored in (its config.json's torch_dtype)."""
    try:
        with open(os.path.join(model_dir, "config.json")) as f:
            name = json.load(f).get("torch_dtype", "float32")
    except (OSError, json.JSONDecodeError):
        name = "float32"
    return {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(name, torch.float32)


def save_policy(model: Llama, src_dir: str, out_dir: str, extra: Optional[dict] = None,
                dtype: Optional[torch.dtype] = None) -> str:
    """Write `model` in Hugging Face layout with `src_dir`'s tokenizer.model to `out_dir`, via a
    sibling temporary folder and a rename: a crash never leaves a half-written model there.
    Weights are stored in `dtype` (default: the dtype `src_dir` stores). -> out_dir."""
    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(out_dir)}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    checkpoint.save_hf(model, tmp, tokenizer_path=os.path.join(src_dir, "tokenizer.model"),
                       extra=extra, dtype=dtype or stored_dtype(src_dir))
    old = os.path.join(parent, f".{os.path.basename(out_dir)}.old")
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(out_dir):
        os.rename(out_dir, old)
    os.rename(tmp, out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return out_dir


@dataclass
class Sample:
    text: str
    token_ids: list[int]  # generated tokens (EOS included when the reply ended with it)
    logprobs: list[float]  # the policy's log-probability of each generated token (temperature 1)
    finish_reason: str  # "stop" | "length"


def _dialog(p) -> Sequence[Message]:
    return p.messages if hasattr(p, "messages") else p


def sample(model: Llama, tokenizer: Tokenizer, prompts: Sequence, k: int = 1, temperature: float = 1.0,
           top_p: float = 1.0, max_tokens: int = 64, seed: int = 0, rows_per_batch: int = SAMPLE_ROWS,
           should_stop: Callable[[], bool] = lambda: False,
           on_batch: Optional[Callable[[int, int], None]] = None) -> list[list[Sample]]:
    """`k` replies to every prompt (a PromptRow or a message list ending with a user turn).

    Prompts are batched in order of token length (little padding), the k samples of a prompt
    share its prefill (Generator n=k), and batch b (counted in that order) draws with seed
    `seed * 1_000_003 + b`. A prompt whose tokens plus `max_tokens` exceed the context is cut
    from the left. `on_batch(done_prompts, total)` after each batch; `should_stop()` raises
    Cancelled between batches. -> per prompt, its k samples."""
    from engine.reward.train import Cancelled

    ctx = model.args.max_seq_len
    if max_tokens >= ctx:
        raise ValueError(f"max_tokens ({max_tokens}) must be below the model's context ({ctx})")
    encoded = [tokenizer.encode_dialog(list(_dialog(p)))[-(ctx - max_tokens):] for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
    per_batch = max(1, rows_per_batch // k)
    gen = Generator(model, tokenizer)
    out: list[Optional[list[Sample]]] = [None] * len(prompts)
    was_training = model.training
    model.eval()
    try:
        for b, start in enumerate(range(0, len(order), per_batch)):
            if should_stop():
                raise Cancelled()
            idx = order[start:start + per_batch]
            params = SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_tokens,
                                    seed=(seed * 1_000_003 + b) % (1 << 63))
            rows = gen.generate([encoded[i] for i in idx], params, n=k)
            for j, i in enumerate(idx):
                out[i] = [Sample(r.text.strip(), list(r.token_ids), list(r.logprobs), r.finish_reason or "length")
                          for r in rows[j * k:(j + 1) * k]]
            if on_batch:
                on_batch(min(start + per_batch, len(order)), len(order))
    finally:
        model.clear_cache()
        model.train(was_training)
    return [o or [] for o in out]


# -- reward models ---------------------------------------------------------------------------

@dataclass
class RewardModel:
    path: str
    model: LlamaScalar
    tokenizer: Tokenizer


@dataclass
class RewardSet:
    """The loaded reward models by axis ("helpfulness", "safety"); either may be absent."""

    models: dict[str, RewardModel]
    device: torch.device
    shared: list = field(default_factory=list)  # axes scored as adapters on a shared base

    def needs(self, reward: str) -> tuple[str, ...]:
        return ("helpfulness", "safety") if reward == "combined" else (reward,)


def load_reward_model(path: str, device: torch.device | str) -> RewardModel:
    model, _ = checkpoint.load_model(path, device, torch.float32)
    if not isinstance(model, LlamaScalar):
        raise ValueError(f"{path} is a language model, not a scalar-head reward model")
    return RewardModel(path, model, Tokenizer(os.path.join(path, "tokenizer.model")))


def shares_base(reward_dir: str, base_dir: str) -> bool:
    """Whether `reward_dir` is a LoRA adapter (PEFT folder) on exactly `base_dir`."""
    from engine import lora

    if not lora.is_peft_dir(reward_dir):
        return False
    try:
        return os.path.realpath(lora.base_of(reward_dir)) == os.path.realpath(base_dir)
    except (OSError, ValueError, KeyError):
        return False


def load_reward_models(dirs: dict[str, str], device: torch.device | str, reward: str = "combined",
                       shared: Optional[tuple[str, Llama]] = None) -> RewardSet:
    """Load the reward models `reward` needs (both for combined) from {"helpfulness": dir, "safety": dir}.
    `shared` = (base_dir, loaded base model): a reward model that is a LoRA adapter on that base
    becomes a View on it (adapter + scalar head, no second copy of the base). The base's own
    weights must still be those of base_dir (a frozen LoRA base, or before full fine-tuning)."""
    from engine import lora

    if reward not in REWARDS:
        raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
    device = torch.device(device)
    rs = RewardSet({}, device)
    for axis in rs.needs(reward):
        if not dirs.get(axis):
            raise ValueError(f"reward {reward!r} needs a {axis} reward model")
        if shared is not None and shares_base(dirs[axis], shared[0]):
            base = shared[1]
            adapter = lora.load_peft(dirs[axis], base.args, device=device)
            rs.models[axis] = RewardModel(dirs[axis], lora.View(base, adapter),  # type: ignore[arg-type]
                                          Tokenizer(os.path.join(dirs[axis], "tokenizer.model")))
            rs.shared.append(axis)
        else:
            rs.models[axis] = load_reward_model(dirs[axis], device)
    return rs


@torch.no_grad()
def raw_rewards(rm: RewardModel, prompts: Sequence, responses: Sequence[str],
                should_stop: Callable[[], bool] = lambda: False) -> list[float]:
    """The reward model's raw scalar of each closed dialogue (context + reply), read at its EOS.
    Dialogues longer than the context are cut from the left (the reply and latest turns stay).
    `should_stop()` raises Cancelled between batches."""
    from engine.reward.train import Cancelled

    ctx = rm.model.args.max_seq_len
    seqs = [encode_response(rm.tokenizer, list(_dialog(p)), r, ctx)[0] for p, r in zip(prompts, responses)]
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    out = [0.0] * len(seqs)
    dev = next(rm.model.parameters()).device
    rm.model.eval()
    for b in range(0, len(order), SCORE_BATCH):
        if should_stop():
            raise Cancelled()
        idx = order[b:b + SCORE_BATCH]
        longest = max(len(seqs[i]) for i in idx)
        tokens = torch.tensor([seqs[i] + [0] * (longest - len(seqs[i])) for i in idx], device=dev)
        last = torch.tensor([len(seqs[i]) - 1 for i in idx], device=dev)
        values = rm.model(tokens).float().gather(1, last[:, None]).squeeze(1).tolist()
        for i, v in zip(idx, values):
            out[i] = v
    return out


def score_detailed(reward_models: RewardSet, prompts: Sequence, responses: Sequence[str],
                   reward: str = "combined", should_stop: Callable[[], bool] = lambda: False) -> list[dict]:
    """Per reply {"reward" (in [0, 1]), "source", "helpfulness"?, "safety"? (raw)}. Prompts need
    `.is_safety` for the combined reward (message lists count as not safety prompts)."""
    if len(prompts) != len(responses):
        raise ValueError("one response per prompt")
    if not prompts:
        return []
    raw = {axis: raw_rewards(reward_models.models[axis], prompts, responses, should_stop)
           for axis in reward_models.needs(reward)}
    out = []
    for i, p in enumerate(prompts):
        row = {axis: raw[axis][i] for axis in raw}
        if reward == "combined":
            rc, source = combined_reward(raw["helpfulness"][i], raw["safety"][i], bool(getattr(p, "is_safety", False)))
        else:
            rc, source = sigmoid(raw[reward][i]), reward
        out.append({"reward": rc, "source": source, **row})
    return out


def score(reward_models: RewardSet, prompts: Sequence, responses: Sequence[str], reward: str = "combined",
          should_stop: Callable[[], bool] = lambda: False) -> list[float]:
    """R_c (or σ of one reward model's output) of each reply, in [0, 1]."""
    return [d["reward"] for d in score_detailed(reward_models, prompts, responses, reward, should_stop)]
