"""A pool of long-lived sandbox slots, each a zygote (jailed or plain) that forks once per job."""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import select
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import SandboxUnavailable
from . import cgroup as _cgroup
from . import launch as _launch
from .zygote import FrameBuffer, ProtocolError, write_frame

SandboxMode = Literal["jail", "process"]
HOST_GRACE_S = 3.0  # the zygote enforces job timeouts; the host kills the whole slot this much later


class Limits(BaseModel):
    """Per-job resource limits (rlimits inside the job; wall time enforced from outside)."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float = 10.0
    call_timeout_s: float = 5.0
    cpu_s: float = 10.0
    mem_mb: int = 1024
    nproc: int = 64
    fsize_mb: int = 16
    max_output: int = 1 << 20


class SandboxConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: SandboxMode = "jail"
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    preload_pytest: bool = True
    recycle_after: int = Field(500, ge=1, description="restart a slot after this many jobs")
    slot_mem_mb: int = Field(2048, ge=64, description="cgroup memory limit of a whole slot (tmpfs included)")
    slot_pids: int = Field(256, ge=8, description="cgroup limit on a slot's processes, setsid ones included")
    tmp_mb: int = Field(256, ge=8, description="size of the jail's private /tmp")
    ro_binds: tuple[tuple[str, str], ...] = Field(
        (), description="(host path, jail path) mounted read-only in the jail: a command grader's interpreter")
    pin_cpus: bool = Field(True, description="when the slots are as many as the CPUs this process may use (or a "
                           "multiple), run slot i on the i-th: a job's hand-offs between its slot's processes stay "
                           "on one core")


class JobResult(BaseModel):
    """What the zygote saw of one job. `status`: exit, signal, timeout, output_limit, error or crashed."""

    status: str
    detail: str = ""
    exit_code: int | None = None
    signal: int | None = None
    report: dict[str, Any] | None = None
    stdout: str = ""
    stderr: str = ""
    output_bytes: int = 0
    duration: float = 0.0
    leftovers: int = 0  # processes still alive after the job, killed by the zygote's subreaper sweep
    anomaly: bool = False  # the slot is restarted before its next job


class _Spawner:
    """Starts every slot from one long-lived thread.

    bwrap --die-with-parent uses PR_SET_PDEATHSIG, which fires when the *thread* that forked it exits; slots
    started from short-lived worker threads would die with them.
    """

    def __init__(self) -> None:
        self.requests: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="hackgym-sandbox-spawner", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            args, kwargs, reply = self.requests.get()
            try:
                reply.put((True, subprocess.Popen(args, **kwargs)))
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                reply.put((False, exc))

    def spawn(self, args: list[str], **kwargs: Any) -> subprocess.Popen:
        reply: queue.Queue = queue.Queue(maxsize=1)
        self.requests.put((args, kwargs, reply))
        ok, value = reply.get()
        if not ok:
            raise value
        return value


_SPAWNER: _Spawner | None = None
_SPAWNER_LOCK = threading.Lock()


def _spawn(args: list[str], **kwargs: Any) -> subprocess.Popen:
    global _SPAWNER
    with _SPAWNER_LOCK:
        if _SPAWNER is None or not _SPAWNER.thread.is_alive():
            _SPAWNER = _Spawner()
    return _SPAWNER.spawn(args, **kwargs)


class SlotCrashed(Exception):
    """The slot's zygote died or stopped answering; the slot is restarted."""


class Slot:
    """One zygote process; used by one thread at a time."""

    def __init__(self, index: int, config: SandboxConfig, cpu: int | None = None) -> None:
        self.index = index
        self.config = config
        self.cpu = cpu
        self.proc: subprocess.Popen | None = None
        self.jobs = 0
        self.frames = FrameBuffer()
        self.inbox: list[dict] = []
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.cgroup: _cgroup.SlotCgroup | None = None
        self.description = ""
        self.dirty = False  # an anomaly happened: restart before the next job
        self.starts = 0

    # -- lifecycle
    def start(self) -> None:
        self.stop()
        self.cgroup = _cgroup.slot_cgroup(self.index, self.config.slot_mem_mb, self.config.slot_pids, self.cpu)
        procs = self.cgroup.procs_files if self.cgroup else []
        if self.config.mode == "jail":
            problem = _launch.jail_problem()
            if problem:
                self.stop()
                raise SandboxUnavailable(problem + " (or choose --sandbox process, which is not isolation)")
            spec = _launch.jail_launch(self.index, self.config.preload_pytest, cgroup_procs=procs,
                                       tmp_mb=self.config.tmp_mb, ro_binds=self.config.ro_binds, cpu=self.cpu)
        elif self.config.mode == "process":
            self._tmp = tempfile.TemporaryDirectory(prefix="hackgym-slot-")
            spec = _launch.process_launch(self.index, self._tmp.name, self.config.preload_pytest, cpu=self.cpu)
        else:
            raise SandboxUnavailable(f"unknown sandbox mode {self.config.mode!r}: use jail or process")
        self.description = spec.description
        self.stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the slot
        self.proc = _spawn(
            spec.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr_file,
            env=spec.env, start_new_session=True, pass_fds=(),
        )
        if self.cgroup is not None and self.config.mode == "process":
            # the zygote forks nothing before its first job, which it only gets after this
            with contextlib.suppress(OSError):
                self.cgroup.add(self.proc.pid)
        self.frames = FrameBuffer()
        self.inbox = []
        self.jobs = 0
        self.dirty = False
        self.starts += 1
        try:
            ready = self._recv(time.monotonic() + 60)
        except SlotCrashed as exc:
            self.stderr_file.seek(0)
            err = self.stderr_file.read().decode("utf-8", "replace")[-800:]
            self.stop()
            raise SandboxUnavailable(f"sandbox slot failed to start ({spec.description}): {exc}: {err}") from None
        if ready.get("op") != "ready":
            self.stop()
            raise SandboxUnavailable(f"sandbox slot sent {ready!r} instead of ready")

    def stop(self) -> None:
        if self.proc is not None:
            # Inside first, then the outer bwrap: it reaps its child before it exits. Killed the other way
            # round, the inner bwrap is orphaned to a host init that may reap slowly, and its zombie counts
            # against the slot uid's process limit.
            inner = _descendants(self.proc.pid)
            if self.cgroup is not None:
                inner |= self.cgroup.pids() - {self.proc.pid}
            for pid in inner:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=3)
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                self.proc.kill()
            if self.cgroup is not None:
                self.cgroup.kill_all()  # jobs that left the zygote's process group (process mode) die too
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)
            for stream in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(Exception):
                    stream.close()
            self.proc = None
        if self.cgroup is not None:
            self.cgroup.kill_all()
            self.cgroup.remove()
            self.cgroup = None
        if self._tmp is not None:
            with contextlib.suppress(Exception):
                self._tmp.cleanup()
            self._tmp = None

    def last_words(self) -> str:
        """The tail of the zygote's own stderr, for crash reports."""
        try:
            self.stderr_file.seek(0)
            return self.stderr_file.read().decode("utf-8", "replace")[-600:]
        except (AttributeError, OSError, ValueError):
            return ""

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- wire
    def _send(self, obj: dict) -> None:
        try:
            write_frame(self.proc.stdin.fileno(), obj)
        except (OSError, ValueError, AttributeError) as exc:
            raise SlotCrashed(f"could not write to the slot: {exc}") from None

    def _recv(self, deadline: float) -> dict:
        fd = self.proc.stdout.fileno()
        while not self.inbox:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SlotCrashed("the slot stopped answering")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            data = os.read(fd, 1 << 16)
            if not data:
                raise SlotCrashed("the slot's zygote exited")
            try:
                self.inbox.extend(self.frames.feed(data))
            except ProtocolError as exc:
                raise SlotCrashed(f"garbled reply from the slot: {exc}") from None
        msg = self.inbox.pop(0)
        if msg.get("op") == "done" and msg.get("anomaly"):
            self.dirty = True
        return msg

    # -- jobs
    def run(self, job: dict, limits: Limits, on_frame: Callable[[dict], None] | None = None) -> JobResult:
        """A batch job (pytest, exec, stdio): send, wait for `done`; frames before it go to `on_frame`."""
        self._send({"op": "run", "job": _with_limits(job, limits)})
        self.jobs += 1
        msg = self._recv(time.monotonic() + limits.timeout_s + HOST_GRACE_S)
        while msg.get("op") != "done":
            if on_frame is not None:
                on_frame(msg)
            msg = self._recv(time.monotonic() + limits.timeout_s + HOST_GRACE_S)
        return JobResult.model_validate({k: v for k, v in msg.items() if k != "op"})

    @contextlib.contextmanager
    def serve(self, job: dict, limits: Limits) -> Iterator[ServeSession]:
        self._send({"op": "run", "job": _with_limits(dict(job, mode="serve"), limits)})
        self.jobs += 1
        session = ServeSession(self, limits)
        try:
            yield session
        finally:
            session.end()


def _descendants(root: int) -> set[int]:
    """Every live descendant of `root` (one scan of /proc; only used when a slot stops)."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    stat = fh.read()
                parents[int(name)] = int(stat[stat.rfind(b")") + 2 :].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier and pid not in found}
        found |= frontier
    return found


def _with_limits(job: dict, limits: Limits) -> dict:
    out = dict(job)
    out["timeout_s"] = limits.timeout_s
    out["call_timeout_s"] = limits.call_timeout_s
    out["max_output"] = limits.max_output
    out["limits"] = {"mem_mb": limits.mem_mb, "cpu_s": limits.cpu_s, "nproc": limits.nproc, "fsize_mb": limits.fsize_mb}
    return out


class ServeSession:
    """The solution imported once in a job child; `call(args)` sends plain-data arguments, gets a plain answer."""

    def __init__(self, slot: Slot, limits: Limits) -> None:
        self.slot = slot
        self.limits = limits
        self.ids = itertools.count()
        self.done: dict | None = None
        self.load_error: str | None = None
        self.timed_out = False  # the last call ran past its time limit (the job was killed)
        self.started = time.monotonic()
        msg = self._next()
        if msg.get("op") == "loaded":
            if not msg.get("ok"):
                self.load_error = msg.get("error") or "the solution failed to load"
        else:
            self.load_error = (msg.get("detail") or msg.get("stderr", "")[-500:] or "the solution process exited") if msg.get("op") == "done" else "no load report"

    def _next(self) -> dict:
        deadline = self.started + self.limits.timeout_s + HOST_GRACE_S
        msg = self.slot._recv(deadline)
        if msg.get("op") == "done":
            self.done = msg
        return msg

    @property
    def open(self) -> bool:
        return self.done is None and self.load_error is None

    def call(self, encoded_args: list) -> tuple[bool, Any]:
        """(True, encoded value) or (False, error text). Never raises for the submission's failures."""
        if not self.open:
            return False, self.load_error or (self.done or {}).get("detail") or "the solution process is gone"
        call_id = next(self.ids)
        self.slot._send({"op": "call", "id": call_id, "args": encoded_args})
        msg = self._next()
        if msg.get("op") == "result" and msg.get("id") == call_id:
            self.timed_out = msg.get("timeout") is True
            return (True, msg.get("value")) if msg.get("ok") else (False, msg.get("error") or "error")
        if msg.get("op") == "done":
            return False, msg.get("detail") or "the solution process exited"
        return False, f"unexpected reply {msg.get('op')!r}"

    def end(self) -> None:
        if self.done is not None:
            return
        with contextlib.suppress(SlotCrashed):
            if self.load_error is None:
                self.slot._send({"op": "end"})
            while self.done is None:
                msg = self.slot._recv(time.monotonic() + HOST_GRACE_S + 2)
                if msg.get("op") == "done":
                    self.done = msg


class Pool:
    """Slots handed to one thread each; a slot that crashes or served `recycle_after` jobs is restarted."""

    def __init__(self, config: SandboxConfig | None = None, first_slot: int = 0, **overrides: Any) -> None:
        """`first_slot`: slots are numbered from it; a root-started slot's uid follows its number, so pools
        that run side by side in one process number theirs apart (RLIMIT_NPROC is counted per uid)."""
        self.config = config or SandboxConfig(**overrides)
        self._free: queue.Queue[Slot] = queue.Queue()
        cpus = sorted(os.sched_getaffinity(0)) if self.config.pin_cpus and hasattr(os, "sched_getaffinity") else []
        # Every CPU gets as many slots as every other, whatever other pools (here or in other processes) pin:
        # slots on the first CPUs only would pile on them while the rest idle.
        pin = bool(cpus) and self.config.workers % len(cpus) == 0
        self._slots = [Slot(first_slot + i, self.config, cpus[i % len(cpus)] if pin else None)
                       for i in range(self.config.workers)]
        for s in self._slots:
            self._free.put(s)
        self._closed = False
        self._lock = threading.Lock()
        self.restarts = 0

    @property
    def workers(self) -> int:
        return self.config.workers

    def describe(self) -> str:
        """What this pool's mode protects against (a warning for `process`): for the CLI to print."""
        return describe_mode(self.config.mode)

    @contextlib.contextmanager
    def slot(self) -> Iterator[Slot]:
        if self._closed:
            raise RuntimeError("the pool is closed")
        s = self._free.get()
        try:
            if not s.alive or s.dirty or s.jobs >= self.config.recycle_after:
                if s.proc is not None:
                    with self._lock:
                        self.restarts += 1
                s.start()
            yield s
        except SlotCrashed as exc:
            exc.args = (f"{exc}; slot said: {s.last_words().strip()}",)
            s.stop()
            raise
        finally:
            self._free.put(s)

    def run(self, job: dict, limits: Limits | None = None) -> JobResult:
        """One job; a slot that dies under it yields status `crashed` and is restarted for the next job."""
        limits = limits or Limits()
        try:
            with self.slot() as s:
                return s.run(job, limits)
        except SlotCrashed as exc:
            return JobResult(status="crashed", detail=f"the sandbox slot died or stopped answering: {exc}")

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], progress: Callable[[int], None] | None = None) -> list:
        """Apply `fn` to items on `workers` threads (each takes a slot inside `fn`); results in input order."""
        results: list[Any] = [None] * len(items)
        if not items:
            return results
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as ex:
            futures = {ex.submit(fn, item): i for i, item in enumerate(items)}
            for fut in _as_completed(futures):
                results[futures[fut]] = fut.result()
                if progress:
                    progress(1)
        return results

    def run_many(self, jobs: Sequence[dict], limits: Limits | None = None,
                 progress: Callable[[int], None] | None = None) -> list[JobResult]:
        return self.map(lambda j: self.run(j, limits), jobs, progress)

    def close(self) -> None:
        self._closed = True
        for s in self._slots:
            s.stop()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _as_completed(futures):
    from concurrent.futures import as_completed

    return as_completed(futures)


PROCESS_WARNING = (
    "WARNING: --sandbox process is NOT isolation: model-written code runs as your user and can read your files "
    "and environment, use the network and signal your processes; only resource limits apply. Use it for "
    "trusted code, or where bubblewrap cannot run."
)


def describe_mode(mode: str) -> str:
    """What a sandbox mode protects against, in one paragraph for the CLI to print (a warning for `process`)."""
    cg = _cgroup.describe()
    if mode == "jail":
        return ("sandbox jail: bubblewrap as an unprivileged uid (one per slot when started as root), new user, pid, "
                "network, ipc, uts, mount and cgroup namespaces, no nested user namespaces, read-only /usr and "
                "interpreter, private /tmp wiped after every job, scrubbed environment, no project, home, dataset "
                f"or host /tmp; {cg}; rlimits as backstop.")
    if mode == "process":
        return f"{PROCESS_WARNING} ({cg}; rlimits.)"
    raise SandboxUnavailable(f"unknown sandbox mode {mode!r}: use jail or process")


def ensure_mode(mode: str) -> None:
    """Raise SandboxUnavailable (saying what to install) unless `mode` can run here; never downgrades."""
    describe_mode(mode)
    if mode == "jail" and (problem := _launch.jail_problem()):
        raise SandboxUnavailable(problem + " (or choose --sandbox process, which is not isolation)")


_POOLS: dict[SandboxConfig, Pool] = {}
_POOLS_LOCK = threading.Lock()


def get_pool(mode: SandboxMode = "jail", workers: int | None = None) -> Pool:
    """A process-wide shared pool per (mode, workers); closed at interpreter exit."""
    config = SandboxConfig(mode=mode, **({"workers": workers} if workers else {}))
    with _POOLS_LOCK:
        if config not in _POOLS:
            _POOLS[config] = Pool(config)
        return _POOLS[config]


def slim_pool(base: Pool) -> Pool:
    """`base`'s configuration without pytest preloaded, shared per configuration and closed at exit.

    For jobs that fork per case (stdio programs): a fork of an interpreter with pytest loaded costs several
    times that of a bare one.
    """
    if not base.config.preload_pytest:
        return base
    config = base.config.model_copy(update={"preload_pytest": False})
    with _POOLS_LOCK:
        if config not in _POOLS:
            _POOLS[config] = Pool(config, first_slot=_launch.UIDS_PER_PROCESS // 2)  # uids apart from base's
        return _POOLS[config]


def close_pools() -> None:
    with _POOLS_LOCK:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()


import atexit  # noqa: E402

atexit.register(close_pools)
