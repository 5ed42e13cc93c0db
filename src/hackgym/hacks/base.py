"""The hack registry: families (a weakness and a static signature) and their exploit variants.

Each family and hack carries its metadata (id, doc, targets, variants, the module that registered it), listed
by `list_families()`. Other packages add families through the `hackgym.hacks` entry-point group: each entry
point names a module (importing it registers its families and hacks with the decorators below) or a function
called with no arguments; `hackgym.hacks` loads them all when it is imported, so every consumer of the
catalogue (audit, detect, metrics) sees them:

    [project.entry-points."hackgym.hacks"]
    my_family = "mypkg.hacks"
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata

from pydantic import BaseModel, ConfigDict

from ..errors import HackgymError
from ..problems import Problem
from ..submission import SOLUTION_FILE, Submission

ENTRY_POINT_GROUP = "hackgym.hacks"
_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")  # a hack's id is `family.variant`


class HackRegistryError(HackgymError, ValueError):
    """A family or hack cannot be registered as written, or a plugin that registers some failed to load."""


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
    signature: Signature = field(repr=False)
    module: str = ""
    kinds: frozenset[str] = frozenset({"function"})  # the problem kinds its exploits are built for

    @property
    def variants(self) -> tuple[str, ...]:
        """The ids of this family's hacks, in registration order."""
        return tuple(h.id for h in CATALOGUE.values() if h.family == self.id)

    def info(self) -> FamilyInfo:
        return FamilyInfo(id=self.id, doc=inspect.cleandoc(self.doc), targets=sorted(self.targets), module=self.module,
                          kinds=sorted(self.kinds), variants=[CATALOGUE[h].info() for h in self.variants])


@dataclass(frozen=True)
class Hack:
    """One working exploit: `exploit(problem)` builds a submission; `targets` are the weaknesses it needs open."""

    id: str
    family: str
    doc: str
    targets: frozenset[str]
    build: Builder = field(repr=False)
    module: str = ""
    kinds: frozenset[str] = frozenset({"function"})  # problem kinds it applies to: a function or a stdio program

    def applies_to(self, problem: Problem) -> bool:
        return problem.kind in self.kinds

    def exploit(self, problem: Problem) -> Submission:
        return Submission(files=self.build(problem))

    def signature(self, submission: Submission) -> Evidence | None:
        return FAMILIES[self.family].signature(submission)

    def info(self) -> HackInfo:
        return HackInfo(id=self.id, family=self.family, doc=inspect.cleandoc(self.doc), targets=sorted(self.targets),
                        module=self.module, kinds=sorted(self.kinds))


class HackInfo(BaseModel):
    """A hack's metadata as plain data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    family: str
    doc: str
    targets: list[str]
    module: str
    kinds: list[str] = ["function"]


class FamilyInfo(BaseModel):
    """A family's metadata as plain data, with its variants (the hacks registered under it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    doc: str
    targets: list[str]
    module: str
    kinds: list[str] = ["function"]
    variants: list[HackInfo]


FAMILIES: dict[str, Family] = {}
CATALOGUE: dict[str, Hack] = {}


def _checked(what: str, id: str, fn: Callable, targets: set[str] | frozenset[str] | None) -> str:
    """The docstring of a family or hack being registered, after checking its id, docstring and targets."""
    if not _ID.fullmatch(id):
        raise HackRegistryError(f"{what} id {id!r}: use lower-case letters, digits, '_' (and '.' in a hack's id)")
    doc = (fn.__doc__ or "").strip()
    if not doc:
        raise HackRegistryError(f"{what} {id!r} ({fn.__module__}.{fn.__name__}): needs a docstring saying what it does")
    if targets is not None and (isinstance(targets, str) or not targets or not all(isinstance(t, str) for t in targets)):
        raise HackRegistryError(f"{what} {id!r}: targets must be a non-empty set of weakness names, got {targets!r}")
    return doc


def register_family(id: str, targets: set[str] | frozenset[str],
                    kinds: frozenset[str] = frozenset({"function"})) -> Callable[[Signature], Signature]:
    """Decorate a family's signature function; its docstring explains the vulnerability and how it is closed.
    `kinds`: the problem kinds its exploits target (`function`, `stdio`), the default for its hacks."""

    def deco(fn: Signature) -> Signature:
        if id in FAMILIES:
            raise HackRegistryError(f"hack family {id!r} registered twice (first by {FAMILIES[id].module})")
        doc = _checked("hack family", id, fn, targets)
        FAMILIES[id] = Family(id=id, doc=doc, targets=frozenset(targets), signature=fn, module=fn.__module__,
                              kinds=frozenset(kinds))
        return fn

    return deco


def register_hack(id: str, family: str, targets: set[str] | frozenset[str] | None = None,
                  kinds: frozenset[str] | None = None) -> Callable[[Builder], Builder]:
    """Decorate an exploit builder `fn(problem) -> files`; targets and problem kinds default to the family's."""

    def deco(fn: Builder) -> Builder:
        if id in CATALOGUE:
            raise HackRegistryError(f"hack {id!r} registered twice (first by {CATALOGUE[id].module})")
        if family not in FAMILIES:
            raise HackRegistryError(f"hack {id!r}: unknown family {family!r}; register the family first")
        doc = _checked("hack", id, fn, targets)
        CATALOGUE[id] = Hack(id=id, family=family, doc=doc,
                             targets=frozenset(targets) if targets is not None else FAMILIES[family].targets,
                             build=fn, module=fn.__module__,
                             kinds=frozenset(kinds) if kinds is not None else FAMILIES[family].kinds)
        return fn

    return deco


def list_families() -> list[FamilyInfo]:
    """Every family's metadata with its variants, in registration order (the study's three first)."""
    return [f.info() for f in FAMILIES.values()]


_LOADED: set[tuple[str, str]] = set()


def load_plugins() -> list[str]:
    """Load the `hackgym.hacks` entry points not loaded yet; returns their names. A plugin that fails to load
    raises, naming the entry point and its distribution: a catalogue silently missing families would change
    every label and audit."""
    loaded = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if (ep.name, ep.value) in _LOADED:
            continue
        dist = ep.dist.name if ep.dist is not None else "?"
        try:
            obj = ep.load()
            if callable(obj) and not inspect.ismodule(obj):
                obj()
        except Exception as exc:  # noqa: BLE001 - any failure of a plugin is reported as that plugin's
            raise HackRegistryError(f"hack plugin {ep.name} = {ep.value} ({dist}) failed to load: "
                                    f"{type(exc).__name__}: {exc}") from exc
        _LOADED.add((ep.name, ep.value))
        loaded.append(ep.name)
    return loaded


def signatures(submission: Submission, kind: str | None = None) -> list[Evidence]:
    """Every family whose static signature fires on any file of the submission; with `kind`, only the families
    that apply to that problem kind (a function's early `sys.exit(0)` is `exit_zero`, not also a stdio
    program's `empty_output`)."""
    out = []
    for family in FAMILIES.values():
        if kind is not None and kind not in family.kinds and not any(kind in CATALOGUE[h].kinds
                                                                     for h in family.variants):
            continue
        ev = family.signature(submission)
        if ev is not None:
            out.append(ev)
    return out


def stub(problem: Problem, body: str, preamble: str = "") -> dict[str, str]:
    """solution.py defining the entry point with the given body (indented for you)."""
    lines = "".join(f"    {line}\n" if line.strip() else "\n" for line in body.strip("\n").splitlines())
    src = (preamble.strip("\n") + "\n\n" if preamble.strip() else "") + f"def {problem.entry_point}(*args, **kwargs):\n{lines}"
    return {SOLUTION_FILE: src}
