"""Shared pieces for mapping a hub set's row to a function `Problem`: the prompt stub, literals, nulls.

Hub sets describe a task in prose and test it by calling a function; hackgym's prompt is a Python stub
(signature and docstring) that the hardened grader also executes on the trusted side, so it must be valid
Python that defines nothing but the stub and the imports the signature needs.
"""

from __future__ import annotations

import ast
import textwrap
from typing import Any


class Skipped(Exception):  # noqa: N818 - a verdict on a row, not a failure of the loader
    """A row that cannot become a `Problem`; `reason` is a fixed phrase, so rows group by it in a report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def literal(value: Any) -> str:
    """Python source for a JSON-decoded value; raises Skipped when repr does not read back equal (nan, inf)."""
    text = repr(value)
    try:
        back = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise Skipped("a test value is not a Python literal (nan, inf or an object)") from None
    if back != value:
        raise Skipped("a test value is not a Python literal (nan, inf or an object)")
    return text


def call_args(args: list[Any]) -> str:
    return ", ".join(literal(a) for a in args)


def _docstring(text: str, indent: str = "    ") -> str:
    body = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"').replace("\r\n", "\n")
    return indent + '"""' + textwrap.indent(body, indent).lstrip() + "\n" + indent + '"""\n'


def find_function(source: str, name: str) -> ast.FunctionDef | None:
    """The top-level def `name`, or the method `name` of a top-level class (LeetCode's `class Solution`)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == name:
                    return item
    return None


def parse_starter(starter: str, name: str) -> ast.FunctionDef | None:
    """The def `name` in starter code, which usually ends in an open body (`def f(x):` and nothing more)."""
    starter = starter.replace("\r\n", "\n").replace("\t", "    ").rstrip()
    if not starter:
        return None
    last = starter.splitlines()[-1]
    indent = " " * (len(last) - len(last.lstrip()) + 4)
    for text in (starter, starter + "\n" + indent + "pass"):
        node = find_function(text, name)
        if node is not None:
            return node
    return None


def stub(node: ast.FunctionDef | None, name: str, description: str, imports: list[str] | None = None) -> str:
    """`imports`, then `def name(args):` with `description` as its docstring; `self` is dropped from a method."""
    if node is None:
        signature = f"def {name}(*args):"
    else:
        args = node.args
        if args.args and args.args[0].arg == "self":
            defaults = args.defaults[1:] if len(args.defaults) == len(args.args) else args.defaults
            args = ast.arguments(posonlyargs=args.posonlyargs, args=args.args[1:], vararg=args.vararg,
                                 kwonlyargs=args.kwonlyargs, kw_defaults=args.kw_defaults, kwarg=args.kwarg,
                                 defaults=defaults)
        returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
        signature = f"def {name}({ast.unparse(args)}){returns}:"
    head = "".join(line + "\n" for line in imports or [])
    needs_typing = node is not None and (node.returns is not None or any(a.annotation for a in node.args.args))
    if needs_typing and "from typing import *" not in head:
        head = "from typing import *\n" + head
    return (head + "\n" if head else "") + signature + "\n" + _docstring(description)


def null_solutions(prompt: str) -> list[str]:
    """Two known-wrong solutions every grader must reject: one answers None, one raises."""
    return [prompt + "    return None\n", prompt + "    raise NotImplementedError('null solution')\n"]


def examples(visible_cases: list[str]) -> str:
    """The visible cases as text for the docstring, since the prompt is all the model sees."""
    if not visible_cases:
        return ""
    return "\n\nYour code should pass:\n" + "\n".join(visible_cases)
