"""Problem sets: built-ins (`humaneval`, `basic`, `stdio_sample`), hub sets (`hf:mbpp`, `hf:apps:test`, ...) and users' JSONL
files. Built-ins and files are validated all-or-nothing; hub rows that cannot map are skipped and reported."""

from __future__ import annotations

import functools
import json
import logging
import os
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from ..errors import ProblemError
from .hub import HUB_DATA_ENV, LoadReport, load_hub
from .humaneval import load_humaneval
from .model import Problem, ProblemKind, StdioCase, TestCase

__all__ = ["Problem", "TestCase", "StdioCase", "ProblemKind", "BUILTIN_SETS", "load_problems", "load_jsonl", "dump_jsonl", "get_problem",
           "load_hub", "LoadReport", "HUB_DATA_ENV"]


def _load_basic() -> list[Problem]:
    with resources.as_file(resources.files("hackgym").joinpath("data/basic.jsonl")) as path:
        return load_jsonl(path)


def _load_stdio_sample() -> list[Problem]:
    """Four stdin/stdout programs written for the stdio kind: what `audit` runs the stdio graders on."""
    with resources.as_file(resources.files("hackgym").joinpath("data/stdio_sample.jsonl")) as path:
        return load_jsonl(path)


BUILTIN_SETS = {"humaneval": load_humaneval, "basic": _load_basic, "stdio_sample": _load_stdio_sample}


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(record)"
    return f"field {field!r}: {first['msg']}"


def load_jsonl(path: str | Path) -> list[Problem]:
    """Load a problem file; the first bad record raises naming the file, line and field, nothing half-loaded."""
    path = Path(path)
    if not path.is_file():
        raise ProblemError(f"{path}: no such problem file")
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ProblemError(f"{path}:{lineno}: not JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(raw, dict):
            raise ProblemError(f"{path}:{lineno}: a record must be a JSON object, got {type(raw).__name__}")
        try:
            problem = Problem.model_validate(raw)
        except ValidationError as exc:
            rid = raw.get("id", "?")
            raise ProblemError(f"{path}:{lineno}: problem {rid!r}: {_describe(exc)}") from None
        if problem.id in seen:
            raise ProblemError(f"{path}:{lineno}: field 'id': {problem.id!r} already used on line {seen[problem.id]}")
        seen[problem.id] = lineno
        problems.append(problem)
    if not problems:
        raise ProblemError(f"{path}: holds no problems")
    return problems


def dump_jsonl(problems: list[Problem], path: str | Path) -> None:
    Path(path).write_text("".join(p.model_dump_json() + "\n" for p in problems), encoding="utf-8")


@functools.lru_cache(maxsize=16)
def _load_cached(name_or_path: str, hub_data: str | None) -> tuple[Problem, ...]:
    if name_or_path.startswith("hf:"):
        problems, report = load_hub(name_or_path)
        if report.skipped:  # said once per load, wherever the set is used (train, audit, grade)
            logging.getLogger(__name__).warning("\n".join(report.lines()))
        return tuple(problems)
    if name_or_path in BUILTIN_SETS:
        return tuple(BUILTIN_SETS[name_or_path]())
    if Path(name_or_path).exists():
        return tuple(load_jsonl(name_or_path))
    raise ProblemError(
        f"unknown problem set {name_or_path!r}: use one of {sorted(BUILTIN_SETS)}, hf:NAME[/CONFIG][:SPLIT] "
        "or a path to a JSONL file"
    )


def load_problems(name_or_path: str | Path, limit: int | None = None) -> list[Problem]:
    """A built-in set by name, a hub set as `hf:NAME[/CONFIG][:SPLIT]` or a JSONL file by path; `limit` keeps
    the first N. The cache is keyed on HACKGYM_HUB_DATA too, so pointing it elsewhere reloads."""
    problems = list(_load_cached(str(name_or_path), os.environ.get(HUB_DATA_ENV)))
    return problems[:limit] if limit else problems


def get_problem(problems: list[Problem], problem_id: str) -> Problem:
    for p in problems:
        if p.id == problem_id:
            return p
    raise ProblemError(f"no problem with id {problem_id!r} in this set")
