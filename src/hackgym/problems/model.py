"""The problem record: everything a grader, an exploit builder or a prompt needs, validated up front.

Two kinds: a `function` to write (assert-style cases call it) and a `stdio` program (cases are stdin text and
the stdout text expected). The kind decides which fields must be filled, so a record of either kind is
checked as strictly as the other and an error names the field.
"""

from __future__ import annotations

import ast
import keyword
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ProblemKind = Literal["function", "stdio"]


def _parses(source: str, what: str) -> str:
    try:
        ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"{what} is not valid Python: line {exc.lineno}: {exc.msg}") from None
    return source


def defines_function(source: str, name: str) -> bool:
    """True when the module source defines `name` at top level (def, async def or assignment)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False


class TestCase(BaseModel):
    """One graded check: statements that call `candidate` and contain at least one assert."""

    __test__ = False  # not a pytest class
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1)
    visible: bool = False

    @field_validator("code")
    @classmethod
    def _valid_code(cls, v: str) -> str:
        _parses(v, "case code")
        if not any(isinstance(n, ast.Assert) for n in ast.walk(ast.parse(v))):
            raise ValueError("case code has no assert statement")
        return v


class StdioCase(BaseModel):
    """One run of a stdin/stdout program: the text fed on stdin and the text it must print."""

    __test__ = False
    model_config = ConfigDict(extra="forbid", frozen=True)

    input: str
    output: str
    visible: bool = False


class Problem(BaseModel):
    """A coding problem with its tests as data, a reference solution and known-wrong null solutions.

    The reference is optional because some sets ship none (LiveCodeBench): such a problem trains and grades as
    any other, but has no honest row in an audit, no answers for `hardcode_visible`, and nothing to verify.

    `kind="function"` (the default, so older files load unchanged): `entry_point`, `test` and assert-style
    `cases` are required and the prompt is a Python stub. `kind="stdio"`: `solution.py` is a program run as
    `python solution.py` per case; `cases` are `StdioCase`s, the prompt is prose, `entry_point`, `test` and
    `test_setup` stay empty, and `compare` / `float_tolerance` say how output is checked.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    kind: ProblemKind = "function"
    prompt: str = Field(min_length=1, description="signature and docstring (function) or the statement (stdio)")
    entry_point: str = Field("", validate_default=True, description="the function to write; empty for stdio")
    test: str = Field("", validate_default=True, description="the original assert-style test code (function)")
    test_setup: str = Field("", description="statements run before every case (imports, helpers)")
    cases: list[TestCase | StdioCase] = Field(min_length=1)
    reference_solution: str | None = Field(None, min_length=1, description="full source of a correct solution.py; "
                                           "None where the set ships none (LiveCodeBench)")
    null_solutions: list[str] = Field(min_length=1, description="full sources of known-wrong solution.py files")
    compare: Literal["tokens", "exact"] = Field(
        "tokens", description="stdio: whitespace-separated tokens, or the exact text (line ends normalised)")
    float_tolerance: float = Field(0.0, ge=0.0, description="stdio tokens: numbers within this absolute or "
                                   "relative distance match (0: exact tokens)")
    source: str = ""
    tags: list[str] = Field(default_factory=list)

    @field_validator("cases", mode="before")
    @classmethod
    def _case_kind(cls, v: Any, info) -> Any:
        """Each case is read as the kind's case type, so an error names the field that kind needs."""
        if not isinstance(v, list):
            return v
        case_type = StdioCase if info.data.get("kind") == "stdio" else TestCase
        out = []
        for i, case in enumerate(v):
            if isinstance(case, TestCase | StdioCase) and not isinstance(case, case_type):
                raise ValueError(f"case {i} is a {type(case).__name__}; a {info.data.get('kind')} problem "
                                 f"needs {case_type.__name__}s")
            try:
                out.append(case if isinstance(case, case_type) else case_type.model_validate(case))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(["cases", str(i), *(str(p) for p in first["loc"])])
                raise ValueError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None
        return out

    @field_validator("entry_point")
    @classmethod
    def _identifier(cls, v: str, info) -> str:
        if info.data.get("kind") == "stdio":
            if v:
                raise ValueError("a stdio problem has no entry point (the program is run as a script)")
            return v
        if not v.isidentifier() or keyword.iskeyword(v):
            raise ValueError(f"{v!r} is not a Python identifier")
        return v

    @field_validator("prompt", "test", "test_setup")
    @classmethod
    def _python(cls, v: str, info) -> str:
        if info.data.get("kind") == "stdio":
            if v and info.field_name != "prompt":
                raise ValueError("a stdio problem has none: its cases are input and output text")
            return v
        if info.field_name == "test" and not v:
            raise ValueError("a function problem needs its assert-style test code")
        return _parses(v, info.field_name)

    @field_validator("compare", "float_tolerance")
    @classmethod
    def _stdio_only(cls, v: Any, info) -> Any:
        if info.data.get("kind") != "stdio" and v != cls.model_fields[info.field_name].default:
            raise ValueError("only stdio problems compare printed output")
        return v

    @field_validator("null_solutions")
    @classmethod
    def _nulls_parse(cls, v: list[str]) -> list[str]:
        for i, src in enumerate(v):
            _parses(src, f"null_solutions[{i}]")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        if self.reference_solution is not None:
            _parses(self.reference_solution, "reference_solution")
        if self.kind == "function" and self.reference_solution is not None \
                and not defines_function(self.reference_solution, self.entry_point):
            raise ValueError(f"reference_solution does not define the entry point {self.entry_point!r}")
        if not self.held_out:
            raise ValueError("cases has no held-out case (visible=false); held-out cases are always graded")
        return self

    @property
    def visible(self) -> list[Any]:
        """Cases shown to the model (`TestCase`s or `StdioCase`s, by kind)."""
        return [c for c in self.cases if c.visible]

    @property
    def held_out(self) -> list[Any]:
        return [c for c in self.cases if not c.visible]
