"""Multi-process training, launcher-agnostic: RANK / WORLD_SIZE / LOCAL_RANK from the environment.

`torchrun --nproc_per_node N -m engine.distributed <kind> <spec.json>` (or any launcher that sets
RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) runs one job kind on N processes; the
engine does this itself for a job when ENGINE_TRAIN_PROCS > 1 (engine/jobs.py). Each rank takes
every world-th sequence of a micro-batch (`shard`), gradients are summed over ranks after the
backward passes of an optimizer step (`sum_gradients`: the data-parallel all-reduce that
DistributedDataParallel does, done once per step, so a step equals a single process with the
same global batch), rank 0 writes the artifacts and reports progress as JSON lines on stdout.

Backends: nccl with one GPU per rank (LOCAL_RANK selects it), gloo on CPU. LoRA trains the
adapters data-parallel (a few MB of gradients per step). Full fine-tuning of a model that does
not fit one GPU needs sharding: on torch 2.x `fsdp_available()` is true and `wrap_fsdp` shards
a model's layers with FullyShardedDataParallel (not exercised by the CPU tests, which use gloo).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Iterable, Sequence

import torch
import torch.distributed as tdist


@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1 and tdist.is_available() and tdist.is_initialized()

    def shard(self, items: Sequence) -> list:
        return list(items[self.rank::self.world]) if self.world > 1 else list(items)

    def sum_gradients(self, params: Iterable[torch.nn.Parameter]) -> None:
        if not self.active:
            return
        params = [p for p in params if p.requires_grad]
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        flat = torch.cat([p.grad.reshape(-1) for p in params])  # one all-reduce per step
        tdist.all_reduce(flat)
        at = 0
        for p in params:
            n = p.numel()
            p.grad.copy_(flat[at:at + n].view_as(p.grad))
            at += n

    def sum_float(self, x: float) -> float:
        if not self.active:
            return x
        t = torch.tensor([float(x)], dtype=torch.float64)
        tdist.all_reduce(t)
        return float(t.item())

    def broadcast_parameters(self, params: Iterable[torch.nn.Parameter]) -> None:
        """Every rank starts from rank 0's weights (adapters are seeded alike, but be sure)."""
        if not self.active:
            return
        with torch.no_grad():
            for p in params:
                tdist.broadcast(p.data, 0)


_CURRENT = Dist()


def current() -> Dist:
    return _CURRENT


def init_from_env(backend: str | None = None) -> Dist:
    """Join the process group the launcher described (a no-op at WORLD_SIZE 1)."""
    global _CURRENT
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", str(rank)))
    if world > 1 and not tdist.is_initialized():
        if backend is None:
            backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local)
        tdist.init_process_group(backend, rank=rank, world_size=world)
    _CURRENT = Dist(rank, world, local)
    return _CURRENT


def shutdown() -> None:
    global _CURRENT
    if tdist.is_available() and tdist.is_initialized():
        tdist.destroy_process_group()
    _CURRENT = Dist()


def fsdp_available() -> bool:
    """FSDP for full fine-tuning: torch 2.x (1.13 has the module but we do not rely on it)."""
    major = int(torch.__version__.split(".")[0])
    try:
        from torch.distributed.fsdp import FullyShardedDataParallel  # noqa: F401
    except ImportError:
        return False
    return major >= 2


def wrap_fsdp(model: torch.nn.Module) -> torch.nn.Module:
    """Shard `model` per decoder layer with FSDP (torch 2.x, one GPU per rank)."""
    import functools

    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy

    from .model import Block

    policy = functools.partial(transformer_auto_wrap_policy, transformer_layer_cls={Block})
    return FSDP(model, auto_wrap_policy=policy, use_orig_params=True)


def train_procs() -> int:
    """ENGINE_TRAIN_PROCS: processes per training job (1 = in the engine's own process)."""
    try:
        return max(1, int(os.environ.get("ENGINE_TRAIN_PROCS", "1")))
    except ValueError:
        return 1


DISTRIBUTED_KINDS = ("train_reward", "sft")  # kinds whose loop shards its batches over ranks


def free_port(spec: str) -> int:
    """ENGINE_TRAIN_PORT: a port, a range "8860-8899" (the first free one in it), or 0 (any)."""
    import socket

    lo, _, hi = spec.partition("-")
    candidates = range(int(lo), int(hi or lo) + 1) if int(lo) else [0]
    for port in candidates:
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
                return s.getsockname()[1]
        except OSError:
            continue
    raise RuntimeError(f"no free port in ENGINE_TRAIN_PORT={spec}")


def launch(kind: str, spec, procs: int, device, report, should_stop) -> dict:
    """Run one job on `procs` processes and relay rank 0's reports; -> its result.

    ENGINE_TRAIN_LAUNCHER=torchrun uses `torchrun --nproc_per_node procs -m engine.distributed`;
    the default spawns the ranks here with the same environment torchrun sets (RANK, WORLD_SIZE,
    LOCAL_RANK, MASTER_ADDR, MASTER_PORT), which also works where torchrun is not installed."""
    import subprocess
    import tempfile
    import threading

    from .reward.train import Cancelled

    os.makedirs(spec.output_dir, exist_ok=True)
    spec_path = os.path.join(spec.output_dir, "spec.json")
    with open(spec_path, "w") as f:
        json.dump(spec.to_json(), f)
    dev = str(device.type if hasattr(device, "type") else device)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if os.environ.get("ENGINE_TRAIN_LAUNCHER") == "torchrun":
        cmds = [(["torchrun", f"--nproc_per_node={procs}", "-m", "engine.distributed", kind, spec_path, dev], env)]
    else:
        port = free_port(os.environ.get("ENGINE_TRAIN_PORT", "0"))
        base = {**env, "WORLD_SIZE": str(procs), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
                "OMP_NUM_THREADS": env.get("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // procs)))}
        cmds = [([sys.executable, "-m", "engine.distributed", kind, spec_path, dev],
                 {**base, "RANK": str(r), "LOCAL_RANK": str(r)}) for r in range(procs)]
    logs = [tempfile.TemporaryFile() for _ in cmds]
    ps = [subprocess.Popen(c, env=e, cwd=root, stdout=subprocess.PIPE if i == 0 else subprocess.DEVNULL,
                           stderr=logs[i], text=True) for i, (c, e) in enumerate(cmds)]
    out: dict = {}

    def read() -> None:
        for line in ps[0].stdout:  # type: ignore[union-attr]
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "report" in msg:
                report(**msg["report"])
            if "result" in msg:
                out["result"] = msg["result"]

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while any(p.poll() is None for p in ps):
            if should_stop():
                raise Cancelled()
            if any(p.poll() not in (None, 0) for p in ps):
                break
            reader.join(0.2)
    finally:
        for p in ps:
            if p.poll() is None:
                p.terminate()
        for p in ps:
            p.wait()
    reader.join(5)
    # The rank that failed first by itself (>0), not one we stopped afterwards (negative: a signal).
    bad = sorted(((i, p.returncode) for i, p in enumerate(ps) if p.returncode != 0), key=lambda b: b[1] < 0)
    if bad or "result" not in out:
        i = bad[0][0] if bad else 0
        logs[i].seek(0)
        tail = logs[i].read().decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"distributed run failed (rank {i}, exit {bad[0][1] if bad else 0}): " + " | ".join(tail))
    return out["result"]


def main(argv: list[str]) -> int:
    """`python -m engine.distributed <kind> <spec.json> [device]` under a launcher."""
    from .jobs import KINDS

    kind, spec_path = argv[0], argv[1]
    d = init_from_env()
    # The jobs ask `engine.distributed.current()`: it must be this process group, not the
    # single-process default of a second copy of this module (see the __main__ block).
    from engine import distributed as imported
    if imported.current() is not d:
        raise RuntimeError("engine.distributed is loaded twice: the jobs would each run alone")
    device = torch.device(argv[2] if len(argv) > 2 else ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        device = torch.device("cuda", d.local_rank)
    with open(spec_path) as f:
        spec = KINDS[kind][0](json.load(f))

    def report(**fields):
        if d.is_main:
            print(json.dumps({"report": fields}), flush=True)

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    try:
        result = KINDS[kind][1](spec, device, report, lambda: False)
        if d.is_main:
            print(json.dumps({"result": result}), flush=True)
        return 0
    finally:
        shutdown()


if __name__ == "__main__":
    # `python -m engine.distributed` runs this file as __main__, a module apart from the
    # `engine.distributed` the jobs import: run main() there, so that the rank and world it sets
    # up are the ones the jobs see (otherwise every rank trained alone on all the data and every
    # rank wrote the artifacts).
    from engine import distributed as _package_module

    sys.exit(_package_module.main(sys.argv[1:]))
