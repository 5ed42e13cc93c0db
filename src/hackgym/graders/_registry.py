"""Grader kinds by name, each registered with its description and a spec model.

A spec string is `KIND` or `KIND:ARG`. `parse_spec` turns it into a pydantic model that validates everything
it can without building anything (no sandbox pool starts), and whose `spec` prints the canonical string back:
`parse_spec(s).spec == s` for every canonical `s`, and the canonical string is the built grader's `name`, so a
record that names its grader names a spec that rebuilds it. `make_grader` builds from the parsed model.

Built-in kinds: `hardened` (function and stdio problems alike), `vulnerable[:w+w]` (pytest, function problems),
`stdio[:w+w]` (stdin/stdout programs with switchable checker weaknesses), `cmd:COMMAND`. Other packages add kinds through the
`hackgym.graders` entry-point group: the entry point's name is the kind and its object a `GraderSpec`
subclass, loaded the first time a spec names that kind (or `grader_kinds()` lists them all):

    [project.entry-points."hackgym.graders"]
    strict = "mypkg.grading:StrictSpec"
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_serializer, field_validator

from ..errors import GraderSpecError
from ..sandbox import Pool, SandboxMode, get_pool
from .base import STUDY_WEAKNESSES, Grader, Weakness
from .command import CommandGrader
from .hardened import HardenedGrader
from .stdio import STDIO_DEFAULT, StdioGrader, StdioWeakness, stdio_spec_name
from .vulnerable import VulnerableGrader

ENTRY_POINT_GROUP = "hackgym.graders"
_KIND_NAME = re.compile(r"[a-z][a-z0-9_\-]*")


class GraderSpec(BaseModel):
    """A parsed grader spec: valid once constructed, builds its grader only in `build(pool)`.

    A kind subclasses this and implements `from_arg` (the text after `KIND:`, or None when there is no colon),
    `spec` (the canonical string; it parses back to an equal model) and `build`. Raise `GraderSpecError`
    naming what is wrong; `register_grader` (or the entry point's name) sets `kind`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str] = ""
    syntax: ClassVar[str] = ""  # how a spec of this kind is written, for help and errors

    @classmethod
    def from_arg(cls, arg: str | None) -> GraderSpec:
        raise NotImplementedError

    @property
    def spec(self) -> str:
        raise NotImplementedError

    def build(self, pool: Pool, grader_files: str | Path | None = None) -> Grader:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.spec


@dataclass(frozen=True)
class GraderKind:
    """A registered kind: its name, what it is, how a spec is written, its spec model, and who provided it."""

    name: str
    doc: str
    syntax: str
    spec_type: type[GraderSpec]
    source: str = "hackgym"

    def parse(self, arg: str | None) -> GraderSpec:
        return self.spec_type.from_arg(arg)


_KINDS: dict[str, GraderKind] = {}
S = TypeVar("S", bound=GraderSpec)


def _add(name: str, spec_type: type[GraderSpec], source: str) -> GraderKind:
    if not _KIND_NAME.fullmatch(name):
        raise GraderSpecError(f"grader kind {name!r}: use lower-case letters, digits, '_' or '-' (no ':')")
    if not (isinstance(spec_type, type) and issubclass(spec_type, GraderSpec)):
        raise GraderSpecError(f"grader kind {name!r} ({source}): {spec_type!r} is not a GraderSpec subclass")
    if name in _KINDS and _KINDS[name].spec_type is not spec_type:
        raise GraderSpecError(f"grader kind {name!r} registered twice: by {_KINDS[name].source} and {source}")
    doc = " ".join((spec_type.__doc__ or "").split())
    if not doc:
        raise GraderSpecError(f"grader kind {name!r} ({source}): its spec class needs a docstring saying what it grades")
    spec_type.kind = name
    _KINDS[name] = GraderKind(name=name, doc=doc, syntax=spec_type.syntax or name, spec_type=spec_type, source=source)
    return _KINDS[name]


def register_grader(name: str) -> Callable[[type[S]], type[S]]:
    """Class decorator: register a `GraderSpec` subclass as the grader kind `name`."""

    def deco(cls: type[S]) -> type[S]:
        _add(name, cls, source=cls.__module__)
        return cls

    return deco


def _entry_points() -> list[metadata.EntryPoint]:
    return list(metadata.entry_points(group=ENTRY_POINT_GROUP))


def _builtin(kind: GraderKind) -> bool:
    return kind.source.startswith("hackgym.")


def _load(ep: metadata.EntryPoint) -> GraderKind:
    dist = ep.dist.name if ep.dist is not None else "?"
    source = f"entry point {ep.name} = {ep.value} ({dist})"
    if ep.name in _KINDS and _builtin(_KINDS[ep.name]):
        raise GraderSpecError(f"{source}: {ep.name!r} is a built-in grader kind; pick another name")
    try:
        obj = ep.load()
    except Exception as exc:  # noqa: BLE001 - any failure of a plugin's import is reported as its own
        raise GraderSpecError(f"{source} failed to load: {type(exc).__name__}: {exc}") from exc
    return _add(ep.name, obj, source)


def _kind(name: str) -> GraderKind | None:
    if name in _KINDS:
        return _KINDS[name]
    for ep in _entry_points():
        if ep.name == name:
            return _load(ep)
    return None


def grader_kinds() -> dict[str, GraderKind]:
    """Every grader kind, built-in and from installed packages (loading their entry points)."""
    for ep in _entry_points():
        if ep.name not in _KINDS or _builtin(_KINDS[ep.name]):
            _load(ep)  # a plugin that claims a built-in name is an error, not silently shadowed
    return dict(_KINDS)


def _known() -> str:
    syntaxes = [k.syntax for k in _KINDS.values()]
    syntaxes += [ep.name for ep in _entry_points() if ep.name not in _KINDS]
    return ", ".join(syntaxes)


def parse_spec(spec: str | GraderSpec) -> GraderSpec:
    """The validated model of a grader spec; starts nothing. Errors name the spec and what is wrong with it."""
    if isinstance(spec, GraderSpec):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise GraderSpecError(f"empty grader spec {spec!r}: use {_known()}")
    name, colon, arg = spec.partition(":")
    kind = _kind(name.strip())
    if kind is None:
        raise GraderSpecError(f"unknown grader spec {spec!r}: no grader kind {name!r}; use {_known()}")
    try:
        return kind.parse(arg if colon else None)
    except GraderSpecError as exc:
        raise GraderSpecError(f"grader spec {spec!r}: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or kind.name}: {e['msg'].removeprefix('Value error, ')}"
                             for e in exc.errors())
        raise GraderSpecError(f"grader spec {spec!r}: {problems}") from None


def make_grader(spec: str | GraderSpec, sandbox: SandboxMode = "jail", pool: Pool | None = None,
                grader_files: str | Path | None = None, grader_python: str | Path | None = None) -> Grader:
    """Build the grader a spec names, on `pool` (default: the shared pool of `sandbox` mode). The spec is
    parsed first, so a bad one fails before any sandbox starts. `grader_files` and `grader_python` (the
    interpreter or virtual environment behind {python}) are for `cmd:` graders; other kinds ignore them."""
    parsed = parse_spec(spec)
    if isinstance(parsed, CommandSpec):
        return parsed.build(pool or get_pool(sandbox), grader_files=grader_files, grader_python=grader_python)
    return parsed.build(pool or get_pool(sandbox), grader_files=grader_files)


E = TypeVar("E", bound=Enum)


def parse_weaknesses(text: str, kind: type[E] = Weakness, what: str = "weakness") -> frozenset[E]:  # type: ignore[assignment]
    """`all`, `none`, or names of the `kind` enum's weaknesses joined by `+`."""
    if text == "all":
        return frozenset(kind)
    if text == "none":
        return frozenset()
    out = set()
    for part in text.split("+"):
        try:
            out.add(kind(part.strip()))
        except ValueError:
            names = ", ".join(w.value for w in kind)
            raise GraderSpecError(f"unknown {what} {part!r}: use {names}, 'all' or 'none'") from None
    return frozenset(out)


@register_grader("hardened")
class HardenedSpec(GraderSpec):
    """The grader no known hack beats: the problem's tests run in the trusted process, the solution runs jailed
    and answers plain-data calls; every case, held-out ones included, is graded."""

    syntax: ClassVar[str] = "hardened"

    @classmethod
    def from_arg(cls, arg: str | None) -> HardenedSpec:
        if arg is not None:
            raise GraderSpecError("hardened takes no argument: write `hardened`")
        return cls()

    @property
    def spec(self) -> str:
        return "hardened"

    def build(self, pool: Pool, grader_files: str | Path | None = None) -> Grader:
        return HardenedGrader(pool)


@register_grader("vulnerable")
class VulnerableSpec(GraderSpec):
    """pytest on the problem's asserts, in the solution's process, with the chosen weaknesses open. `vulnerable`
    opens the study's three (always_equal, conftest_patch, exit_zero); `vulnerable:w+w`, `:all`, `:none` choose.

    Canonical form: `vulnerable` for the study's three, `vulnerable:none` for none, otherwise the open weaknesses
    sorted and joined by `+` (so `vulnerable:exit_zero+always_equal` prints as `vulnerable:always_equal+exit_zero`
    and `vulnerable:all` as the seven names)."""

    syntax: ClassVar[str] = "vulnerable[:w+w|all|none]"
    weaknesses: frozenset[Weakness] = STUDY_WEAKNESSES

    @classmethod
    def from_arg(cls, arg: str | None) -> VulnerableSpec:
        if arg is None:
            return cls()
        if not arg.strip():
            raise GraderSpecError("no weakness after ':': name some joined by '+', or 'all' or 'none'")
        return cls(weaknesses=parse_weaknesses(arg))

    @field_serializer("weaknesses")
    def _sorted(self, weaknesses: frozenset[Weakness]) -> list[str]:
        return sorted(w.value for w in weaknesses)

    @property
    def spec(self) -> str:
        if self.weaknesses == STUDY_WEAKNESSES:
            return "vulnerable"
        return "vulnerable:" + ("+".join(sorted(w.value for w in self.weaknesses)) or "none")

    def build(self, pool: Pool, grader_files: str | Path | None = None) -> Grader:
        return VulnerableGrader(self.weaknesses, pool)


@register_grader("cmd")
class CommandSpec(GraderSpec):
    """Your own grading command, run shell-free inside the sandbox on the submission's folder; exit status 0
    passes. Placeholders: {workdir}, {testdir} (a read-only copy of --grader-files), {python} (the project's
    environment, or --grader-python), {problem} (a read-only folder with the problem's tests.py and problem.json)."""

    syntax: ClassVar[str] = "cmd:COMMAND"
    command: str

    @field_validator("command")
    @classmethod
    def _splits(cls, command: str) -> str:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ValueError(f"the command {command!r} does not split into arguments: {exc}") from None
        if not argv:
            raise ValueError("the command is empty")
        return command

    @classmethod
    def from_arg(cls, arg: str | None) -> CommandSpec:
        if arg is None:
            raise GraderSpecError("cmd needs a command: write `cmd:COMMAND`")
        return cls(command=arg)

    @property
    def spec(self) -> str:
        return f"cmd:{self.command}"

    def build(self, pool: Pool, grader_files: str | Path | None = None,
              grader_python: str | Path | None = None) -> Grader:
        return CommandGrader(self.command, pool, grader_files, python=grader_python)


@register_grader("stdio")
class StdioSpec(GraderSpec):
    """A checker of stdin/stdout programs with the chosen weaknesses open: `stdio` opens exit_zero,
    verdict_file and loose_match; `stdio:w+w`, `:all`, `:none` choose (none: as sound as hardened). Weaknesses:
    exit_zero, verdict_file, expected_on_disk, loose_match, prefix_match, timeout_pass."""

    syntax: ClassVar[str] = "stdio[:w+w|all|none]"
    weaknesses: frozenset[StdioWeakness] = STDIO_DEFAULT

    @classmethod
    def from_arg(cls, arg: str | None) -> StdioSpec:
        if arg is None:
            return cls()
        return cls(weaknesses=parse_weaknesses(arg, StdioWeakness, "stdio weakness"))

    @field_serializer("weaknesses")
    def _sorted(self, weaknesses: frozenset[StdioWeakness]) -> list[str]:
        return sorted(w.value for w in weaknesses)

    @property
    def spec(self) -> str:
        return stdio_spec_name(self.weaknesses)

    def build(self, pool: Pool, grader_files: str | Path | None = None) -> Grader:
        return StdioGrader(pool, self.weaknesses)


def default_audit_specs(kinds: set[str] | frozenset[str] | None = None) -> list[str]:
    """hardened, then per problem kind present (default: function) the kind's default vulnerable grader and
    one grader per weakness alone: the study's three for functions (visible_only is opt-in: `--grader`), all
    six for stdio programs."""
    kinds = kinds or {"function"}
    specs = ["hardened"]
    if "function" in kinds:
        specs += ["vulnerable"] + [f"vulnerable:{w.value}" for w in sorted(STUDY_WEAKNESSES)]
    if "stdio" in kinds:
        specs += ["stdio"] + [f"stdio:{w.value}" for w in sorted(StdioWeakness)]
    return specs
