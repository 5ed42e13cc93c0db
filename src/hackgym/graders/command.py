"""Users' own graders: a shell-free command run on the submission's folder, or any Python callable."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import GraderSpecError
from ..problems import Problem
from ..sandbox import Limits, Pool
from ..submission import Submission
from .base import GradeResult, Progress

MAX_GRADER_FILES = 256


def _read_grader_files(folder: str | Path | None) -> dict[str, str]:
    if folder is None:
        return {}
    root = Path(folder)
    if not root.is_dir():
        raise GraderSpecError(f"--grader-files {root}: not a folder")
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            if len(files) >= MAX_GRADER_FILES:
                raise GraderSpecError(f"--grader-files {root}: more than {MAX_GRADER_FILES} files")
            try:
                files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise GraderSpecError(f"--grader-files: {path} is not UTF-8 text") from None
    return files


class CommandGrader:
    """Runs CMD inside the sandbox; exit status 0 means pass.

    Placeholders: {workdir} (the submission's files), {testdir} (a read-only copy of --grader-files),
    {python} (the sandbox's Python). The command sees nothing of the host beyond what the sandbox shows.
    It runs in {workdir}, so `{python} -m ...` and `{python} -c ...` import solution.py and its sibling modules
    and packages as every other grader does; a script elsewhere puts {workdir} on its own path. The folder is
    not put on PYTHONPATH: a submitted sitecustomize.py never runs at the command's start-up.
    Extra fields passed to the command: the environment variables HACKGYM_PROBLEM_ID and HACKGYM_ENTRY_POINT.
    """

    def __init__(self, command: str, pool: Pool, grader_files: str | Path | None = None,
                 limits: Limits | None = None) -> None:
        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise GraderSpecError(f"--grader-cmd {command!r}: {exc}") from None
        if not self.argv:
            raise GraderSpecError("--grader-cmd is empty")
        self.command = command
        self.name = f"cmd:{command}"
        self.pool = pool
        self.test_files = _read_grader_files(grader_files)
        self.limits = limits or Limits(timeout_s=30.0, cpu_s=30.0)

    def grade(self, problem: Problem, submission: Submission) -> GradeResult:
        return self.grade_many([(problem, submission)])[0]

    def grade_many(self, items: Sequence[tuple[Problem, Submission]], progress: Progress | None = None) -> list[GradeResult]:
        return self.pool.map(lambda item: self._grade_one(*item), list(items), progress)

    def _grade_one(self, problem: Problem, submission: Submission) -> GradeResult:
        job = {"mode": "exec", "files": dict(submission.files), "test_files": self.test_files,
               "argv": self.argv, "cwd": "{workdir}",
               "env": {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
                       "HACKGYM_PROBLEM_ID": problem.id, "HACKGYM_ENTRY_POINT": problem.entry_point}}
        res = self.pool.run(job, self.limits)
        tails = {"stdout": res.stdout, "stderr": res.stderr, "duration": res.duration, "cases_total": 1}
        if res.status == "timeout":
            return GradeResult.make(self.name, "timeout", detail=res.detail, **tails)
        if res.status != "exit":
            return GradeResult.make(self.name, "crashed" if res.status == "signal" else "error",
                                    detail=res.detail or res.status, **tails)
        if res.exit_code == 0:
            return GradeResult.make(self.name, "passed", cases_passed=1, **{k: v for k, v in tails.items()})
        return GradeResult.make(self.name, "failed", detail=f"exit status {res.exit_code}", **tails)


class FunctionGrader:
    """Wraps a callable `fn(problem, submission, pool) -> bool | GradeResult`: the Python API for own graders.

    The callable gets the sandbox pool so that any model code it runs stays sandboxed.
    """

    def __init__(self, fn: Callable[[Problem, Submission, Pool], bool | GradeResult], pool: Pool,
                 name: str | None = None) -> None:
        self.fn = fn
        self.pool = pool
        self.name = name or f"fn:{getattr(fn, '__name__', 'grader')}"

    def grade(self, problem: Problem, submission: Submission) -> GradeResult:
        verdict = self.fn(problem, submission, self.pool)
        if isinstance(verdict, GradeResult):
            return verdict
        return GradeResult.make(self.name, "passed" if verdict else "failed", cases_total=1, cases_passed=int(bool(verdict)))

    def grade_many(self, items: Sequence[tuple[Problem, Submission]], progress: Progress | None = None) -> list[GradeResult]:
        out = []
        for problem, submission in items:
            out.append(self.grade(problem, submission))
            if progress:
                progress(1)
        return out
