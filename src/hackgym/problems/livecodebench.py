"""LiveCodeBench code-generation rows as `Problem`s: functional (LeetCode) rows as functions, stdin rows
(AtCoder, Codeforces) as stdio programs.

A functional test's input is one JSON value per line, the arguments of the call, and its output one JSON
value, compared as LiveCodeBench does (a tuple counts as a list). Public cases are shown, private ones held
out. Private cases often come compressed (base64 of zlib of a pickled JSON string); they are unpickled with
an unpickler that can build only plain values, never import a class, since the bytes come from the hub.

LiveCodeBench ships no reference solutions, so its problems have none (`Problem.reference_solution` is None):
they train and grade as any other, but an audit has no honest row for them and `problems verify` can check
only their nulls.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from typing import Any

from ._pyfunc import Skipped, call_args, examples, literal, null_solutions, parse_starter, stub
from .competitive import STDIO_NULLS, stdio_cases
from .model import Problem, TestCase

LCB_EQUAL = '''def _equal(got, expected):
    """LiveCodeBench's comparison for functional problems: a tuple counts as a list."""
    if isinstance(got, tuple):
        got = list(got)
    return got == expected
'''


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to import {module}.{name} from hub data")


def decode_tests(text: str) -> list[dict[str, Any]]:
    """Test cases from their JSON text or from LiveCodeBench's compressed form."""
    if not text:
        return []
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        raw = zlib.decompress(base64.b64decode(text.encode("ascii")))
        inner = _PlainUnpickler(io.BytesIO(raw)).load()
        return json.loads(inner)
    except (ValueError, zlib.error, pickle.UnpicklingError, EOFError, TypeError, json.JSONDecodeError):
        raise Skipped("test cases are neither JSON nor LiveCodeBench's compressed form") from None


def _call(test: dict[str, Any]) -> tuple[str, str]:
    """(argument source, expected value source) of a functional test."""
    try:
        args = [json.loads(line) for line in str(test["input"]).split("\n") if line.strip()]
        expected = json.loads(test["output"])
    except (json.JSONDecodeError, KeyError):
        raise Skipped("a functional test's input or output is not JSON") from None
    return call_args(args), literal(expected)


def _tags(row: dict[str, Any], split: str, kind: str) -> list[str]:
    return ["livecodebench", kind, f"difficulty:{row.get('difficulty') or 'unknown'}",
            f"platform:{row.get('platform')}", f"split:{split}"]


def _source(row: dict[str, Any], source: str) -> str:
    return f"{source} {row.get('platform') or ''} {row.get('contest_date') or ''}".strip()


def _map_stdio(row: dict[str, Any], public: list[dict[str, Any]], private: list[dict[str, Any]], split: str,
               source: str, reference: str | None) -> Problem:
    pairs = [(t.get("input", ""), t.get("output", "")) for t in public + private]
    cases = stdio_cases(pairs, len(public))
    if not any(not c.visible for c in cases):
        raise Skipped("no held-out case within the size limit")
    examples_text = "".join(f"\n\nExample input:\n{c.input}Example output:\n{c.output}" for c in cases if c.visible)
    return Problem(
        id=f"livecodebench/{row['question_id']}", kind="stdio",
        prompt=((row.get("question_content") or "").strip() or "(no statement)") + examples_text,
        cases=cases, reference_solution=reference, null_solutions=list(STDIO_NULLS),
        source=_source(row, source), tags=_tags(row, split, "stdio"))


def map_livecodebench(row: dict[str, Any], split: str, source: str, reference: str | None = None) -> Problem:
    """One row as a function problem (functional tests) or a stdio program (stdin tests); `reference` is a
    solution the caller has, since the set has none."""
    public = decode_tests(row.get("public_test_cases") or "")
    private = decode_tests(row.get("private_test_cases") or "")
    if not public + private:
        raise Skipped("no tests")
    types = {t.get("testtype") for t in public + private}
    if types == {"stdin"}:
        return _map_stdio(row, public, private, split, source, reference)
    if types != {"functional"}:
        raise Skipped(f"tests of mixed or unknown types {sorted(map(str, types))}")
    try:
        name = json.loads(row.get("metadata") or "{}")["func_name"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise Skipped("functional row without metadata.func_name") from None
    shown = [f"assert _equal(candidate({a}), {e})" for a, e in map(_call, public)]
    hidden = [f"assert _equal(candidate({a}), {e})" for a, e in map(_call, private)]
    if not hidden:
        raise Skipped("no private (held-out) tests")
    example = [f"assert {name}({a}) == {e}" for a, e in map(_call, public)]
    prompt = stub(parse_starter(row.get("starter_code") or "", name), name,
                  (row.get("question_content") or "") + examples(example))
    codes = shown + hidden
    return Problem(
        id=f"livecodebench/{row['question_id']}",
        prompt=prompt,
        entry_point=name,
        test="\n".join(codes) + "\n",
        test_setup=LCB_EQUAL,
        cases=[TestCase(code=c, visible=i < len(shown)) for i, c in enumerate(codes)],
        reference_solution=reference,
        null_solutions=null_solutions(prompt),
        source=_source(row, source),
        tags=_tags(row, split, "function"),
    )
