"""A pytest job forked from a session server is the job a job child would have been.

A session server (sandbox/zygote.py) runs a job child's pytest.main up to the session's start, once per grader
set-up, and forks each later job from there. The oracle here is the same job run as a plain job child
(`serve: False`): the process a served job's test sees (descriptors and their flags, limits, signal handlers,
modules, the pytest objects gc finds, folder, environment) must be the one a job child's test sees, also right
after a job that did its worst to the descriptors it shared with the server; and what one served job leaves
behind must not reach the next. `tests/test_pytest_prebuilt.py` checks the verdicts on the whole catalogue.
"""

from __future__ import annotations

import json

import pytest

from hackgym.graders import VulnerableGrader, Weakness
from hackgym.sandbox import JobResult, Limits
from hackgym.sandbox.zygote import _session_key
from hackgym.submission import Submission

LIMITS = Limits(timeout_s=8.0, cpu_s=6.0)

PROBE = r'''
import faulthandler, fcntl, gc, hashlib, json, os, re, resource, signal, stat, sys, threading


def _masked(text):
    return re.sub(r"0x[0-9a-f]+|\d+", "N", text)


def probe():
    fds = []
    for name in sorted(os.listdir("/proc/self/fd"), key=int):
        fd = int(name)
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        regular = stat.S_ISREG(st.st_mode)
        fds.append([fd, stat.S_IFMT(st.st_mode), fcntl.fcntl(fd, fcntl.F_GETFL), os.get_inheritable(fd),
                    _masked(os.readlink(f"/proc/self/fd/{fd}")), st.st_size if regular else None,
                    st.st_nlink if regular else None])
    names = {"PytestPluginManager", "CaptureManager", "Config", "Session", "TerminalReporter", "FixtureManager",
             "LoggingPlugin", "Parser"}
    umask = os.umask(0o022)
    os.umask(umask)
    return json.dumps({
        "fds": fds,
        "cwd": os.getcwd(),
        "limits": {n: resource.getrlimit(getattr(resource, n)) for n in dir(resource) if n.startswith("RLIMIT_")},
        "signals": {s: _masked(str(signal.getsignal(s))) for s in range(1, 32) if s not in (9, 19)},
        "argv": sys.argv,
        "path": sys.path,
        "modules": [len(sys.modules), hashlib.sha256(" ".join(sorted(sys.modules)).encode()).hexdigest()],
        "session_leader": os.getsid(0) == os.getpid(),
        "group_leader": os.getpgrp() == os.getpid(),
        "threads": threading.active_count(),
        "faulthandler": faulthandler.is_enabled(),
        "gc_finds": sorted({type(o).__name__ for o in gc.get_objects()} & names),
        "environ": sorted(os.environ),
        "umask": umask,
        "stdout": [type(sys.stdout).__name__, type(sys.__stdout__).__name__],
    })


def entry(*args, **kwargs):
    return probe()
'''

PROBE_TEST = '''
def test_probe(capsys):
    from solution import probe

    text = probe()
    with capsys.disabled():
        print("PROBE" + text, flush=True)
'''

# Does its worst to what it may share with the server, then ends without pytest's own clean-up: output in the
# capture files, flags changed on every descriptor, the capture files grown and moved, a signal handler and an
# environment variable set.
MESSER = r'''
import fcntl, os, signal, sys

print("LEAKED-STDOUT-FROM-AN-EARLIER-JOB")
sys.stderr.write("LEAKED-STDERR-FROM-AN-EARLIER-JOB\n")


def entry(*args, **kwargs):
    print("LEAKED-CALL-OUTPUT")
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK | os.O_APPEND)
            os.write(fd, b"LEAKED-RAW-WRITE\n")
        except OSError:
            pass
    os.environ["LEAKED"] = "1"
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    sys.stdout.flush()
    os._exit(0)
'''


def probe_job(grader: VulnerableGrader, problem, source: str, serve: bool = True) -> dict:
    job, _ = grader.job(problem, Submission(files={"solution.py": source}))
    module = "test_solution.py"
    table = job["files"] if module in job["files"] else job["test_files"]
    table[module] = PROBE_TEST
    job["serve"] = serve
    return job


def run_served(pool, job: dict, tries: int = 8) -> JobResult:
    """Run the job until a session server served it (each slot starts a server the second time it sees a set-up)."""
    for _ in range(tries):
        res = pool.run(job, LIMITS)
        if (res.report or {}).get("served"):
            return res
    raise AssertionError(f"no session server served the job: {res}")


def probed(res: JobResult) -> dict:
    lines = [line for line in res.stdout.splitlines() if line.startswith("PROBE")]
    assert lines, (res.status, res.stdout[-600:], res.stderr[-600:])
    return json.loads(lines[-1][len("PROBE"):])


@pytest.fixture(scope="module")
def problem(basic):
    return next(p for p in basic if p.id == "basic/celsius_to_fahrenheit").model_copy(update={"entry_point": "entry"})


LAYOUTS = [frozenset(), frozenset({Weakness.CONFTEST_PATCH}), frozenset({Weakness.ALWAYS_EQUAL, Weakness.EXIT_ZERO,
                                                                         Weakness.CONFTEST_PATCH})]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda ws: "+".join(sorted(ws)) or "none")
def test_a_served_job_sees_the_process_a_job_child_sees(jail_pool, problem, layout):
    grader = VulnerableGrader(layout, jail_pool, LIMITS)
    fresh = probed(jail_pool.run(probe_job(grader, problem, PROBE, serve=False), LIMITS))
    served = probed(run_served(jail_pool, probe_job(grader, problem, PROBE)))
    assert {k: v for k, v in served.items() if served[k] != fresh[k]} == {}, fresh
    assert "PytestPluginManager" in fresh["gc_finds"] and "CaptureManager" in fresh["gc_finds"]
    # right after a job that changed every descriptor it held and left output in pytest's capture files
    for _ in range(4):
        jail_pool.run(probe_job(grader, problem, MESSER), LIMITS)
        after = run_served(jail_pool, probe_job(grader, problem, PROBE))
        assert probed(after) == fresh
        assert "LEAKED" not in after.stdout + after.stderr


def test_a_served_job_gets_the_verdicts_of_a_job_child(jail_pool, basic):
    """Passing, failing and crashing submissions, each run served and not, under the study's weaknesses."""
    p = next(p for p in basic if p.id == "basic/celsius_to_fahrenheit")
    served = VulnerableGrader(frozenset({Weakness.EXIT_ZERO}), jail_pool, LIMITS)
    plain = VulnerableGrader(frozenset({Weakness.EXIT_ZERO}), jail_pool, LIMITS, session_server=False)
    sources = [p.reference_solution, p.null_solutions[0],
               p.reference_solution + "\nimport os\nos._exit(0)\n",
               "import os, signal\n\ndef celsius_to_fahrenheit(c):\n    os.kill(os.getpid(), signal.SIGKILL)\n"]
    for source in sources * 3:
        sub = Submission(files={"solution.py": source})
        a, b = served.grade(p, sub), plain.grade(p, sub)
        assert (a.status, a.cases_passed, a.cases_total) == (b.status, b.cases_passed, b.cases_total), source


def test_a_job_that_kills_its_server_ends_as_one_that_kills_its_zygote(jail_pool, problem):
    """A served job's parent is its server, a job child's the zygote: killing it crashes the job either way,
    and later jobs are served again."""
    grader = VulnerableGrader(frozenset(), jail_pool, LIMITS)
    killer = "import os, signal\n\ndef entry(*args):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 1\n"
    job, _ = grader.job(problem, Submission(files={"solution.py": killer}))
    assert jail_pool.run({**job, "serve": False}, LIMITS).status == "crashed"
    for _ in range(2):
        run_served(jail_pool, probe_job(grader, problem, PROBE))
        res = jail_pool.run(job, LIMITS)
        assert res.status == "crashed" and res.report is None, res
    assert probed(run_served(jail_pool, probe_job(grader, problem, PROBE)))["threads"] == 1


def test_a_job_that_stops_its_server_ends_as_one_that_stops_its_zygote(jail_pool, problem):
    """Stopping the process that would report how the job ended stalls the slot, whichever it is; the slot is
    restarted, and later jobs are served again."""
    limits = Limits(timeout_s=1.0, cpu_s=1.0)
    grader = VulnerableGrader(frozenset(), jail_pool, limits)
    stopper = "import os, signal\n\ndef entry(*args):\n    os.kill(os.getppid(), signal.SIGSTOP)\n    return 1\n"
    job, _ = grader.job(problem, Submission(files={"solution.py": stopper}))
    plain = jail_pool.run({**job, "serve": False}, limits)
    run_served(jail_pool, probe_job(grader, problem, PROBE))
    for _ in range(2):
        res = jail_pool.run(job, limits)
        assert (res.status, plain.status) == ("crashed", "crashed"), (res, plain)
    run_served(jail_pool, probe_job(grader, problem, PROBE))


def test_only_jobs_that_differ_in_solution_py_and_the_test_module_share_a_server(jail_pool, problem):
    grader = VulnerableGrader(frozenset({Weakness.CONFTEST_PATCH}), jail_pool, LIMITS)
    run_served(jail_pool, probe_job(grader, problem, PROBE))
    for i in range(6):  # another file, new each time: a set-up never seen twice
        job = probe_job(grader, problem, PROBE)
        job["files"]["helper.py"] = f"X = {i}\n"
        res = jail_pool.run(job, LIMITS)
        assert res.status == "exit" and not (res.report or {}).get("served"), res
    job = probe_job(grader, problem, PROBE)
    job["files"]["helper.py"] = "X = 1\n"  # seen before: the set-up gets its own server
    run_served(jail_pool, job)


def test_the_session_key_lets_only_solution_py_and_the_grader_s_test_modules_vary():
    job = {"pytest_args": ["-q", "/w/test_solution.py"], "cwd": "/w", "sys_path": ["/w"], "workdir": "/w",
           "files": {"solution.py": "a", "test_solution.py": "t", "pytest.ini": "[pytest]\n"},
           "test_files": {}, "rewritten": ["/w/test_solution.py"]}
    key = _session_key(job, "/t")
    assert _session_key({**job, "files": {**job["files"], "solution.py": "b", "test_solution.py": "u"}}, "/t") == key
    for other in ({"pytest.ini": "[pytest]\naddopts = -x\n"}, {"conftest.py": ""}, {"setup.py": ""},
                  {"sub/test_x.py": ""}):
        assert _session_key({**job, "files": {**job["files"], **other}}, "/t") != key, other
    assert _session_key({**job, "pytest_args": ["-q", "-x", "/w/test_solution.py"]}, "/t") != key
    assert _session_key({**job, "sys_path": []}, "/t") != key
    # a module pytest would import as a plugin while it parses its arguments is read before the session starts
    assert _session_key({**job, "pytest_args": ["-p", "solution", "/w"]}, "/t") is None
    assert _session_key({**job, "pytest_args": ["-p", "test_solution", "/w"]}, "/t") is None
    assert _session_key({**job, "pytest_args": ["--version"]}, "/t") is None
