"""Per-slot memory and process-count limits with cgroups (v1 controllers or the v2 unified tree).

rlimits alone are weak: RLIMIT_AS counts address space rather than memory, files on the jail's tmpfs count
against nothing, and RLIMIT_NPROC counts a uid's processes system-wide. A cgroup bounds what a whole slot
(zygote, job and every descendant, setsid or not) may hold, and lets the host kill all of it at once. A
pinned slot also gets a cpuset of its one CPU where the cpuset controller is there: a job can then move
neither itself nor what it forks onto another slot's CPU (`sched_setaffinity` alone would let it).
Creating cgroups needs root here; without it the slot runs on rlimits alone and `describe()` says so.
Slot cgroups are made below the cgroup the host process already runs in, so outer limits still apply.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids")
OPTIONAL = ("cpuset",)  # used where present: a slot without it is only pinned by affinity
_COUNTER = itertools.count()
LAST_ERROR = ""  # why the last slot cgroup could not be made, for describe()


def _own_paths(proc_cgroup: str) -> dict[str, str]:
    """controller (or "" for the v2 tree) -> this process's cgroup path, from /proc/self/cgroup."""
    out: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, names, path = parts
        for name in names.split(",") if names else [""]:
            out[name] = path
    return out


@dataclass(frozen=True)
class Layout:
    """Where slot cgroups go: one parent folder per controller, and whether it is the v2 tree."""

    version: int
    parents: dict[str, Path] = field(default_factory=dict)

    def describe(self) -> str:
        return f"cgroup v{self.version} ({'+'.join(sorted(self.parents))})"


def detect(root: Path = CGROUP_ROOT, proc_cgroup: str | None = None, euid: int | None = None) -> Layout | str:
    """The usable layout, or a reason why slot cgroups are not available here."""
    euid = os.geteuid() if euid is None else euid
    if euid != 0:
        return "cgroup limits need root here (slots run on rlimits only)"
    if proc_cgroup is None:
        try:
            proc_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            return "no /proc/self/cgroup"
    own = _own_paths(proc_cgroup)
    if (root / "cgroup.controllers").exists():  # pure v2
        available = set((root / "cgroup.controllers").read_text().split())
        if not set(CONTROLLERS) <= available:
            return f"cgroup v2 lacks {sorted(set(CONTROLLERS) - available)}"
        base = root / own.get("", "/").lstrip("/")
        return Layout(2, {"": base})
    parents = {}
    for ctrl in CONTROLLERS:
        mount = root / ctrl
        if not (mount / "cgroup.procs").exists():
            return f"no cgroup v1 {ctrl} controller at {mount}"
        parents[ctrl] = mount / own.get(ctrl, "/").lstrip("/")
    if not all(os.access(p, os.W_OK) for p in parents.values()):
        return "cgroup folders are not writable"
    for ctrl in OPTIONAL:
        folder = root / ctrl / own.get(ctrl, "/").lstrip("/")
        if (root / ctrl / "cgroup.procs").exists() and os.access(folder, os.W_OK):
            parents[ctrl] = folder
    return Layout(1, parents)


@functools.lru_cache(maxsize=1)
def host_layout() -> Layout | str:
    return detect()


def _write(path: Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


class SlotCgroup:
    """One slot's cgroup(s): created with limits, joined by the slot's first process, killed and removed."""

    def __init__(self, layout: Layout, name: str, mem_mb: int, pids: int, cpu: int | None = None) -> None:
        self.layout = layout
        self.dirs: list[Path] = []
        self.cpu: int | None = None  # the CPU its cpuset holds it to, when it has one
        try:
            if layout.version == 2:
                self._make_v2(layout.parents[""], name, mem_mb, pids)
                if cpu is not None:
                    self._cpuset_v2(cpu)
            else:
                mem = layout.parents["memory"] / name
                mem.mkdir()
                self.dirs.append(mem)
                _write(mem / "memory.limit_in_bytes", str(mem_mb << 20))
                with contextlib.suppress(OSError):  # only with swap accounting
                    _write(mem / "memory.memsw.limit_in_bytes", str(mem_mb << 20))
                pid_dir = layout.parents["pids"] / name
                pid_dir.mkdir()
                self.dirs.append(pid_dir)
                _write(pid_dir / "pids.max", str(pids))
                if cpu is not None and "cpuset" in layout.parents:
                    self._cpuset_v1(layout.parents["cpuset"], name, cpu)
        except OSError:
            self.remove()
            raise

    def _cpuset_v1(self, parent: Path, name: str, cpu: int) -> None:
        d = parent / name
        try:
            d.mkdir()
        except OSError:
            return
        try:
            _write(d / "cpuset.cpus", str(cpu))
            _write(d / "cpuset.mems", (parent / "cpuset.mems").read_text().strip())  # needed before any task
        except OSError:
            with contextlib.suppress(OSError):
                d.rmdir()
            return
        self.dirs.append(d)
        self.cpu = cpu

    def _cpuset_v2(self, cpu: int) -> None:
        d = self.dirs[0]
        with contextlib.suppress(OSError):
            for holder in (d.parent.parent, d.parent):
                if "cpuset" not in (holder / "cgroup.subtree_control").read_text().split():
                    _write(holder / "cgroup.subtree_control", "+cpuset")
            _write(d / "cpuset.cpus", str(cpu))
            self.cpu = cpu

    def _make_v2(self, parent: Path, name: str, mem_mb: int, pids: int) -> None:
        # v2 forbids controllers in a cgroup that holds processes (ours does unless it is the root), so the
        # slots live in a process-free "hackgym" folder, under ours if that works, else under the root.
        for base in dict.fromkeys((parent, CGROUP_ROOT)):
            holder = base / f"hackgym-{os.getpid()}"
            try:
                holder.mkdir(exist_ok=True)
                _write(base / "cgroup.subtree_control", "+memory +pids")
                _write(holder / "cgroup.subtree_control", "+memory +pids")
                break
            except OSError:
                with contextlib.suppress(OSError):
                    holder.rmdir()
        else:
            raise OSError("cannot enable memory and pids controllers in the cgroup v2 tree")
        d = holder / name
        d.mkdir()
        self.dirs.append(d)
        _write(d / "memory.max", str(mem_mb << 20))
        with contextlib.suppress(OSError):
            _write(d / "memory.swap.max", "0")
        _write(d / "pids.max", str(pids))

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def add(self, pid: int) -> None:
        for f in self.procs_files:
            _write(Path(f), str(pid))

    def pids(self) -> set[int]:
        out: set[int] = set()
        for f in self.procs_files:
            with contextlib.suppress(OSError, ValueError):
                out.update(int(x) for x in Path(f).read_text().split())
        return out

    def peak_memory_hits(self) -> int:
        """How often the memory limit was hit (v1 failcnt, v2 events max); for reports and tests."""
        for d in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                if (d / "memory.failcnt").exists():
                    return int((d / "memory.failcnt").read_text())
                if (d / "memory.events").exists():
                    for line in (d / "memory.events").read_text().splitlines():
                        key, _, val = line.partition(" ")
                        if key == "max":
                            return int(val)
        return 0

    def kill_all(self, wait_s: float = 2.0) -> None:
        """SIGKILL everything in the slot, setsid descendants included."""
        for d in self.dirs:
            if (d / "cgroup.kill").exists():
                with contextlib.suppress(OSError):
                    _write(d / "cgroup.kill", "1")
        deadline = time.monotonic() + wait_s
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def remove(self) -> None:
        for d in reversed(self.dirs):
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
            if self.layout.version == 2:
                with contextlib.suppress(OSError):  # the shared holder, once its last slot is gone
                    d.parent.rmdir()
        self.dirs = []


def _owner_alive(name: str) -> bool:
    try:
        os.kill(int(name.split("-")[1]), 0)
    except (IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass
    return True


_SWEPT = False


def _sweep_stale(layout: Layout) -> None:
    """Remove empty slot cgroups left by host processes that died without closing their pools (once)."""
    global _SWEPT
    if _SWEPT:
        return
    _SWEPT = True
    for parent in layout.parents.values():
        with contextlib.suppress(OSError):
            for d in parent.glob("hackgym-*"):
                if d.is_dir() and not _owner_alive(d.name):
                    for sub in d.glob("hackgym-*"):  # v2 holder folders
                        with contextlib.suppress(OSError):
                            sub.rmdir()
                    with contextlib.suppress(OSError):
                        d.rmdir()


def slot_cgroup(slot: int, mem_mb: int, pids: int, cpu: int | None = None) -> SlotCgroup | None:
    """A fresh cgroup for one slot start (held to `cpu` where cpusets are there), or None where cgroups are not
    available (see `host_layout`)."""
    layout = host_layout()
    if isinstance(layout, str):
        return None
    _sweep_stale(layout)
    name = f"hackgym-{os.getpid()}-{slot}-{next(_COUNTER)}"
    try:
        return SlotCgroup(layout, name, mem_mb, pids, cpu)
    except OSError as exc:
        global LAST_ERROR
        LAST_ERROR = f"could not create a slot cgroup: {exc}"
        return None


def describe() -> str:
    """One line on which cgroup limits slots get here."""
    layout = host_layout()
    if isinstance(layout, str):
        return f"no cgroup limits: {layout}"
    if LAST_ERROR:
        return f"no cgroup limits: {LAST_ERROR}"
    cpus = ", a cpuset of its CPU where pinned" if "cpuset" in layout.parents or layout.version == 2 else ""
    return f"memory and process-count limits per slot{cpus} ({layout.describe()})"
