"""What the service runs: settings read once from the environment, and the loaded models.

Environment (all read here and nowhere else):
  ENGINE_TOKEN         required; clients send `Authorization: Bearer <token>`
  ENGINE_HOST          default 127.0.0.1
  ENGINE_PORT          default 8710 (0 = pick a free port; the printed line says which)
  PAIRWISE_DATA_DIR    default `data`; the random-init model is cached under models/
  ENGINE_MODEL         a model directory (Hugging Face or Meta layout); default
                       engine/models/pairwise-tiny-chat, else a random-init tiny model
  ENGINE_REWARD_MODEL  optional: a scalar-head (LlamaForSequenceClassification) model directory
  ENGINE_DEVICE        auto (cuda if available, else cpu) | cpu | cuda | cuda:N
  ENGINE_DECODE        eager | graph (CUDA graphs) | compile; default graph on CUDA, eager on CPU
                       (the serving path, engine/scheduler.py, captures a graph per batch bucket
                       on CUDA unless this is eager)
  ENGINE_MAX_BATCH     rows of the continuous batch (KV cache rows x context), default 128;
                       on CUDA capped by free memory
  ENGINE_MAX_QUEUE     requests waiting for rows before 503 + Retry-After, default 256
  ENGINE_PREFILL_BUDGET  prompt tokens prefilled per step while rows decode, default 256 on CPU,
                       2048 on CUDA
  ENGINE_BATCHING      on (default) | off: off admits one request at a time (the serialised
                       engine of before, kept for `python -m engine.bench serve` comparisons)
  ENGINE_JOB_YIELD_S   most seconds a training job waits per micro-batch while generation is
                       busy, default 2 (0 = jobs never wait)
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

import torch

from . import checkpoint
from .config import named_config
from .scheduler import JobGate, Scheduler
from .model import Llama, LlamaScalar, init_weights
from .protocol import ApiError
from .tokenizer import Tokenizer, train_tokenizer

ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))
BUNDLED_MODEL = os.path.join(ENGINE_DIR, "models", "pairwise-tiny-chat")
RANDOM_MODEL_NAME = "random-tiny"
MAX_POLICIES = 2  # policy directories kept loaded besides ENGINE_MODEL (an LRU)


class SettingsError(ValueError):
    """A bad environment variable: the process prints it and exits non-zero."""


@dataclass(frozen=True)
class Settings:
    token: str
    host: str
    port: int
    data_dir: str
    model_path: Optional[str]  # None = random-init default
    reward_model_path: Optional[str]
    device: str
    decode_mode: str
    max_batch: int = 128
    max_queue: int = 256
    prefill_budget: int = 256
    batching: bool = True
    job_yield_s: float = 2.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        token = env.get("ENGINE_TOKEN", "")
        if not token.strip():
            raise SettingsError("ENGINE_TOKEN is required: set it to a shared secret that clients send as a Bearer token")
        port_text = env.get("ENGINE_PORT", "8710")
        if not port_text.isdigit() or int(port_text) > 65535:
            raise SettingsError(f"ENGINE_PORT must be an integer between 0 and 65535, got {port_text!r}")
        device = env.get("ENGINE_DEVICE", "auto").strip() or "auto"
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        elif device.startswith("cuda"):
            if not torch.cuda.is_available():
                raise SettingsError(f"ENGINE_DEVICE={device} but this torch ({torch.__version__}) sees no CUDA device")
            try:
                torch.device(device)
            except RuntimeError:
                raise SettingsError(f"ENGINE_DEVICE {device!r} is not a device name like cuda or cuda:0") from None
        elif device != "cpu":
            raise SettingsError(f"ENGINE_DEVICE must be auto, cpu, cuda or cuda:N, got {device!r}")
        decode = env.get("ENGINE_DECODE") or ("graph" if device.startswith("cuda") else "eager")
        if decode not in ("eager", "graph", "compile"):
            raise SettingsError(f"ENGINE_DECODE must be eager, graph or compile, got {decode!r}")
        bundled = os.path.isfile(os.path.join(BUNDLED_MODEL, "config.json"))  # a complete bundled model
        model = env.get("ENGINE_MODEL") or (BUNDLED_MODEL if bundled else None)
        reward = env.get("ENGINE_REWARD_MODEL") or None
        for name, path in (("ENGINE_MODEL", model), ("ENGINE_REWARD_MODEL", reward)):
            if path is not None and not (os.path.isfile(os.path.join(path, "config.json"))
                                         or os.path.isfile(os.path.join(path, "params.json"))):
                raise SettingsError(f"{name}={path!r} is not a model directory (no config.json or params.json)")
        def positive_int(name: str, default: int) -> int:
            text = env.get(name) or str(default)
            if not text.isdigit() or int(text) < 1:
                raise SettingsError(f"{name} must be a positive integer, got {text!r}")
            return int(text)

        batching = (env.get("ENGINE_BATCHING") or "on").strip()
        if batching not in ("on", "off"):
            raise SettingsError(f"ENGINE_BATCHING must be on or off, got {batching!r}")
        try:
            job_yield = float(env.get("ENGINE_JOB_YIELD_S") or "2")
            assert job_yield >= 0
        except (ValueError, AssertionError):
            raise SettingsError(f"ENGINE_JOB_YIELD_S must be a number >= 0, got {env.get('ENGINE_JOB_YIELD_S')!r}") from None
        return cls(token=token, host=env.get("ENGINE_HOST") or "127.0.0.1", port=int(port_text),
                   data_dir=env.get("PAIRWISE_DATA_DIR") or "data", model_path=model,
                   reward_model_path=reward, device=device, decode_mode=decode,
                   max_batch=positive_int("ENGINE_MAX_BATCH", 128), max_queue=positive_int("ENGINE_MAX_QUEUE", 256),
                   prefill_budget=positive_int("ENGINE_PREFILL_BUDGET", 2048 if device.startswith("cuda") else 256),
                   batching=batching == "on", job_yield_s=job_yield)


def ensure_random_model(data_dir: str) -> str:
    """Create (once) a randomly initialised tiny Llama 2 with a freshly trained tokenizer."""
    target = os.path.join(data_dir, "models", RANDOM_MODEL_NAME)
    if os.path.isfile(os.path.join(target, "config.json")):
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # Build in a sibling temp folder and rename: a crash never leaves a half-written model.
    tmp = tempfile.mkdtemp(prefix=".random-tiny-", dir=os.path.dirname(target))
    try:
        tok_path = os.path.join(tmp, "tokenizer.model")
        train_tokenizer(tok_path, vocab_size=512)
        model = Llama(named_config("tiny", vocab_size=Tokenizer(tok_path).vocab_size))
        init_weights(model, seed=0)
        checkpoint.save_hf(model, tmp, extra={"random_init": True})
        os.rename(tmp, target)
    except OSError:
        if not os.path.isfile(os.path.join(target, "config.json")):  # lost no race: a real failure
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@dataclass
class LoadedModel:
    id: str
    kind: str  # "policy" | "reward"
    path: str
    model: Llama | LlamaScalar
    tokenizer: Tokenizer
    random_init: bool

    @property
    def context_length(self) -> int:
        return self.model.args.max_seq_len

    def describe(self) -> dict:
        return {"id": self.id, "kind": self.kind, "path": self.path, "context_length": self.context_length,
                "parameters": sum(p.numel() for p in self.model.parameters()), "random_init": self.random_init}


class Runtime:
    """The loaded models, the device, and the lock that serialises use of them."""

    def __init__(self, settings: Settings, policy: Optional["LoadedModel"] = None):
        """`policy`: an already loaded model to serve instead of ENGINE_MODEL (benchmarks)."""
        self.settings = settings
        self.device = torch.device(settings.device)
        self.dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        if self.device.type == "cpu":
            torch.set_num_threads(os.cpu_count() or 1)  # Debian's torch defaults to 1 thread
        self.lock = threading.Lock()  # reward scoring; generation goes through the schedulers
        self.gate = JobGate(settings.job_yield_s)  # jobs pause between micro-batches while generation is busy
        path = policy.path if policy else settings.model_path or ensure_random_model(settings.data_dir)
        self.policy = policy or self._load(path, "policy")
        if not isinstance(self.policy.model, Llama):
            raise SettingsError(f"ENGINE_MODEL={path!r} has a scalar head; it must be a language model")
        self.scheduler = self.make_scheduler(self.policy)
        self.policies = PolicyModels(self)
        self.reward: Optional[LoadedModel] = None
        if settings.reward_model_path:
            self.reward = self._load(settings.reward_model_path, "reward")
            if not isinstance(self.reward.model, LlamaScalar):
                raise SettingsError("ENGINE_REWARD_MODEL must be a scalar-head (LlamaForSequenceClassification) model")

    def _load(self, path: str, kind: str) -> LoadedModel:
        model, ckpt = checkpoint.load_model(path, self.device, self.dtype)
        tok_path = os.path.join(path, "tokenizer.model")
        if not os.path.isfile(tok_path):
            raise SettingsError(f"{path}: tokenizer.model is missing")
        tokenizer = Tokenizer(tok_path)
        if tokenizer.vocab_size > model.args.vocab_size:
            raise SettingsError(f"{path}: tokenizer has {tokenizer.vocab_size} pieces, model only {model.args.vocab_size}")
        name = os.path.basename(os.path.normpath(path))
        return LoadedModel(name, kind, path, model, tokenizer, bool(ckpt.extra.get("random_init")))

    def make_scheduler(self, policy: LoadedModel) -> Scheduler:
        """The continuous-batching scheduler that owns `policy` (its thread starts on first use)."""
        s = self.settings
        rows = s.max_batch
        if self.device.type == "cuda":  # the KV cache must fit beside the weights
            a = policy.model.args
            row_bytes = 2 * a.n_layers * a.kv_heads * a.head_dim * a.max_seq_len * torch.finfo(self.dtype).bits // 8
            free, _ = torch.cuda.mem_get_info(self.device)
            rows = max(1, min(rows, int(free * 0.8) // row_bytes))
        sched = Scheduler(policy.model, policy.tokenizer, max_rows=rows, max_queue=s.max_queue,
                          prefill_budget=s.prefill_budget, max_running=None if s.batching else 1,
                          use_graphs=self.device.type == "cuda" and s.decode_mode != "eager",
                          gate=self.gate, name=policy.id)
        self.gate.add(sched)
        if sched.use_graphs:
            sched.warmup()  # capture the decode graphs now, not on annotators' first requests
        return sched

    @property
    def models(self) -> list[LoadedModel]:
        return [m for m in (self.policy, self.reward) if m is not None]

    def health(self) -> dict:
        memory: dict[str, int] = {"rss_max_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
        if self.device.type == "cuda":
            memory["cuda_allocated_bytes"] = torch.cuda.memory_allocated(self.device)
            memory["cuda_reserved_bytes"] = torch.cuda.memory_reserved(self.device)
            memory["cuda_total_bytes"] = torch.cuda.get_device_properties(self.device).total_memory
        return {
            "status": "ok",
            "device": str(self.device),
            "device_name": torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "cpu",
            "dtype": str(self.dtype).replace("torch.", ""),
            "decode_mode": "graph" if self.scheduler.use_graphs else "eager",
            "batching": {**self.scheduler.load(), "max_queue": self.scheduler.max_queue,
                         "prefill_budget": self.scheduler.prefill_budget, "serialised": not self.settings.batching},
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "random_init": self.policy.random_init,
            "models": [m.describe() for m in self.models],
            "memory": memory,
        }


class ModelDirectories:
    """Models loaded from directories under the data directory, kept in an LRU keyed by real path:
    what /v1/rewards and the completions endpoints share. `check` refuses a model of the wrong kind
    (ApiError 400); `make` wraps a loaded model into the cached entry."""

    def __init__(self, runtime: "Runtime", kind: str, capacity: int,
                 check: Callable[[LoadedModel, str, str], None], make: Callable[[LoadedModel], Any] = lambda m: m):
        self.runtime, self.kind, self.capacity, self.check, self.make = runtime, kind, capacity, check, make
        self.loaded: "OrderedDict[str, Any]" = OrderedDict()
        self.lock = threading.Lock()

    def real_path(self, name: str) -> tuple[str, bool]:
        """-> (the real path `name` names, relative names taken under the data directory; whether it
        lies under the data directory)."""
        data = os.path.realpath(self.runtime.settings.data_dir)
        path = os.path.realpath(name if os.path.isabs(name) else os.path.join(data, name))
        return path, os.path.commonpath([data, path]) == data

    def get(self, path: str, name: str, param: str, model_id: str) -> Any:
        """The cached entry for `path`, loading it on first use: ApiError 404 without a model
        directory there, 400 for an unreadable checkpoint or one `check` refuses."""
        with self.lock:
            if path in self.loaded:
                self.loaded.move_to_end(path)
                return self.loaded[path]
            if not os.path.isfile(os.path.join(path, "config.json")):
                raise ApiError(404, f"no model directory at {name!r}", param, code="model_not_found")
            try:
                loaded = self.runtime._load(path, self.kind)
            except Exception as e:  # unreadable checkpoint: the caller's mistake, not a bug here
                raise ApiError(400, f"cannot load {name!r}: {type(e).__name__}: {e}", param) from None
            self.check(loaded, name, param)
            loaded.id = model_id
            entry = self.make(loaded)
            self.loaded[path] = entry
            while len(self.loaded) > self.capacity:
                _, evicted = self.loaded.popitem(last=False)
                for part in evicted if isinstance(evicted, tuple) else (evicted,):
                    if hasattr(part, "close"):  # a policy's scheduler: end its thread, free its cache
                        part.close()
            return entry

    def values(self) -> list[Any]:
        with self.lock:
            return list(self.loaded.values())


class PolicyModels:
    """Policies for /v1/chat/completions and /v1/completions: the one loaded at start by its id, or
    a policy model directory under the data directory (what an RLHF job wrote, `<output_dir>/model`,
    which the platform stores as a model version's artifactPath). Directories are loaded on first
    use and kept in an LRU of MAX_POLICIES, keyed by real path, each with its own Scheduler; the
    start-up policy's own directory resolves to it wherever it lies."""

    def __init__(self, runtime: "Runtime", capacity: int = MAX_POLICIES):
        self.runtime = runtime

        def check(loaded: LoadedModel, name: str, param: str) -> None:
            if not isinstance(loaded.model, Llama):
                raise ApiError(400, f"{name!r} is a scalar-head reward model, not a policy (use /v1/rewards)", param)

        self.dirs = ModelDirectories(runtime, "policy", capacity, check,
                                     lambda m: (m, runtime.make_scheduler(m)))

    def loaded_models(self) -> list[LoadedModel]:
        return [m for m, _ in self.dirs.values()]

    def resolve(self, name: str, param: str = "model") -> tuple[LoadedModel, Scheduler]:
        """-> (the policy, its scheduler), or ApiError: 404 model_not_found (an unknown id, no model
        directory at the path), 400 (a path outside the data directory, a reward model, an
        unreadable checkpoint)."""
        rt = self.runtime
        if "/" not in name and os.sep not in name:
            if name == rt.policy.id:
                return rt.policy, rt.scheduler
            hint = " (it is a reward model; use /v1/rewards)" if rt.reward and name == rt.reward.id else ""
            raise ApiError(404, f"model {name!r} is not loaded{hint}; loaded: {rt.policy.id!r} (or pass a policy "
                           "model directory under the data directory)", param, code="model_not_found")
        path, inside = self.dirs.real_path(name)
        if path == os.path.realpath(rt.policy.path):
            return rt.policy, rt.scheduler
        if not inside:
            raise ApiError(400, f"'{param}' must be the loaded model's id or a directory under the data directory "
                           f"{os.path.realpath(rt.settings.data_dir)}", param)
        return self.dirs.get(path, name, param, model_id=path)  # its real path: /v1/models lists it so
