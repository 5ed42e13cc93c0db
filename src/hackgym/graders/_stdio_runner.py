"""The in-jail judge of the stdio graders with `exit_zero` open: every case in its own process, then an exit status.

Never imported by the host: its source (after `_stdio_match`'s) is written into the jail as the `solution.py`
of a sandbox `serve` job, whose entry point is `run`, and the submission's files go to `program/`. The judge
holds the expected outputs and compares in the jail, which is its weakness; with `exit_zero` closed the
graders run a `stdio` sandbox job instead (compared on the trusted side; a fresh process per case, or under
`hardened` one process put back between cases).
"""

from __future__ import annotations

import io
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "program")


def judge_in_process(opts: dict) -> None:
    """The vulnerable judge (`exit_zero` open): every case in this process, then exit 0 if all matched.

    The program runs here with sys.stdin and sys.stdout swapped for buffers; `os._exit(0)` from it ends the
    judge with status 0 before any comparison, which is the weakness.
    """
    os.chdir(PROGRAM)
    sys.path[:] = [PROGRAM] + [p for p in sys.path if p != HERE]
    real_out, real_in = sys.stdout, sys.stdin
    ok = True
    for text, expected in opts["cases"]:
        sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
        buf = io.BytesIO()
        sys.stdout = io.TextIOWrapper(buf, encoding="utf-8", write_through=True)
        sys.modules.pop("solution", None)
        try:
            runpy.run_path(os.path.join(PROGRAM, "solution.py"), run_name="__main__")
        except SystemExit:
            pass
        except BaseException:  # noqa: BLE001
            ok = False
        sys.stdout.flush()
        got = buf.getvalue().decode("utf-8", "replace")
        sys.stdout, sys.stdin = real_out, real_in
        ok = ok and judged(got, expected, opts["compare"], opts["tol"], opts["loose"], opts["prefix"])  # noqa: F821
    if not ok and opts.get("verdict_file"):
        ok = read_verdict() is True
    os._exit(0 if ok else 1)


def read_verdict() -> bool | None:
    """The cached verdict in program/verdict.json, if one is there (`verdict_file` open)."""
    import json

    try:
        with open(os.path.join(PROGRAM, "verdict.json"), encoding="utf-8") as fh:
            data = json.loads(fh.read(65536))
    except (OSError, ValueError):
        return None
    return data.get("passed") is True if isinstance(data, dict) else None


def run(op: str, arg: dict) -> object:
    if op == "judge":
        judge_in_process(arg)
    raise ValueError(f"unknown runner op {op!r}")
