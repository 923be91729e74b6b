"""Long-running jobs on the engine: one worker thread, one job at a time, progress as snapshots.

A job's life (the platform's worker mirrors it in its database; lib/shared/jobs.ts):

    queued ──► running ──► succeeded
      │           ├──────► failed      (an error: `error` says what, for a person)
      │           └──────► cancelled   (cancel requested; checked between training steps)
      └──cancel──────────► cancelled

A snapshot is {id, kind, state, progress, phase, eta_seconds, metrics, error, result}. Every
change bumps the job's version and wakes the event streams. The engine keeps jobs in memory only:
after a restart an id is unknown (404 job_not_found) and the platform submits the job again. So
that nothing is lost when an HTTP answer is, each job writes its last snapshot to
`<output_dir>/status.json` (at most once a second, and at every change of state or phase) and,
on success, `<output_dir>/result.json`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch

from . import distributed
from .protocol import ApiError
from .results import as_result, to_json
from .reward.data import DataError
from .reward.spec import parse_train_reward
from .reward.train import Cancelled, downsample, train_reward
from .rlhf.evaluate import run_evaluate
from .rlhf.ppo import parse_ppo, run_ppo
from .rlhf.rejection_sampling import run_rejection_sampling
from .rlhf.sft import run_sft
from .rlhf.spec import parse_evaluate, parse_rejection_sampling, parse_sft

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
STATUS_EVERY_S = 1.0

# kind -> (validate the spec or raise ApiError, run it: (spec, device, report, should_stop) -> result).
# A spec is any object with an `output_dir`; one line per kind.
KINDS: dict[str, tuple[Callable[[Any], Any], Callable[..., dict]]] = {
    "train_reward": (parse_train_reward, train_reward),
    "rejection_sampling": (parse_rejection_sampling, run_rejection_sampling),
    "evaluate": (parse_evaluate, run_evaluate),
    "sft": (parse_sft, run_sft),
    "ppo": (parse_ppo, run_ppo),
}


def write_json_atomic(path: str, payload: Any) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(payload, f, indent=2)
    os.replace(tmp, path)


@dataclass
class Job:
    id: str
    kind: str
    spec: Any  # the kind's spec dataclass (has output_dir)
    state: str = "queued"
    progress: float = 0.0
    phase: Optional[str] = None
    eta_seconds: Optional[float] = None
    metrics: dict = field(default_factory=dict)
    error: Optional[str] = None
    result: Optional[dict] = None
    version: int = 0
    cancel_requested: bool = False
    created: float = field(default_factory=time.time)
    written_at: float = 0.0

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    def snapshot(self) -> dict:
        metrics = dict(self.metrics)
        if "loss_curve" in metrics:
            metrics["loss_curve"] = downsample(metrics["loss_curve"])
        return {"id": self.id, "kind": self.kind, "state": self.state, "progress": round(self.progress, 4),
                "phase": self.phase, "eta_seconds": self.eta_seconds, "metrics": metrics, "error": self.error,
                "result": self.result}


class JobManager:
    def __init__(self, device: torch.device):
        self.device = device
        self.jobs: dict[str, Job] = {}
        self.queue: deque[Job] = deque()
        self.cond = threading.Condition()  # guards every Job field; notified on each change
        self.worker: Optional[threading.Thread] = None
        # Called between micro-batches (with the cancel check): the runtime's JobGate, which makes
        # the job wait while generation is busy (engine/scheduler.py); a no-op without a runtime.
        self.pause_point: Callable[[], None] = lambda: None

    # -- requests ----------------------------------------------------------------------------
    def submit(self, body: Any) -> tuple[bool, dict]:
        """-> (created, snapshot). An id already known returns its snapshot, whatever the body."""
        if not isinstance(body, dict):
            raise ApiError(400, "request body must be a JSON object")
        job_id = body.get("id")
        if not isinstance(job_id, str) or not ID_RE.fullmatch(job_id):
            raise ApiError(400, "'id' must be 1-64 characters of A-Z, a-z, 0-9, _ and -", "id")
        with self.cond:
            if job_id in self.jobs:
                return False, self.jobs[job_id].snapshot()
        kind = body.get("kind")
        if kind not in KINDS:
            raise ApiError(400, f"'kind' must be one of {', '.join(KINDS)}, got {kind!r}", "kind")
        spec = KINDS[kind][0](body.get("spec"))
        check_memory(kind, spec, self.device)  # 400 insufficient_memory with what to change
        try:
            os.makedirs(spec.output_dir, exist_ok=True)
        except OSError as e:
            raise ApiError(400, f"'spec.output_dir' cannot be created: {e}", "spec.output_dir") from None
        with self.cond:
            if job_id in self.jobs:  # lost a race with the same id
                return False, self.jobs[job_id].snapshot()
            job = Job(job_id, kind, spec)
            self.jobs[job_id] = job
            self.queue.append(job)
            self._changed(job, force_write=True)
            if self.worker is None:
                self.worker = threading.Thread(target=self._work, name="engine-jobs", daemon=True)
                self.worker.start()
            return True, job.snapshot()

    def get(self, job_id: str) -> Job:
        with self.cond:
            job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"no job {job_id!r} on this engine (jobs do not survive a restart: submit it again)",
                           "id", code="job_not_found")
        return job

    def snapshot(self, job_id: str) -> dict:
        job = self.get(job_id)
        with self.cond:
            return job.snapshot()

    def cancel(self, job_id: str) -> dict:
        job = self.get(job_id)
        with self.cond:
            if job.state == "queued":
                self.queue.remove(job)
                job.state, job.phase, job.eta_seconds = "cancelled", None, None
                self._changed(job, force_write=True)
            elif job.state == "running":
                job.cancel_requested = True  # the loop stops at its next check
            return job.snapshot()

    def wait(self, job: Job, since: int, timeout: float) -> tuple[dict, int, bool]:
        """Block until the job's version differs from `since` (or `timeout`): (snapshot, version, terminal)."""
        with self.cond:
            self.cond.wait_for(lambda: job.version != since, timeout)
            return job.snapshot(), job.version, job.terminal

    # -- the worker --------------------------------------------------------------------------
    def _changed(self, job: Job, force_write: bool = False) -> None:
        """Caller holds self.cond."""
        job.version += 1
        self.cond.notify_all()
        now = time.time()
        if force_write or now - job.written_at >= STATUS_EVERY_S:
            job.written_at = now
            try:
                write_json_atomic(os.path.join(job.spec.output_dir, "status.json"),
                                  {**job.snapshot(), "updated_at": now})
            except OSError as e:  # a full disk must not kill the job's bookkeeping
                print(f"engine: job {job.id}: cannot write status.json: {e}", file=sys.stderr)

    def _report(self, job: Job, **fields: Any) -> None:
        with self.cond:
            phase_changed = "phase" in fields and fields["phase"] != job.phase
            for k, v in fields.items():
                setattr(job, k, v)
            self._changed(job, force_write=phase_changed)

    def _work(self) -> None:
        while True:
            with self.cond:
                self.cond.wait_for(lambda: bool(self.queue))
                job = self.queue.popleft()
                job.state = "running"
                self._changed(job, force_write=True)
            self._run(job)

    def _should_stop(self, job: Job) -> bool:
        self.pause_point()  # yield the device to generation between micro-batches
        return job.cancel_requested

    def _run(self, job: Job) -> None:
        run = KINDS[job.kind][1]
        procs = distributed.train_procs()
        if procs > 1 and job.kind in distributed.DISTRIBUTED_KINDS:  # ENGINE_TRAIN_PROCS: one process per device
            def run(spec, device, report, should_stop, kind=job.kind):
                return distributed.launch(kind, spec, procs, device, report, should_stop)
        try:
            result = run(job.spec, self.device, lambda **f: self._report(job, **f), lambda: self._should_stop(job))
            result = to_json(as_result(job.kind, result))  # engine/results.py: one dataclass per kind
            write_json_atomic(os.path.join(job.spec.output_dir, "result.json"), result)
        except Cancelled:
            final: dict[str, Any] = {"state": "cancelled", "eta_seconds": None}
        except BaseException as e:  # out of memory fails this job with its reason; the engine stays up
            if not is_out_of_memory(e):
                if isinstance(e, (DataError, ValueError, OSError)):
                    final = {"state": "failed", "eta_seconds": None, "error": str(e) if isinstance(e, DataError)
                             else f"{type(e).__name__}: {e}"}
                elif isinstance(e, Exception):  # a bug fails this job, never the worker
                    traceback.print_exc()
                    final = {"state": "failed", "eta_seconds": None,
                             "error": f"internal error: {type(e).__name__}: {e}"}
                else:
                    raise
            else:
                final = {"state": "failed", "eta_seconds": None, "error": oom_message(job, e)}
        else:
            final = {"state": "succeeded", "progress": 1.0, "phase": None, "eta_seconds": 0.0, "result": result}
        finally:
            if self.device.type == "cuda":  # every kind trains or samples: give the memory back
                torch.cuda.empty_cache()
        with self.cond:
            for k, v in final.items():
                setattr(job, k, v)
            self._changed(job, force_write=True)


def check_memory(kind: str, spec: Any, device: torch.device) -> None:
    """Refuse (400 insufficient_memory) a job whose memory plan does not fit the device."""
    from .memory_plan import plan_for_job

    p = plan_for_job(kind, spec, device)
    if p is not None and not p.fits:
        raise ApiError(400, f"{kind}: {p.message}", "spec.method", code="insufficient_memory")


def is_out_of_memory(e: BaseException) -> bool:
    oom = getattr(torch.cuda, "OutOfMemoryError", None)  # torch >= 1.13
    if isinstance(e, MemoryError) or (oom is not None and isinstance(e, oom)):
        return True
    return isinstance(e, RuntimeError) and "out of memory" in str(e).lower()


def oom_message(job: Job, e: BaseException) -> str:
    import gc

    gc.collect()
    detail = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
    return (f"out of memory during {job.phase or 'the job'} ({detail}): use method lora, a smaller batch, "
            "gradient checkpointing or a shorter max_seq_len (POST /v1/jobs/plan estimates the peak)")


_attach_lock = threading.Lock()


def job_manager(runtime) -> JobManager:
    """The runtime's job manager, created on first use."""
    with _attach_lock:
        if getattr(runtime, "jobs", None) is None:
            runtime.jobs = JobManager(runtime.device)
            gate = getattr(runtime, "gate", None)
            if gate is not None:
                runtime.jobs.pause_point = gate.pause_point
        return runtime.jobs
