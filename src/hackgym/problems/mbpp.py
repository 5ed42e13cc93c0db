"""MBPP rows (configs `full` and `sanitized`) as `Problem`s.

MBPP's tests are assert lines that call the function by name, which is exactly hackgym's case format; the
entry point is the first function the tests call that the reference code defines. The first test is shown
(it goes into the docstring, since the prompt is all the model sees) and the rest, `challenge_test_list`
included, are held out; a row with a single test shows none.
"""

from __future__ import annotations

import ast
from typing import Any

from ._pyfunc import Skipped, examples, find_function, null_solutions, stub
from .model import Problem, TestCase, defines_function


def _entry_point(code: str, tests: list[str]) -> str:
    for test in tests:
        for node in ast.walk(ast.parse(test)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and defines_function(code, node.func.id):
                return node.func.id
    raise Skipped("the tests call no function the reference defines")


def _imports(code: str) -> list[str]:
    """Top-level imports of the reference, so annotations and defaults in the stub resolve."""
    return [ast.unparse(n) for n in ast.parse(code).body if isinstance(n, ast.Import | ast.ImportFrom)]


def _python3(code: str) -> str:
    """The reference as Python 3 reads it; tabs are expanded as Python 2 did when mixing them fails."""
    code = code.replace("\r\n", "\n")
    for text in (code, code.expandtabs(8)):
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        return text
    raise Skipped("the reference or a test is not valid Python 3")


def map_mbpp(row: dict[str, Any], config: str, split: str, source: str) -> Problem:
    code = _python3(row.get("code") or "")
    text = row.get("text") or row.get("prompt") or ""
    tests = [t.replace("\r\n", "\n").strip() for t in list(row.get("test_list") or [])
             + list(row.get("challenge_test_list") or []) if t and t.strip()]
    if not tests:
        raise Skipped("no tests")
    try:
        for t in tests:
            ast.parse(t)
    except SyntaxError:
        raise Skipped("the reference or a test is not valid Python 3") from None
    name = _entry_point(code, tests)
    setup = row.get("test_setup_code") or "\n".join(row.get("test_imports") or [])
    shown = tests[:1] if len(tests) > 1 else []
    prompt = stub(find_function(code, name), name, text + examples(shown), _imports(code))
    return Problem(
        id=f"mbpp/{row['task_id']}",
        prompt=prompt,
        entry_point=name,
        test="\n".join(tests) + "\n",
        test_setup=setup.replace("\r\n", "\n"),
        cases=[TestCase(code=t, visible=i < len(shown)) for i, t in enumerate(tests)],
        reference_solution=code if code.endswith("\n") else code + "\n",
        null_solutions=null_solutions(prompt),
        source=source,
        tags=["mbpp", f"config:{config}", f"split:{split}"],
    )
