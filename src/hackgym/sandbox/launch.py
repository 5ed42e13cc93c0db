"""How a slot's zygote is started: plainly (`process`) or inside a bubblewrap jail (`jail`)."""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SandboxUnavailable

ZYGOTE = Path(__file__).with_name("zygote.py")
JAIL_PY = "/opt/hg/python"  # the interpreter's prefix inside the jail
JAIL_SITE = "/opt/hg/site"  # pytest and its dependencies only, never the project or datasets
JAIL_ZYGOTE = "/opt/hg/zygote.py"
JAIL_WORKROOT = "/tmp/hg"
SLOT_UID_BASE = 61000  # root runs each slot's jail as its own unprivileged uid, see slot_uid
UIDS_PER_PROCESS = 64
STAGE_DIR = "/run/hackgym-stage"
PYTEST_PACKAGES = ("_pytest", "pytest", "pluggy", "iniconfig", "packaging", "py.py", "pygments")
SCRUBBED_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
                 "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def base_prefix() -> Path:
    """The real interpreter installation (not the venv), which the jail mounts read-only."""
    return Path(os.path.realpath(sys.base_prefix))


def interpreter() -> Path:
    exe = Path(os.path.realpath(sys.executable))
    prefix = base_prefix()
    return exe if exe.is_relative_to(prefix) else prefix / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"


def slot_uid(slot: int) -> int:
    """The uid a root-started slot runs as: one per slot, and a separate block per host process, so that
    RLIMIT_NPROC (counted per uid) never couples slots or two programs grading on the same machine."""
    return SLOT_UID_BASE + (os.getpid() % 1000) * UIDS_PER_PROCESS + slot % UIDS_PER_PROCESS


@functools.lru_cache(maxsize=1)
def pytest_sources() -> tuple[tuple[str, str], ...]:
    """(host path, name) of the packages the zygote needs to pre-import pytest."""
    site = Path(sysconfig.get_paths()["purelib"])
    found = []
    for name in PYTEST_PACKAGES:
        path = site / name
        if path.exists():
            found.append((str(path), name))
    if not any(n == "_pytest" for _, n in found):
        import _pytest

        found.append((str(Path(_pytest.__file__).parent), "_pytest"))
    return tuple(found)


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: dict[str, str]
    in_pid_namespace: bool
    description: str


def process_launch(slot: int, workroot: str, preload_pytest: bool, cpu: int | None = None) -> Launch:
    """rlimits only: the job shares the host's filesystem, network and user. Not isolation."""
    argv = [str(interpreter()), "-I", "-S", "-B", str(ZYGOTE), "--workroot", workroot, "--scratch", workroot]
    if cpu is not None:
        argv += ["--cpu", str(cpu)]
    if preload_pytest:
        site = {str(Path(p).parent) for p, _ in pytest_sources()}
        for s in sorted(site):
            argv += ["--sys-path", s]
        argv += ["--preload", "pytest"]
    return Launch(argv, dict(SCRUBBED_ENV), False, "process (rlimits only, NOT isolation)")


@functools.lru_cache(maxsize=1)
def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if not path:
        raise SandboxUnavailable(
            "the jail sandbox needs bubblewrap: install it (Debian/Ubuntu: apt-get install bubblewrap) "
            "or choose --sandbox process, which is not isolation"
        )
    return path


@functools.lru_cache(maxsize=1)
def bwrap_features() -> frozenset[str]:
    """Options this bubblewrap knows (`--disable-userns` came in 0.8.0, `--size` in 0.6.0)."""
    try:
        text = subprocess.run([bwrap_path(), "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(opt for opt in ("--disable-userns", "--size") if opt in text)


def _hidden_package_dirs() -> list[str]:
    """Jail paths of every site-/dist-packages folder the read-only binds would otherwise show."""
    prefix = base_prefix()
    hidden = []
    candidates = [*Path("/usr/lib").glob("python3*/*-packages"), *Path("/usr/local/lib").glob("python3*/*-packages"),
                  *prefix.glob("lib/python3*/*-packages")]
    for path in candidates:
        if path.is_dir() and not path.is_symlink():
            hidden.append(f"{JAIL_PY}/{path.relative_to(prefix)}" if path.is_relative_to(prefix) else str(path))
    return sorted(set(hidden))


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for f in ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf"):
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    return args


def jail_launch(slot: int, preload_pytest: bool, command: list[str] | None = None,
                cgroup_procs: Sequence[str] = (), tmp_mb: int = 256,
                ro_binds: Sequence[tuple[str, str]] = (), cpu: int | None = None) -> Launch:
    """A bubblewrap jail run by an unprivileged uid with every namespace unshared.

    As root, the launcher first stages the interpreter and pytest under a private mount namespace so that an
    unprivileged uid can reach them (they usually live under a 0700 home), then drops to uid
    SLOT_UID_BASE+slot before starting bwrap, so bwrap never holds capabilities and RLIMIT_NPROC applies.
    `ro_binds` (host path, jail path) are mounted read-only after the package folders are hidden, so a
    command grader's own interpreter sees its packages again; only pools built for such a grader pass any.
    """
    binds: list[tuple[str, str]] = [(str(base_prefix()), JAIL_PY), (str(ZYGOTE), JAIL_ZYGOTE)]
    if preload_pytest:
        binds += [(src, f"{JAIL_SITE}/{name}") for src, name in pytest_sources()]
    py = f"{JAIL_PY}/{interpreter().relative_to(base_prefix())}"
    inner = [py, "-I", "-S", "-B", JAIL_ZYGOTE, "--workroot", JAIL_WORKROOT, "--pidns",
             "--scratch", "/tmp", "--scratch", "/dev/shm"]
    if preload_pytest:
        inner += ["--sys-path", JAIL_SITE, "--preload", "pytest"]
    if cpu is not None:
        inner += ["--cpu", str(cpu)]
    if command is not None:
        inner = [py if c == "{python}" else c for c in command]
    root = os.geteuid() == 0
    features = bwrap_features()
    bw = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
          "--hostname", "jail", "--clearenv"]
    if "--disable-userns" in features:  # no nested user namespaces: the kernel's userns code stays out of reach
        bw += ["--unshare-user", "--disable-userns"]
    for k, v in SCRUBBED_ENV.items():
        bw += ["--setenv", k, v]
    bw += _system_binds()
    size = ["--size", str(tmp_mb << 20)] if "--size" in features else []
    bw += ["--proc", "/proc", "--dev", "/dev", *size, "--tmpfs", "/dev/shm", *size, "--tmpfs", "/tmp",
           "--dir", JAIL_WORKROOT]
    staged = []

    def bind(src: str, dest: str) -> None:
        stage = f"{STAGE_DIR}/{len(staged)}"
        bw.extend(["--ro-bind", stage if root else src, dest])
        staged.append((src, stage, os.path.isdir(src)))

    for src, dest in binds:
        bind(src, dest)
    for hidden in _hidden_package_dirs():  # the interpreter and /usr carry other packages: show none of them
        bw += ["--tmpfs", hidden, "--remount-ro", hidden]
    for src, dest in ro_binds:
        bind(src, dest)
    # bwrap's root and /dev are writable tmpfs: read-only, a job cannot leave files there for the next job
    bw += ["--remount-ro", "/dev", "--remount-ro", "/"]
    bw += ["--chdir", "/tmp", "--"] + inner
    if not root:
        return Launch(bw, dict(SCRUBBED_ENV), True, "jail (bubblewrap, own uid)")
    uid = slot_uid(slot)
    script = ["set -e"]
    # join the slot's cgroups before anything forks, so every process of the slot is counted and killable
    script += [f"echo $$ > {shlex.quote(f)}" for f in cgroup_procs]
    script.append(f"mount -t tmpfs -o mode=0755 hackgym-stage {STAGE_DIR}")
    for src, dest, is_dir in staged:
        script.append(f"{'mkdir' if is_dir else 'touch'} {shlex.quote(dest)}")
        script.append(f"mount --bind {shlex.quote(src)} {shlex.quote(dest)}")
    script.append(
        f"exec setpriv --reuid={uid} --regid={uid} --clear-groups --inh-caps=-all --bounding-set=-all "
        + " ".join(shlex.quote(a) for a in bw)
    )
    os.makedirs(STAGE_DIR, exist_ok=True)
    for tool in ("unshare", "setpriv", "mount"):
        if not shutil.which(tool):
            raise SandboxUnavailable(f"the jail sandbox started as root needs {tool!r} (util-linux)")
    argv = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", "\n".join(script)]
    return Launch(argv, dict(SCRUBBED_ENV), True, f"jail (bubblewrap, uid {uid})")


@functools.lru_cache(maxsize=1)
def jail_problem() -> str | None:
    """None when a jail can start here, else why not (checked once by starting a trivial jail)."""
    try:
        launch = jail_launch(0, preload_pytest=False, command=["{python}", "-I", "-S", "-c", "print(1)"])
    except SandboxUnavailable as exc:
        return str(exc)
    proc = subprocess.run(launch.argv, env=launch.env, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 or proc.stdout.strip() != "1":
        return f"bubblewrap could not start a jail here: {proc.stderr.strip()[-500:]}"
    return None
