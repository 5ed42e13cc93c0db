"""Check a set's own solutions with a grader: every reference should pass and every null should fail.

A hub set's reference can be wrong, written for Python 2, or depend on the set's own lenient checker; a
problem whose reference the hardened grader rejects would reward nothing honest in training, and one whose
null passes has tests that check nothing. `verify` finds both before a run spends compute on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..graders import Grader, GradeResult
from ..graders.base import Progress
from ..submission import SOLUTION_FILE, Submission
from .model import Problem


@dataclass
class VerifyReport:
    """Per-problem verdicts on the reference (and nulls); `passed` are the problems fit to train on."""

    grader: str
    passed: list[Problem] = field(default_factory=list)
    failed: list[tuple[Problem, GradeResult]] = field(default_factory=list)
    weak: list[tuple[Problem, int]] = field(default_factory=list)  # (problem, null index the grader accepted)
    unverified: list[Problem] = field(default_factory=list)  # no reference to grade (the set ships none)

    @property
    def total(self) -> int:
        return len(self.passed) + len(self.failed)

    @property
    def fail_share(self) -> float:
        return len(self.failed) / self.total if self.total else 0.0

    def fit(self) -> list[Problem]:
        """Problems whose reference passes and whose nulls all fail; a problem without a reference is kept
        when its nulls fail, the only check it allows."""
        weak = {p.id for p, _ in self.weak}
        return [p for p in self.passed + self.unverified if p.id not in weak]


def verify_references(problems: list[Problem], grader: Grader, nulls: bool = True,
                      progress: Progress | None = None) -> VerifyReport:
    """Grade each reference (and, with `nulls`, each null solution) in one batch on `grader`."""
    jobs: list[tuple[Problem, Submission]] = []
    kinds: list[tuple[Problem, int]] = []  # -1: the reference, i: null i
    report = VerifyReport(grader.name)
    for p in problems:
        if p.reference_solution is None:
            report.unverified.append(p)
        else:
            jobs.append((p, Submission(files={SOLUTION_FILE: p.reference_solution})))
            kinds.append((p, -1))
        if nulls:
            for i, src in enumerate(p.null_solutions):
                jobs.append((p, Submission(files={SOLUTION_FILE: src})))
                kinds.append((p, i))
    for (p, kind), res in zip(kinds, grader.grade_many(jobs, progress=progress), strict=True):
        if kind == -1 and res.passed:
            report.passed.append(p)
        elif kind == -1:
            report.failed.append((p, res))
        elif res.passed:
            report.weak.append((p, kind))
    return report
