"""APPS and CodeContests rows as `Problem`s: only function-call rows map; stdin/stdout programs are skipped.

APPS marks a call-based row with `fn_name` in `input_output`; each input is an argument list and each
output the expected return value, compared by APPS's own rule (a tuple counts as a list, and an output
wrapped in a one-element list also matches its element), which `_equal` in the test setup reproduces.
CodeContests holds only stdin/stdout programs, which need hackgym's second problem kind (issue 15, item 2).
A LeetCode-style reference (`class Solution`) is given a top-level function that calls the method, because
graders call the entry point at module level.
"""

from __future__ import annotations

import json
from typing import Any

from ._pyfunc import Skipped, call_args, examples, find_function, literal, null_solutions, parse_starter, stub
from .model import Problem, TestCase

STDIO = "stdin/stdout program: hackgym's stdio problem kind is not built yet (issue 15, item 2)"

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


def map_apps(row: dict[str, Any], split: str, source: str) -> Problem:
    io = _json(row.get("input_output"), "input_output")
    if not io or not io.get("inputs"):
        raise Skipped("no tests")
    name = io.get("fn_name")
    if not name:
        raise Skipped(STDIO)
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


def map_code_contests(row: dict[str, Any], split: str, source: str) -> Problem:
    """Every CodeContests problem reads stdin and writes stdout, so every row is skipped for now."""
    raise Skipped(STDIO)
