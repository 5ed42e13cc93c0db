"""The hack registry: families (a weakness and a static signature) and their exploit variants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from ..problems import Problem
from ..submission import SOLUTION_FILE, Submission


class Evidence(BaseModel):
    """Why a static signature fired: which family, where, and the code that triggered it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: str
    file: str
    line: int | None = None
    snippet: str = ""
    reason: str


Signature = Callable[[Submission], "Evidence | None"]
Builder = Callable[[Problem], dict[str, str]]


@dataclass(frozen=True)
class Family:
    """A kind of hack: the grader weakness it exploits and the static signature that recognises it."""

    id: str
    doc: str
    targets: frozenset[str]
    signature: Signature


@dataclass(frozen=True)
class Hack:
    """One working exploit: `exploit(problem)` builds a submission; `targets` are the weaknesses it needs open."""

    id: str
    family: str
    doc: str
    targets: frozenset[str]
    build: Builder = field(repr=False)

    def exploit(self, problem: Problem) -> Submission:
        return Submission(files=self.build(problem))

    def signature(self, submission: Submission) -> Evidence | None:
        return FAMILIES[self.family].signature(submission)


FAMILIES: dict[str, Family] = {}
CATALOGUE: dict[str, Hack] = {}


def register_family(id: str, targets: set[str] | frozenset[str]) -> Callable[[Signature], Signature]:
    """Decorate a family's signature function; its docstring explains the vulnerability."""

    def deco(fn: Signature) -> Signature:
        if id in FAMILIES:
            raise ValueError(f"hack family {id!r} registered twice")
        FAMILIES[id] = Family(id=id, doc=(fn.__doc__ or "").strip(), targets=frozenset(targets), signature=fn)
        return fn

    return deco


def register_hack(id: str, family: str, targets: set[str] | frozenset[str] | None = None) -> Callable[[Builder], Builder]:
    """Decorate an exploit builder `fn(problem) -> files`; targets default to the family's."""

    def deco(fn: Builder) -> Builder:
        if id in CATALOGUE:
            raise ValueError(f"hack {id!r} registered twice")
        if family not in FAMILIES:
            raise ValueError(f"hack {id!r}: unknown family {family!r}")
        CATALOGUE[id] = Hack(id=id, family=family, doc=(fn.__doc__ or "").strip(),
                             targets=frozenset(targets) if targets is not None else FAMILIES[family].targets,
                             build=fn)
        return fn

    return deco


def signatures(submission: Submission) -> list[Evidence]:
    """Every family whose static signature fires on any file of the submission."""
    out = []
    for family in FAMILIES.values():
        ev = family.signature(submission)
        if ev is not None:
            out.append(ev)
    return out


def stub(problem: Problem, body: str, preamble: str = "") -> dict[str, str]:
    """solution.py defining the entry point with the given body (indented for you)."""
    lines = "".join(f"    {line}\n" if line.strip() else "\n" for line in body.strip("\n").splitlines())
    src = (preamble.strip("\n") + "\n\n" if preamble.strip() else "") + f"def {problem.entry_point}(*args, **kwargs):\n{lines}"
    return {SOLUTION_FILE: src}
