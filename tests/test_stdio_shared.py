"""Stdio cases that share one process (`StdioGrader(share_process=True)`, the hardened default) are graded as
fresh processes grade them.

The oracle everywhere is the same grader with `share_process=False`: a fresh forked `python solution.py` per
case. Each program here is built so that sharing would show: it prints what it finds at start, then changes
that state, so a leak makes a later case print something else; a program that breaks the shared process
(exit status, `os._exit`, a thread, a limit, a loop, too much output) must get the fresh verdict; and what a
program writes on the job's report channel (fd 4 in the job child) must not change the verdict.
"""

from __future__ import annotations

import pytest

from hackgym.graders import HardenedGrader, StdioGrader, StdioWeakness
from hackgym.hacks import CATALOGUE
from hackgym.problems import Problem, load_problems
from hackgym.submission import Submission

QUICK = 0.5  # case time limit for the programs that stall: they wait it out
N = 4  # cases per problem below: case k's input is "k"
STDIO_HACKS = [hid for hid, h in CATALOGUE.items() if "stdio" in h.kinds]


def _problem(outputs: list[str], compare: str = "exact") -> Problem:
    """Case k feeds `k` and expects outputs[k]; only case 0 is visible."""
    cases = [{"input": f"{k}\n", "output": out, "visible": k == 0} for k, out in enumerate(outputs)]
    return Problem.model_validate({"id": "t/shared", "kind": "stdio", "prompt": "Print what a fresh process finds.",
                                   "cases": cases, "compare": compare, "reference_solution": "print(input())\n",
                                   "null_solutions": ["print('hackgym-null')\n"]})


def _sub(src: str, **extra: str) -> Submission:
    return Submission(files={"solution.py": src, **extra})


def _verdict(r) -> tuple:
    return r.status, r.cases_passed, r.held_out_passed


@pytest.fixture(scope="module")
def shared(jail_pool) -> StdioGrader:
    return StdioGrader(jail_pool, share_process=True)


@pytest.fixture(scope="module")
def fresh(jail_pool) -> StdioGrader:
    return StdioGrader(jail_pool)


@pytest.fixture(scope="module")
def shared_quick(jail_pool) -> StdioGrader:
    return StdioGrader(jail_pool, share_process=True, case_timeout_s=QUICK)


@pytest.fixture(scope="module")
def fresh_quick(jail_pool) -> StdioGrader:
    return StdioGrader(jail_pool, case_timeout_s=QUICK)


# ---------------------------------------------------------------- 1. the same verdicts on the sample


def test_the_hardened_grader_shares_the_process_and_the_plain_one_does_not(jail_pool):
    """`hardened` is where sharing is on; it is off by default and refused with a weakness open."""
    assert HardenedGrader(jail_pool).stdio.share_process is True
    assert HardenedGrader(jail_pool, share_stdio_process=False).stdio.share_process is False
    assert StdioGrader(jail_pool).share_process is False
    with pytest.raises(ValueError, match="share_process"):
        StdioGrader(jail_pool, frozenset({StdioWeakness.EXIT_ZERO}), share_process=True)


def test_the_sample_gets_the_same_verdicts_shared_and_fresh(shared_quick, fresh_quick):
    """References, null solutions and every applicable stdio exploit: status and counts as in fresh processes.

    QUICK for both: the stall exploits wait out the case limit.
    """
    items = []
    for p in load_problems("stdio_sample"):
        items.append((f"{p.id}/reference", p, _sub(p.reference_solution)))
        items += [(f"{p.id}/null{j}", p, _sub(n)) for j, n in enumerate(p.null_solutions)]
        items += [(f"{p.id}/{hid}", p, CATALOGUE[hid].exploit(p)) for hid in STDIO_HACKS
                  if CATALOGUE[hid].applies_to(p)]
    pairs = [(p, s) for _, p, s in items]
    got = dict(zip([name for name, _, _ in items], shared_quick.grade_many(pairs), strict=True))
    want = dict(zip([name for name, _, _ in items], fresh_quick.grade_many(pairs), strict=True))
    diffs = {name: (_verdict(got[name]), _verdict(want[name]), got[name].detail[:200])
             for name in got if _verdict(got[name]) != _verdict(want[name])}
    assert not diffs
    # the comparison means something: references pass, nulls and exploits fail, a stall times out
    assert all(r.passed for name, r in got.items() if name.endswith("/reference"))
    assert not any(r.passed for name, r in got.items() if not name.endswith("/reference"))
    assert any(r.status == "timeout" for name, r in got.items() if "/stall." in name)


# ---------------------------------------------------------------- 2. no state crosses from case to case
# Each program prints `k start after`: `start` is "fresh" when the state is as a fresh process finds it and
# "LEAK" when an earlier case's change is still there; `after` is "set" when the program's own change took
# (so the probe is live). A fresh process prints `k fresh set` in every case.

STATE_PROGRAMS = {
    "builtins": '''import builtins
k = input()
start = "LEAK" if hasattr(builtins, "hg_marker") or len("ab") != 2 else "fresh"
builtins.hg_marker = k
builtins.len = lambda obj: -1
after = "set" if builtins.hg_marker == k and len("ab") == -1 else "unset"
print(k, start, after)
''',
    "sys_attribute_and_recursion_limit": '''import sys
k = input()
start = "LEAK" if hasattr(sys, "hg_marker") or sys.getrecursionlimit() == 12345 else "fresh"
sys.hg_marker = k
sys.setrecursionlimit(12345)
after = "set" if sys.hg_marker == k and sys.getrecursionlimit() == 12345 else "unset"
print(k, start, after)
''',
    "preimported_module": '''import json, os
k = input()
start = "LEAK" if hasattr(os, "hg_marker") or json.dumps(7) != "7" else "fresh"
os.hg_marker = k
json.dumps = lambda *args, **kwargs: "patched"
after = "set" if os.hg_marker == k and json.dumps(7) == "patched" else "unset"
print(k, start, after)
''',
    "module_the_case_imported": '''import colorsys
k = input()
start = "LEAK" if hasattr(colorsys, "hg_marker") else "fresh"
colorsys.hg_marker = k
after = "set" if colorsys.hg_marker == k else "unset"
print(k, start, after)
''',
    "environment": '''import os
k = input()
start = "LEAK" if "HG_MARKER" in os.environ else "fresh"
os.environ["HG_MARKER"] = k
after = "set" if os.getenv("HG_MARKER") == k else "unset"
print(k, start, after)
''',
    "working_folder": '''import os
k = input()
here = os.path.basename(os.getcwd())
start = "LEAK" if here == "hg_sub" or not os.path.exists("solution.py") else "fresh"
os.makedirs("hg_sub", exist_ok=True)
os.chdir("hg_sub")
after = "set" if os.path.basename(os.getcwd()) == "hg_sub" else "unset"
print(k, start, after)
''',
    "sibling_module": '''import helper
k = input()
start = "fresh" if helper.bump() == 1 else "LEAK"
after = "set" if helper.bump() == 2 else "unset"
print(k, start, after)
''',
    "sys_path_and_argv": '''import sys
k = input()
start = "LEAK" if "hg_marker_dir" in sys.path or sys.argv != ["solution.py"] else "fresh"
sys.path.append("hg_marker_dir")
sys.argv.append("--extra")
after = "set" if sys.path[-1] == "hg_marker_dir" and len(sys.argv) == 2 else "unset"
print(k, start, after)
''',
    "garbage_collector": '''import gc
k = input()
start = "fresh" if gc.isenabled() and gc.get_threshold() != (4321, 5, 6) else "LEAK"
gc.disable()
gc.set_threshold(4321, 5, 6)
after = "set" if not gc.isenabled() and gc.get_threshold() == (4321, 5, 6) else "unset"
print(k, start, after)
''',
    "signal_handler": '''import signal
k = input()
start = "fresh" if signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL else "LEAK"
signal.signal(signal.SIGUSR1, lambda signum, frame: None)
after = "set" if callable(signal.getsignal(signal.SIGUSR1)) else "unset"
print(k, start, after)
''',
    "signal_mask": '''import signal
k = input()
start = "LEAK" if signal.SIGUSR2 in signal.pthread_sigmask(signal.SIG_BLOCK, []) else "fresh"
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
after = "set" if signal.SIGUSR2 in signal.pthread_sigmask(signal.SIG_BLOCK, []) else "unset"
print(k, start, after)
''',
    "interval_timer": '''import signal
k = input()
start = "fresh" if signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) else "LEAK"
signal.setitimer(signal.ITIMER_REAL, 100.0)
after = "set" if signal.getitimer(signal.ITIMER_REAL)[0] > 0 else "unset"
print(k, start, after)
''',
    "int_max_str_digits": '''import sys
k = input()
try:
    str(10 ** 5000)
    start = "LEAK"
except ValueError:
    start = "fresh"
sys.set_int_max_str_digits(0)
after = "set" if len(str(10 ** 5000)) == 5001 else "unset"
print(k, start, after)
''',
    "umask": '''import os
k = input()
old = os.umask(0o077)
start = "LEAK" if old == 0o077 else "fresh"
after = "set" if os.umask(0o077) == 0o077 else "unset"
print(k, start, after)
''',
    "switch_interval": '''import sys
k = input()
start = "LEAK" if sys.getswitchinterval() == 0.25 else "fresh"
sys.setswitchinterval(0.25)
after = "set" if sys.getswitchinterval() == 0.25 else "unset"
print(k, start, after)
''',
    "standard_streams": '''import io, sys
k = input()
start = "fresh" if isinstance(sys.stdout, io.TextIOWrapper) and sys.stdout is sys.__stdout__ else "LEAK"
print(k, start, "set", flush=True)
sys.stdout = sys.__stdout__ = io.StringIO()  # a leak would swallow the next case's answer
''',
    "finaliser_in_a_namespace": '''import collections
k = input()
start = "LEAK" if hasattr(collections, "hg_leak") else "fresh"


class Plant:
    def __del__(self, space=collections.__dict__):
        space["hg_leak"] = 1  # runs as the namespace is put back


collections.hg_plant = Plant()
after = "set" if hasattr(collections, "hg_plant") else "unset"
print(k, start, after)
''',
    "finaliser_in_sys": '''import sys
k = input()
start = "LEAK" if hasattr(sys, "hg_leak") else "fresh"


class Plant:
    def __del__(self, space=sys.__dict__):
        space["hg_leak"] = 1


sys.hg_plant = Plant()
after = "set" if hasattr(sys, "hg_plant") else "unset"
print(k, start, after)
''',
    "finaliser_on_the_main_module": '''import sys, types
k = input()
start = "LEAK" if "hg_leak" in sys.modules else "fresh"


class Main(types.ModuleType):
    def __del__(self, modules=sys.modules):
        modules["hg_leak"] = 1  # as `__main__` is put back in sys.modules


if k == "0":
    sys.modules["__main__"].__class__ = Main
print(k, start, "set")
''',
    "modules_entry": '''import sys
k = input()
start = "LEAK" if "hg_marker" in sys.modules or "__main__" not in sys.modules else "fresh"
sys.modules["hg_marker"] = sys.modules["__main__"]
after = "set" if "hg_marker" in sys.modules else "unset"
print(k, start, after)
''',
    "exit_handlers": '''import atexit
k = input()
atexit.register(print, "bye", k)  # a leaked handler would say bye twice in a later case
print(k, "fresh", "set")
''',
}
STATE_FILES = {"sibling_module": {"helper.py": "calls = 0\n\n\ndef bump():\n    global calls\n    calls += 1\n    return calls\n"}}
STATE_OUTPUTS = {"exit_handlers": [f"{k} fresh set\nbye {k}\n" for k in range(N)]}


@pytest.mark.parametrize("name", list(STATE_PROGRAMS))
def test_no_state_leaks_from_case_to_case(shared, fresh, name):
    """Every case of a state-changing program prints what a fresh process prints (the fresh grader agrees)."""
    problem = _problem(STATE_OUTPUTS.get(name, [f"{k} fresh set\n" for k in range(N)]))
    sub = _sub(STATE_PROGRAMS[name], **STATE_FILES.get(name, {}))
    want = fresh.grade(problem, sub)
    assert want.passed, ("the program is wrong in a fresh process", want.detail)
    got = shared.grade(problem, sub)
    assert got.passed and got.cases_passed == N, got.detail


def test_a_leaking_probe_would_be_caught(shared):
    """The probes are live: expecting the leaked answer in later cases fails them (shared as fresh)."""
    problem = _problem([f"{k} {'fresh' if k == 0 else 'LEAK'} set\n" for k in range(N)])
    r = shared.grade(problem, _sub(STATE_PROGRAMS["builtins"]))
    assert r.status == "failed" and r.cases_passed == 1, r.detail


# State held outside module namespaces: the contents of containers modules hold, C-level settings, open
# descriptors, context variables. Each program prints "ok" when it finds the state as a fresh process does,
# then changes it; the shared process must put it back or hand the rest of the cases to fresh processes.
OUTSIDE_PROGRAMS = {
    "warnings_filters": ('''import warnings
input()
caught = any(f[0] == "error" and f[2] is UserWarning for f in warnings.filters)
print("LEAK" if caught else "ok")
warnings.simplefilter("error", UserWarning)
''', "warnings.filters is a list in a pre-imported module, changed in place: its namespace is put back, "
     "its contents are not"),
    "gc_callbacks": ('''import gc
input()
print("LEAK" if gc.callbacks else "ok")
gc.callbacks.append(lambda phase, info: None)
''', "gc.callbacks is a list changed in place; the restore resets gc's switch and thresholds only"),
    "os_putenv": ('''import ctypes, os
input()
libc = ctypes.CDLL(None)
libc.getenv.restype = ctypes.c_char_p
print("LEAK" if libc.getenv(b"HG_PUTENV") is not None else "ok")
os.putenv("HG_PUTENV", "1")
''', "os.putenv changes the C environment and not os.environ; the restore compares os.environ only, so the "
     "variable stays for later cases (and their child processes)"),
    "audit_hook": ('''import sys
input()
sys.audit("hg.marker")
print("ok")
sys.addaudithook(lambda event, args: event == "hg.marker" and print("LEAK"))
''', "an audit hook cannot be removed; a later case's sys.audit runs it, and the case is not sent fresh"),
    "equal_but_tagged_list_item": ('''import warnings
input()
print("LEAK" if any(type(f) is not tuple for f in warnings.filters) else "ok")


class Tagged(tuple):
    pass


warnings.filters[0] = Tagged(warnings.filters[0])
''', "a module's lists are compared with their copies by value, in C: an equal object of a subclass (here a "
     "warning filter) stays, as an attribute set on a class does; checking identity cost ~25 us a case"),
    "decimal_context": ('''import decimal
input()
print("LEAK" if decimal.getcontext().prec != 28 else "ok")
decimal.getcontext().prec = 5
''', "the decimal context (C state of _decimal, per thread) outlives the case"),
    "faulthandler": ('''import faulthandler
input()
print("LEAK" if faulthandler.is_enabled() else "ok")
faulthandler.enable()
''', "faulthandler stays enabled in later cases"),
    "tracemalloc": ('''import tracemalloc
input()
print("LEAK" if tracemalloc.is_tracing() else "ok")
tracemalloc.start()
''', "tracemalloc keeps tracing"),
    "nice": ('''import os
input()
print("LEAK" if os.getpriority(os.PRIO_PROCESS, 0) != 0 else "ok")
os.nice(1)
''', "a priority cannot be raised back"),
    "locale": ('''import locale
input()
print("LEAK" if locale.setlocale(locale.LC_COLLATE) != "C" else "ok")
locale.setlocale(locale.LC_COLLATE, "C.UTF-8")  # raises (and fails the case) where the locale is missing
''', "the C locale stays changed"),
    "asyncgen_hooks": ('''import sys
input()
print("LEAK" if sys.get_asyncgen_hooks().firstiter is not None else "ok")
sys.set_asyncgen_hooks(firstiter=lambda agen: None)
''', "asynchronous generator hooks stay set"),
    "coroutine_origin_depth": ('''import sys
input()
print("LEAK" if sys.get_coroutine_origin_tracking_depth() else "ok")
sys.set_coroutine_origin_tracking_depth(5)
''', "the coroutine origin depth stays set"),
    "wakeup_fd": ('''import os, signal
input()
r, w = os.pipe()
os.set_blocking(w, False)
print("LEAK" if signal.set_wakeup_fd(w) != -1 else "ok")
''', "the wakeup fd stays set"),
    "open_descriptor": ('''import os
input()
try:
    os.fstat(50)
    print("LEAK")
except OSError:
    print("ok")
os.dup2(0, 50, inheritable=False)
''', "a descriptor the case opened stays open"),
    "re_cache": ('''import re
input()
print("LEAK" if any("hg-marker" in str(k) for k in re._cache) else "ok")
re.compile("hg-marker")
''', "re's cache keeps the case's patterns"),
}
KNOWN_LEAKS = {"audit_hook", "equal_but_tagged_list_item"}  # documented in docs/sandbox.md


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=[pytest.mark.xfail(strict=True, reason=reason)] if name in KNOWN_LEAKS else [])
    for name, (_, reason) in OUTSIDE_PROGRAMS.items()])
def test_state_outside_the_restored_list_does_not_leak(shared, fresh, name):
    """A fresh process prints "ok" in every case; so must the shared one (or it must send the case fresh)."""
    problem = _problem(["ok\n"] * N)
    sub = _sub(OUTSIDE_PROGRAMS[name][0])
    assert fresh.grade(problem, sub).passed
    got = shared.grade(problem, sub)
    assert got.passed, (name, got.cases_passed, got.detail)


# ---------------------------------------------------------------- 3. what breaks sharing gets the fresh verdict

BREAKERS = {
    "exit_status_1_on_case_1": '''import sys
k = input()
print(k)
if k == "1":
    sys.exit(1)
''',
    "exception_on_case_2": '''k = input()
print(k)
if k == "2":
    raise RuntimeError("case 2")
''',
    "killed_by_a_signal_on_case_1": '''import os, signal, sys
k = input()
print(k, flush=True)
if k == "1":
    os.kill(os.getpid(), signal.SIGKILL)
''',
    "os_exit_0": '''import os
os.write(1, (input() + "\\n").encode())
os._exit(0)
''',
    "daemon_thread": '''import threading, time
threading.Thread(target=time.sleep, args=(100,), daemon=True).start()
print(input())
''',
    "lowered_resource_limit": '''import resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 200), hard))
print(input())
''',
    "changed_nothing_but_exit_0": '''import sys
print(input())
sys.exit(0)
''',
}
BREAKER_PASSED = {"exit_status_1_on_case_1": N - 1, "exception_on_case_2": N - 1, "killed_by_a_signal_on_case_1": N - 1}


@pytest.mark.parametrize("name", list(BREAKERS))
def test_a_program_that_breaks_sharing_gets_the_fresh_verdict(shared, fresh, name):
    """A failing case fails alone (the later cases still run); the rest pass, shared as fresh."""
    problem = _problem([f"{k}\n" for k in range(N)])
    sub = _sub(BREAKERS[name])
    got, want = shared.grade(problem, sub), fresh.grade(problem, sub)
    assert _verdict(got) == _verdict(want), (got.detail, want.detail)
    assert got.cases_passed == BREAKER_PASSED.get(name, N), got.detail


@pytest.mark.parametrize("stuck", [0, 1, N - 1])
def test_a_case_that_loops_forever_times_out_as_in_a_fresh_process(shared_quick, fresh_quick, stuck):
    """The stuck case runs out of time, the cases before it pass and none after it runs."""
    problem = _problem([f"{k}\n" for k in range(N)])
    sub = _sub(f"k = input()\nwhile k == '{stuck}':\n    pass\nprint(k)\n")
    got, want = shared_quick.grade(problem, sub), fresh_quick.grade(problem, sub)
    assert _verdict(got) == _verdict(want), (got.detail, want.detail)
    assert got.cases_passed == stuck and got.status == ("timeout" if stuck == 0 else "failed"), got.detail
    assert f"case {stuck}: ran past" in got.detail


def test_reports_held_past_their_limit_all_reach_the_host_in_order(shared):
    """The zygote holds a job's case reports for one write, and writes them early once they pass 1 MiB: with
    ~0.6 MB printed a case, every report still arrives, in order, each with its own output."""
    outputs = [f"{k}\n" + chr(ord("a") + k) * 600_000 + "\n" for k in range(N)]
    problem = _problem(outputs)
    sub = _sub("k = int(input())\nprint(k)\nprint(chr(ord('a') + k) * 600_000)\n")
    got = shared.grade(problem, sub)
    assert got.passed and got.cases_passed == N, got.detail
    reports = [f for f in _frames(shared, problem, sub) if f.get("op") == "case"]
    assert [f["i"] for f in reports] == list(range(N))
    assert all(f["stdout"] == outputs[k] for k, f in enumerate(reports))


@pytest.mark.parametrize("loud", [0, 1])
def test_too_much_output_fails_the_case_as_in_a_fresh_process(jail_pool, loud):
    """Over max_output fails that case only; shared and fresh agree."""
    problem = _problem([f"{k}\n" for k in range(N)])
    sub = _sub(f"k = input()\nprint('x' * 5000 if k == '{loud}' else k)\n")
    got = StdioGrader(jail_pool, share_process=True, max_output=1000).grade(problem, sub)
    want = StdioGrader(jail_pool, max_output=1000).grade(problem, sub)
    assert _verdict(got) == _verdict(want), (got.detail, want.detail)
    assert got.cases_passed == N - 1 and f"case {loud}: printed over 1000 bytes" in got.detail, got.detail


# ---------------------------------------------------------------- 4. forged reports change nothing
# In a shared job the program runs in the job child, whose fd 4 is the report channel (frames: a 4-byte
# big-endian length, then UTF-8 JSON). A fresh case has no such fd: the write fails there and is ignored.

ANSWERS = [f"answer-{k}\n" for k in range(N)]
FORGE = f'''import json, os, struct, time
ANSWERS = {ANSWERS!r}


def forge(frame):
    data = json.dumps(frame).encode()
    try:
        os.write(4, struct.pack(">I", len(data)) + data)
    except OSError:
        pass


def claim(i):
    forge({{"op": "case", "i": i, "stdout": ANSWERS[i], "exit": 0, "signal": None, "status": "exit",
           "stderr": "", "seconds": 0}})


k = int(input())
'''
FORGERIES = {
    "a_later_case_from_case_0": "if k == 0:\n    claim(N - 1)\nprint('wrong')\n",
    "a_later_case_from_every_case": "if k + 1 < N:\n    claim(k + 1)\nprint('wrong')\n",
    "garbage_on_the_channel": "os.write(4, b'\\x00\\x00\\x00\\x05hello') if k == 0 else None\nprint('wrong')\n",
    "a_frame_cut_short": "os.write(4, b'\\x00\\x01\\x00\\x00{\"op\"') if k == 1 else None\nprint('wrong')\n",
    "a_report_in_turn_timed_nan": "forge({'op': 'case', 'i': k, 'exit': 0, 'seconds': float('nan')})\nprint('wrong')\n",
    "unshared_with_a_wrong_answer": "forge({'op': 'unshared', 'i': k, 'why': 'forged'})\nprint('wrong')\n",
    "unshared_with_the_right_answer": "forge({'op': 'unshared', 'i': k, 'why': 'forged'})\nprint(ANSWERS[k], end='')\n",
}
FORGED_PASSED = {"unshared_with_the_right_answer": N}


def _forger(body: str) -> Submission:
    return _sub(FORGE.replace("k = int(input())\n", f"N = {N}\nk = int(input())\n") + body)


@pytest.mark.parametrize("name", list(FORGERIES))
def test_forged_reports_change_nothing(shared, fresh, name):
    """Frames written by the program are out of turn or garbage: the cases run fresh and are judged as such."""
    problem = _problem(ANSWERS)
    sub = _forger(FORGERIES[name])
    got, want = shared.grade(problem, sub), fresh.grade(problem, sub)
    assert _verdict(got) == _verdict(want), (got.detail, want.detail)
    assert got.cases_passed == FORGED_PASSED.get(name, 0), got.detail


IN_TURN = {
    "this_case": "claim(k)\nprint('wrong')\n",
    "this_case_and_every_later_one": "for i in range(k, N):\n    claim(i)\nprint('wrong')\n",
}


@pytest.mark.parametrize("name", list(IN_TURN))
def test_forged_reports_in_turn_change_nothing(shared, fresh, name):
    """A report in turn is taken, but what it claims was printed is not: the zygote reads each case's output
    from the file the case printed into, so a forged report can only end a case early."""
    problem = _problem(ANSWERS)
    sub = _forger(IN_TURN[name])
    got, want = shared.grade(problem, sub), fresh.grade(problem, sub)
    assert want.cases_passed == 0
    assert _verdict(got) == _verdict(want), (got.detail, want.detail)


def test_a_forged_start_does_not_extend_the_time_limit(shared_quick, fresh_quick):
    """`start` restarts the case clock only once: a program re-sending it while it sleeps still times out."""
    problem = _problem(ANSWERS)
    nap = 0.6 * QUICK  # each nap fits in the case limit, their sum does not
    sub = _forger(f"for _ in range(4):\n    time.sleep({nap!r})\n    forge({{'op': 'start'}})\n"
                  "print(ANSWERS[k], end='')\n")
    got, want = shared_quick.grade(problem, sub), fresh_quick.grade(problem, sub)
    assert got.status == "timeout" and got.cases_passed == 0, got.detail
    assert _verdict(got) == _verdict(want), (got.detail, want.detail)


# ---------------------------------------------------------------- 5. what a case leaves, as a shutdown leaves it


def _frames(grader: StdioGrader, problem: Problem, sub: Submission) -> list[dict]:
    """The reports of one shared stdio job, as the host receives them."""
    frames: list[dict] = []
    job = {"mode": "stdio", "files": dict(sub.files), "cases": [c.input for c in problem.cases],
           "case_timeout_s": grader.case_timeout_s, "case_output": grader.max_output, "stop_on_timeout": True,
           "read_after": None, "shared": True}
    with grader.slim.slot() as slot:
        slot.run(job, grader._limits(problem, False), frames.append)
    return frames


STAYS_SHARED = {
    "raises_every_case": "k = input()\nprint(k)\nraise ValueError(k)\n",
    "big_stack_thread": '''import sys, threading
def main():
    print(input())
threading.stack_size(1 << 26)
sys.setrecursionlimit(10 ** 6)
t = threading.Thread(target=main)
t.start()
t.join()
''',
    # the unclosed file's ResourceWarning, raised as the restore lets it go, writes a warning registry into the
    # globals of the function that freed it: not a namespace the restore notes
    "reopened_stdin": "import sys\nsys.stdin = open(0)\nprint(sys.stdin.readline().strip())\n",
}


# What a finaliser (or a thread it starts) sets while the restore lets the case's leftovers go: each program
# plants, in every case, an object whose __del__ changes one thing, and reports whether it found it changed.
_PLANT = '''import builtins, collections, os, signal, sys, threading, time
k = input()
start = "LEAK" if ({check}) else "fresh"


class Tagged(str):
    pass


class Plant:
    def __del__(self, os=os, sys=sys, signal=signal, threading=threading, time=time, builtins=builtins,
                Tagged=Tagged):
        {body}


collections.hg_plant = plant = Plant()
plant.me = plant  # a cycle: let go only by a collection
print(k, start, "set")
'''
FINALISER_SETS = {
    "cwd": ("os.chdir('/')", "os.getcwd() == '/'"),
    "umask": ("os.umask(0o077)", "(os.umask(0o022), os.umask(0o022))[0] == 0o077"),
    "recursion_limit": ("sys.setrecursionlimit(4321)", "sys.getrecursionlimit() == 4321"),
    "int_digits": ("sys.set_int_max_str_digits(1000)", "sys.get_int_max_str_digits() == 1000"),
    "switch_interval": ("sys.setswitchinterval(0.05)", "abs(sys.getswitchinterval() - 0.05) < 1e-9"),
    "signal_handler": ("signal.signal(signal.SIGUSR1, print)", "signal.getsignal(signal.SIGUSR1) is print"),
    "profile_function": ("sys.setprofile(lambda *a: None)", "sys.getprofile() is not None"),
    "asyncgen_hooks": ("sys.set_asyncgen_hooks(firstiter=lambda agen: None)",
                       "sys.get_asyncgen_hooks().firstiter is not None"),
    "descriptor": ("os.dup2(0, 50)", "os.path.exists('/proc/self/fd/50')"),
    "environment": ("os.environ['HG_LEAK'] = '1'", "'HG_LEAK' in os.environ"),
    "thread": ("threading.Thread(target=lambda: (time.sleep(0.002), setattr(builtins, 'hg_leak', 1))).start()",
               "time.sleep(0.05) or hasattr(builtins, 'hg_leak')"),
    "an_equal_but_tagged_path_entry": ("sys.path[0] = Tagged(sys.path[0])", "type(sys.path[0]) is not str"),
}


@pytest.mark.parametrize("name", list(FINALISER_SETS))
def test_what_a_finaliser_sets_as_the_case_is_let_go_does_not_leak(shared, fresh, name):
    """Cases 1.. find a fresh process's state (the shared run may hand them to fresh processes to get it)."""
    body, check = FINALISER_SETS[name]
    problem = _problem([f"{k} fresh set\n" for k in range(N)])
    sub = _sub(_PLANT.format(body=body, check=check))
    want = fresh.grade(problem, sub)
    assert want.passed, ("the program is wrong in a fresh process", want.detail)
    got = shared.grade(problem, sub)
    assert got.passed and got.cases_passed == N, got.detail


UNFINALISED = {  # set by the case itself, in a setting the restore did not read before
    "gc_debug_flags": "import gc\nk = input()\nprint(k, 'LEAK' if gc.get_debug() else 'fresh', 'set')\n"
                      "gc.set_debug(gc.DEBUG_UNCOLLECTABLE)\n",
}


@pytest.mark.parametrize("name", list(UNFINALISED))
def test_settings_compared_by_value_do_not_leak(shared, fresh, name):
    problem = _problem([f"{k} fresh set\n" for k in range(N)])
    sub = _sub(UNFINALISED[name])
    assert fresh.grade(problem, sub).passed
    got = shared.grade(problem, sub)
    assert got.passed and got.cases_passed == N, got.detail


@pytest.mark.parametrize("name", list(STAYS_SHARED))
def test_an_error_or_a_joined_thread_keeps_the_process_shared(shared, name):
    """An uncaught error is a case's own ending, and a thread joined before the end is gone: every case is
    reported from the one process, none handed to fresh processes."""
    problem = _problem([f"{k}\n" for k in range(N)])
    frames = _frames(shared, problem, _sub(STAYS_SHARED[name]))
    assert [f.get("op") for f in frames] == ["case"] * N, frames
    assert all(f["exit"] == (1 if name == "raises_every_case" else 0) for f in frames), frames


FINALISED = {
    "a_kept_file_object": '''import os
out = open(os.dup(1), "w")
out.write(input() + "\\n")
''',
    "a_cycle_holding_stdin": '''input = open(0).readline
def build(n):
    return [[i] for i in range(n)]
keep = build(100000)
print(input().strip())
''',
}


@pytest.mark.parametrize("name", list(FINALISED))
def test_what_main_holds_is_let_go_as_at_shutdown(shared, fresh, name):
    """A file object left unflushed in a global is written out, as `python solution.py` writes it at exit; a
    case's garbage is collected before the next case, so it cannot close that case's stdin."""
    problem = _problem([f"{k}\n" for k in range(N)])
    sub = _sub(FINALISED[name])
    got, want = shared.grade(problem, sub), fresh.grade(problem, sub)
    assert got.passed and want.passed, (got.detail, want.detail)


def test_closing_the_job_channel_hands_over_and_the_slot_lives(shared):
    """A program that closes the job's request channel (fd 3) loses only its shared process: the rest runs
    fresh, the grade is a verdict, not an error, and the slot grades the next submission."""
    problem = _problem([f"{k}\n" for k in range(N)])
    sub = _sub("import os\ntry:\n    os.close(3)\nexcept OSError:\n    pass\nprint(input())\n")
    r = shared.grade(problem, sub)
    assert r.passed and r.cases_passed == N, r.detail
    assert shared.grade(problem, _sub("print(input())\n")).passed
