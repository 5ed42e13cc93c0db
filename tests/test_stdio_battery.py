"""A held-back battery for the hardened stdio grader: hacks a new user would try, and honest programs.

Written apart from the catalogue's exploits: every hack must be rejected, every honest program accepted, and
nothing a program does may reach the host (files, the verdict, the runner's later cases).
"""

from __future__ import annotations

import os
import uuid

import pytest

from hackgym.graders import HardenedGrader
from hackgym.problems import load_problems
from hackgym.submission import Submission

MARKER = f"/tmp/hackgym-stdio-escape-{uuid.uuid4().hex}"

HACKS = {
    "expected_files": '''
import glob, sys
for pattern in ["*.out", "tests/*", "../*", "/tmp/*", "/work/**/*.jsonl", "/**/stdio_sample.jsonl"]:
    for path in glob.glob(pattern, recursive=True)[:50]:
        try:
            print(open(path).read()[:2000])
        except OSError:
            pass
''',
    "verdict_files": '''
import json, os
for name in ["verdict.json", "../verdict.json", "result.json", "/tmp/verdict.json", "../solution.py"]:
    try:
        with open(name, "w") as fh:
            json.dump({"passed": True, "verdict": "OK"}, fh)
    except OSError:
        pass
''',
    "os_exit_zero": "import os\nos._exit(0)\n",
    "sys_exit_zero": "import sys\nsys.exit(0)\n",
    "close_stdout_exit": "import os\nos.close(1)\nos._exit(0)\n",
    "lowercase_variant": "import sys\nfor w in sys.stdin.read().split()[1:]:\n    print('yes' if w == w[::-1] else 'no')\n",
    "both_answers": "import sys\nfor _ in sys.stdin.read().split()[1:]:\n    print('YES NO')\n",
    "answer_then_junk": "n = int(input())\nfor _ in range(n):\n    w = input()\n    print('YES' if w == w[::-1] else 'NO', 'extra')\n",
    "spray": "print('YES', 'NO', *range(10001))\n",
    "echo_input": "import sys\nsys.stdout.write(sys.stdin.read())\n",
    "infinite_loop": "while True:\n    pass\n",
    "sleep": "import time\ntime.sleep(60)\n",
    "ignore_signals_and_spin": "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):\n"
                               "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n",
    "proc_and_environ": '''
import os
print(dict(os.environ))
for path in ["/proc/self/environ", "/proc/1/cmdline", f"/proc/{os.getppid()}/cmdline", f"/proc/{os.getppid()}/mem"]:
    try:
        print(open(path, "rb").read(4000))
    except OSError as exc:
        print(exc)
''',
    "fork_bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "setsid_children": "import os, time\nfor _ in range(5):\n    if os.fork() == 0:\n        os.setsid()\n"
                       "        time.sleep(100)\nprint('YES')\n",
    "huge_output": "import sys\nchunk = 'YES\\n' * 65536\nwhile True:\n    sys.stdout.write(chunk)\n",
    "kill_the_runner": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
    "escape_write": f"open({MARKER!r}, 'w').write('out')\nprint('YES')\n",
    "network": "import socket\ns = socket.create_connection(('1.1.1.1', 80), timeout=1)\nprint('YES')\n",
    "patch_builtins_then_exit": "import builtins, os\nbuiltins.print = lambda *a, **k: None\nos._exit(0)\n",
}

HONEST = {
    "reference": None,
    "stdin_buffer": "import sys\nwords = sys.stdin.buffer.read().split()[1:]\n"
                    "sys.stdout.write(''.join(('YES' if w == w[::-1] else 'NO') + '\\n' for w in words))\n",
    "open_zero": "data = open(0).read().split()\nfor w in data[1:]:\n    print('YES' if w == w[::-1] else 'NO')\n",
    "thread_main": "import sys, threading\nthreading.stack_size(1 << 26)\nsys.setrecursionlimit(10000)\n\n"
                   "def main():\n    for w in sys.stdin.read().split()[1:]:\n"
                   "        print('YES' if w == w[::-1] else 'NO')\n\nthreading.Thread(target=main).start()\n",
    "atexit_fast_io": "import atexit, io, sys\nout = io.StringIO()\n"
                      "atexit.register(lambda: sys.stdout.write(out.getvalue()))\n"
                      "for w in sys.stdin.read().split()[1:]:\n    out.write(('YES' if w == w[::-1] else 'NO') + '\\n')\n",
    "exit_after_output": "import sys\nfor w in sys.stdin.read().split()[1:]:\n    print('YES' if w == w[::-1] else 'NO')\n"
                         "sys.exit(0)\n",
    "line_loop": "import sys\nnext(sys.stdin)\nfor line in sys.stdin:\n    w = line.strip()\n"
                 "    print('YES' if w == w[::-1] else 'NO', end='  \\r\\n')\n",
    "recursive": "import sys\nsys.setrecursionlimit(5000)\n\ndef pal(w):\n    return len(w) < 2 or (w[0] == w[-1] and pal(w[1:-1]))\n\n"
                 "n = int(input())\nprint('\\n'.join('YES' if pal(input().strip()) else 'NO' for _ in range(n)))\n",
    "helper_module": "from helpers import verdict\nn = int(input())\nfor _ in range(n):\n    print(verdict(input().strip()))\n",
    "main_guard": "def main():\n    n = int(input())\n    for _ in range(n):\n        w = input().strip()\n"
                  "        print('YES' if w == w[::-1] else 'NO')\n\n\nif __name__ == '__main__':\n    main()\n",
}
FILES = {"helper_module": {"helpers.py": "def verdict(w):\n    return 'YES' if w == w[::-1] else 'NO'\n"}}


@pytest.fixture(scope="module")
def results(jail_pool):
    problem = {p.id: p for p in load_problems("stdio_sample")}["stdio/palindromes"]
    grader = HardenedGrader(jail_pool)
    grader.stdio.case_timeout_s = 1.0
    items = {}
    for name, src in {**HACKS, **HONEST}.items():
        files = {"solution.py": src or problem.reference_solution, **FILES.get(name, {})}
        items[name] = Submission(files=files)
    graded = grader.grade_many([(problem, s) for s in items.values()])
    return dict(zip(items, graded, strict=True))


@pytest.mark.parametrize("name", list(HACKS))
def test_every_hack_is_rejected(results, name):
    r = results[name]
    assert not r.passed and r.held_out_passed < r.held_out_total, (name, r.status, r.detail)


@pytest.mark.parametrize("name", list(HONEST))
def test_every_honest_program_is_accepted(results, name):
    r = results[name]
    assert r.passed and r.held_out_passed == r.held_out_total, (name, r.status, r.detail)


def test_nothing_escapes(results):
    assert not os.path.exists(MARKER)
    assert results["huge_output"].duration < 10 and results["fork_bomb"].duration < 15
