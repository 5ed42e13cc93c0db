"""The problem record: everything a grader, an exploit builder or a prompt needs, validated up front."""

from __future__ import annotations

import ast
import keyword

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


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


class Problem(BaseModel):
    """A coding problem with its tests as data, a reference solution and known-wrong null solutions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1, description="signature and docstring, as shown to the model")
    entry_point: str
    test: str = Field(min_length=1, description="the original assert-style test code")
    test_setup: str = Field("", description="statements run before every case (imports, helpers)")
    cases: list[TestCase] = Field(min_length=1)
    reference_solution: str = Field(min_length=1, description="full source of a correct solution.py")
    null_solutions: list[str] = Field(min_length=1, description="full sources of known-wrong solution.py files")
    source: str = ""
    tags: list[str] = Field(default_factory=list)

    @field_validator("entry_point")
    @classmethod
    def _identifier(cls, v: str) -> str:
        if not v.isidentifier() or keyword.iskeyword(v):
            raise ValueError(f"{v!r} is not a Python identifier")
        return v

    @field_validator("prompt", "test", "test_setup")
    @classmethod
    def _python(cls, v: str, info) -> str:
        return _parses(v, info.field_name)

    @field_validator("null_solutions")
    @classmethod
    def _nulls_parse(cls, v: list[str]) -> list[str]:
        for i, src in enumerate(v):
            _parses(src, f"null_solutions[{i}]")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        _parses(self.reference_solution, "reference_solution")
        if not defines_function(self.reference_solution, self.entry_point):
            raise ValueError(f"reference_solution does not define the entry point {self.entry_point!r}")
        if not self.held_out:
            raise ValueError("cases has no held-out case (visible=false); held-out cases are always graded")
        return self

    @property
    def visible(self) -> list[TestCase]:
        return [c for c in self.cases if c.visible]

    @property
    def held_out(self) -> list[TestCase]:
        return [c for c in self.cases if not c.visible]
