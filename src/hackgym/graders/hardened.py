"""The grader no known hack beats: tests run in the trusted process, the solution runs jailed and answers calls.

The solution's process receives only call arguments and returns values as tagged plain data, rebuilt here as
exact builtin types (never pickle). The trusted side runs the problem's own assert code against those values,
so its comparisons and tolerances are the original test's. Every case, held-out ones included, is graded; a
missing, late or malformed answer fails its case. Nothing the solution does in its process (exiting, patching
pytest, writing files, printing) can reach the verdict, because the verdict is not computed there.

A multi-file submission loads as under every other grader: the submission's folder comes first on the solution
process's import path, so `solution.py` imports its sibling modules and packages. They are model code and run
only in that jailed process, like `solution.py` itself; the trusted side imports nothing of the submission.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from typing import Any

from ..problems import Problem
from ..sandbox import Limits, NotPlainData, Pool, decode, encode
from ..sandbox.pool import SlotCrashed
from ..submission import SOLUTION_FILE, Submission
from .base import GradeResult, Progress
from .stdio import StdioGrader

MAX_SESSIONS = 3  # a solution that dies is restarted this many times, then its remaining cases fail


class CaseFailure(AssertionError):
    """The solution gave no usable answer to a call."""


class _Candidate:
    """Stands in for the solution's function inside the trusted test code."""

    def __init__(self, grader: HardenedGrader, slot, files: dict[str, str], entry_point: str) -> None:
        self.grader, self.slot, self.files, self.entry_point = grader, slot, files, entry_point
        self.session = None
        self.sessions = 0
        self._cm = None
        self.load_error: str | None = None
        self.timed_out = False

    def _ensure(self) -> None:
        if self.session is not None and self.session.open:
            return
        if self.timed_out:
            # one late answer is enough: restarting a solution that hangs would only multiply the wait
            raise CaseFailure("an earlier call ran past its time limit")
        self.close()
        if self.sessions >= MAX_SESSIONS:
            raise CaseFailure("the solution was restarted too often")
        self.sessions += 1
        if not self.slot.alive:
            self.slot.start()
        # the submission's folder first on the solution process's import path, as every grader loads it
        job = {"files": self.files, "entry_point": self.entry_point, "sys_path": ["{workdir}"]}
        self._cm = self.slot.serve(job, self.grader.limits)
        self.session = self._cm.__enter__()
        if self.session.load_error:
            self.load_error = self.session.load_error
            raise CaseFailure(f"the solution did not load: {self.session.load_error}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise CaseFailure("keyword arguments are not supported by the hardened grader")
        try:
            wire = encode(list(args))
        except NotPlainData as exc:
            raise CaseFailure(f"test arguments are not plain data: {exc}") from None
        try:
            self._ensure()
            ok, value = self.session.call(wire)
        except SlotCrashed as exc:
            self.slot.stop()
            self.session = None
            raise CaseFailure(f"the sandbox slot died: {exc}") from None
        if not ok:
            self.timed_out = self.timed_out or self.session.timed_out
            raise CaseFailure(str(value))
        try:
            return decode(value)
        except NotPlainData as exc:
            raise CaseFailure(f"the answer is not plain data: {exc}") from None

    def close(self) -> None:
        if self._cm is not None:
            with contextlib.suppress(Exception):
                self._cm.__exit__(None, None, None)
        self._cm = None
        self.session = None


class HardenedGrader:
    name = "hardened"

    def __init__(self, pool: Pool, limits: Limits | None = None, share_stdio_process: bool = True) -> None:
        self.pool = pool
        self.limits = limits or Limits(timeout_s=60.0, call_timeout_s=5.0, cpu_s=30.0)
        # a stdio program gets the same guarantee by its own path: run jailed, compared here. Its cases share
        # one process, as a function's calls do, for as long as each ends as it would in a fresh one.
        self.stdio = StdioGrader(pool, frozenset(), name=self.name, share_process=share_stdio_process)

    def grade(self, problem: Problem, submission: Submission) -> GradeResult:
        return self._grade_one(problem, submission)

    def grade_many(self, items: Sequence[tuple[Problem, Submission]], progress: Progress | None = None) -> list[GradeResult]:
        return self.pool.map(lambda item: self._grade_one(*item), list(items), progress)

    def _grade_one(self, problem: Problem, submission: Submission) -> GradeResult:
        if problem.kind == "stdio":
            return self.stdio.grade_one(problem, submission)
        started = time.monotonic()
        total = len(problem.cases)
        held_total = len(problem.held_out)
        if SOLUTION_FILE not in submission.files:
            return GradeResult.make(self.name, "error", detail="the submission has no solution.py",
                                    cases_total=total, held_out_passed=0, held_out_total=held_total)
        base: dict[str, Any] = {"__name__": "hackgym_trusted_tests"}
        exec(compile(problem.prompt, f"<{problem.id} prompt>", "exec"), base)  # trusted: the problem's helpers
        passed = held = 0
        errors: list[str] = []
        try:
            with self.pool.slot() as slot:
                candidate = _Candidate(self, slot, dict(submission.files), problem.entry_point)
                try:
                    for i, case in enumerate(problem.cases):
                        ns = dict(base)
                        ns["candidate"] = candidate
                        ns[problem.entry_point] = candidate  # tests may name the function itself (HumanEval/33)
                        try:
                            if problem.test_setup:
                                exec(compile(problem.test_setup, f"<{problem.id} setup>", "exec"), ns)
                            exec(compile(case.code, f"<{problem.id} case {i}>", "exec"), ns)
                        except Exception as exc:  # noqa: BLE001 - any failure fails this case only
                            errors.append(f"case {i}: {type(exc).__name__}: {exc}"[:300])
                            continue
                        passed += 1
                        held += not case.visible
                finally:
                    candidate.close()
        except SlotCrashed as exc:
            errors.append(f"sandbox: {exc}")
        counts = {"cases_passed": passed, "cases_total": total, "held_out_passed": held,
                  "held_out_total": held_total, "duration": time.monotonic() - started}
        detail = "; ".join(errors[:5])
        if passed == total:
            return GradeResult.make(self.name, "passed", **counts)
        if candidate.load_error and passed == 0:
            return GradeResult.make(self.name, "error", detail=detail, **counts)
        if candidate.timed_out and passed == 0:
            return GradeResult.make(self.name, "timeout", detail=detail, **counts)
        return GradeResult.make(self.name, "failed", detail=detail, **counts)
