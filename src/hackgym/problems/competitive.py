"""APPS and CodeContests rows as `Problem`s: call-based rows as functions, stdin/stdout rows as programs.

APPS marks a call-based row with `fn_name` in `input_output`; each input is an argument list and each
output the expected return value, compared by APPS's own rule (a tuple counts as a list, and an output
wrapped in a one-element list also matches its element), which `_equal` in the test setup reproduces.
A LeetCode-style reference (`class Solution`) is given a top-level function that calls the method, because
graders call the entry point at module level. APPS rows without `fn_name`, and every CodeContests row, are
stdin/stdout programs: `kind="stdio"` problems whose cases are input and output text, compared token by
token (the lenient end of what both sets' own checkers accept, without their case folding).
"""

from __future__ import annotations

import ast
import json
from typing import Any

from ._pyfunc import Skipped, call_args, examples, find_function, literal, null_solutions, parse_starter, stub
from .model import Problem, StdioCase, TestCase

MAX_CASE_BYTES = 1 << 20  # a case's input plus output; larger ones are left out (they cross the sandbox as frames)
MAX_GENERATED = 10  # CodeContests' generated tests kept per problem (held out), after public and private
PYTHON3 = 3  # CodeContests' language code for Python 3
STDIO_NULLS = ["import sys\n\nsys.stdin.read()\nprint('hackgym-null')\n",
               "raise NotImplementedError('null solution')\n"]

APPS_EQUAL = '''def _equal(got, expected):
    """APPS's comparison for call-based problems (testing_util.py)."""
    if isinstance(got, tuple):
        got = list(got)
    if got == expected:
        return True
    if isinstance(expected, list) and expected:
        if got == expected[0]:
            return True
        if isinstance(got, list) and got and isinstance(got[0], tuple):
            return [list(x) for x in got] == expected[0]
    return False
'''


def _json(text: Any, what: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        raise Skipped(f"{what} is not JSON") from None


def _reference(solutions: list[str], name: str) -> str:
    """The first solution that parses as Python 3 and defines `name` (a method gets a module-level caller)."""
    for sol in solutions:
        sol = sol.replace("\r\n", "\n")
        node = find_function(sol, name)
        if node is None:
            continue
        if node.col_offset == 0:
            return sol if sol.endswith("\n") else sol + "\n"
        return (f"from typing import *\n\n{sol.rstrip()}\n\n\n"
                f"def {name}(*args):\n    return Solution().{name}(*args)\n")
    raise Skipped("no reference solution defines the entry point in Python 3")


def _text(value: Any) -> str:
    """A case's stdin or stdout as text (APPS sometimes stores one as a list of lines)."""
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value) + "\n"
    if not isinstance(value, str):
        raise Skipped("a stdin/stdout case is not text")
    return value.replace("\r\n", "\n")


def stdio_cases(pairs: list[tuple[Any, Any]], shown: int) -> list[StdioCase]:
    """The pairs as cases, the first `shown` visible; a case over the size limit is left out."""
    cases = []
    for inp, out in pairs:
        inp, out = _text(inp), _text(out)
        if len(inp.encode()) + len(out.encode()) <= MAX_CASE_BYTES:
            cases.append(StdioCase(input=inp, output=out, visible=len(cases) < shown))
    return cases


def _python3_program(solutions: list[str]) -> str:
    for sol in solutions:
        sol = sol.replace("\r\n", "\n")
        try:
            ast.parse(sol)
        except SyntaxError:
            continue
        return sol if sol.endswith("\n") else sol + "\n"
    raise Skipped("no reference solution in Python 3")


def _map_apps_stdio(row: dict[str, Any], io: dict[str, Any], split: str, source: str) -> Problem:
    inputs, outputs = io["inputs"], io.get("outputs") or []
    if len(inputs) != len(outputs):
        raise Skipped("inputs and outputs do not pair up")
    cases = stdio_cases(list(zip(inputs, outputs, strict=True)), 1 if len(inputs) > 1 else 0)
    if not any(not c.visible for c in cases):
        raise Skipped("no held-out case within the size limit")
    reference = _python3_program(_json(row.get("solutions"), "solutions") or [])
    difficulty = row.get("difficulty") or "unknown"
    return Problem(
        id=f"apps/{row['problem_id']}", kind="stdio", prompt=(row.get("question") or "").strip() or "(no statement)",
        cases=cases, reference_solution=reference, null_solutions=list(STDIO_NULLS),
        source=f"{source} {row.get('url') or ''}".strip(),
        tags=["apps", "stdio", f"difficulty:{difficulty}", f"split:{split}"],
    )


def map_apps(row: dict[str, Any], split: str, source: str) -> Problem:
    io = _json(row.get("input_output"), "input_output")
    if not io or not io.get("inputs"):
        raise Skipped("no tests")
    name = io.get("fn_name")
    if not name:
        return _map_apps_stdio(row, io, split, source)
    inputs, outputs = io["inputs"], io.get("outputs") or []
    if len(inputs) != len(outputs) or not all(isinstance(a, list) for a in inputs):
        raise Skipped("inputs and outputs do not pair up as argument lists and results")
    codes = [f"assert _equal(candidate({call_args(a)}), {literal(o)})" for a, o in zip(inputs, outputs, strict=True)]
    reference = _reference(_json(row.get("solutions"), "solutions") or [], name)
    shown = codes[:1] if len(codes) > 1 else []
    # the example as a reader expects it: APPS wraps most results in a one-element list
    first = outputs[0][0] if isinstance(outputs[0], list) and len(outputs[0]) == 1 else outputs[0]
    example = [f"assert {name}({call_args(inputs[0])}) == {literal(first)}"] if shown else []
    node = parse_starter(row.get("starter_code") or "", name) or find_function(reference, name)
    prompt = stub(node, name, (row.get("question") or "") + examples(example))
    difficulty = row.get("difficulty") or "unknown"
    return Problem(
        id=f"apps/{row['problem_id']}",
        prompt=prompt,
        entry_point=name,
        test="\n".join(codes) + "\n",
        test_setup=APPS_EQUAL,
        cases=[TestCase(code=c, visible=i < len(shown)) for i, c in enumerate(codes)],
        reference_solution=reference,
        null_solutions=null_solutions(prompt),
        source=f"{source} {row.get('url') or ''}".strip(),
        tags=["apps", f"difficulty:{difficulty}", f"split:{split}"],
    )


def _pairs(tests: Any) -> list[tuple[Any, Any]]:
    tests = tests or {}
    return list(zip(tests.get("input") or [], tests.get("output") or [], strict=False))


def map_code_contests(row: dict[str, Any], split: str, source: str) -> Problem:
    """A CodeContests problem as a stdio program: public tests shown, private and generated ones held out."""
    if row.get("input_file") or row.get("output_file"):
        raise Skipped("reads or writes named files instead of stdin/stdout")
    public = _pairs(row.get("public_tests"))
    hidden = _pairs(row.get("private_tests")) + _pairs(row.get("generated_tests"))[:MAX_GENERATED]
    if not public + hidden:
        raise Skipped("no tests")
    cases = stdio_cases(public + hidden, len(public))
    if not any(not c.visible for c in cases):
        raise Skipped("no held-out case within the size limit")
    sols = row.get("solutions") or {}
    python3 = [s for lang, s in zip(sols.get("language") or [], sols.get("solution") or [], strict=False)
               if lang == PYTHON3]
    reference = _python3_program(python3)
    examples_text = "".join(f"\n\nExample input:\n{c.input}Example output:\n{c.output}" for c in cases if c.visible)
    limit = (row.get("time_limit") or {}).get("seconds")
    tags = ["code_contests", "stdio", f"difficulty:{row.get('difficulty', 'unknown')}", f"split:{split}"]
    tags += [f"cf_rating:{row['cf_rating']}"] if row.get("cf_rating") else []
    tags += [f"time_limit:{limit}s"] if limit else []
    return Problem(
        id=f"code_contests/{row['name']}", kind="stdio",
        prompt=((row.get("description") or "").strip() or "(no statement)") + examples_text,
        cases=cases, reference_solution=reference, null_solutions=list(STDIO_NULLS), source=source, tags=tags,
    )
