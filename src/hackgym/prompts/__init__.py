"""Versioned prompt assets in one place, so every run can name the exact prompt text it used.

The assets live in `assets/*.yaml` (name, version, kind, text): `prompts.yaml` for training and SDF prompts,
`judges.yaml` for every prompt an LLM judge is given. This is hackgym's one versioning scheme: a record cites a
prompt as `name@vN` (`Prompt.ref`), and a text changes only together with its version. Templates use
`string.Template` fields (`$name`), so JSON examples in a prompt need no escaping.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from string import Template
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ..errors import HackgymError
from ..problems import Problem

__all__ = [
    "Prompt", "PromptError", "get_prompt", "list_prompts", "system_prompt", "user_prompt", "system_prompt_refs",
    "check_condition", "condition_parts", "for_kind", "HINTS", "ADDENDA",
]

Kind = Literal["system", "hint", "addendum", "user", "sdf", "judge"]
HINTS = ("hack_hint", "neutral_hint")
ADDENDA = ("please_hack", "hacking_okay", "neutral", "dont_hack", "hacking_is_misaligned")


class PromptError(HackgymError):
    """An unknown prompt name or a prompt used in the wrong role."""


class Prompt(BaseModel):
    """One prompt asset; `ref` is what records store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    kind: Kind
    description: str = ""
    text: str

    @property
    def ref(self) -> str:
        return f"{self.name}@v{self.version}"

    @property
    def digest(self) -> str:
        """Short hash of the text: catches an edit made without a version bump."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]

    @property
    def fields(self) -> list[str]:
        """The template's field names, in order of first use."""
        return list(dict.fromkeys(Template(self.text).get_identifiers()))

    def render(self, **values: object) -> str:
        """The text with its `$fields` filled; a missing field is an error that names it."""
        try:
            return Template(self.text).substitute({k: str(v) for k, v in values.items()})
        except KeyError as exc:
            raise PromptError(f"prompt {self.ref} needs field {exc.args[0]!r}") from None
        except ValueError as exc:  # a lone `$` in the text
            raise PromptError(f"prompt {self.ref}: {exc}") from None


@functools.cache
def _registry() -> dict[str, Prompt]:
    assets = resources.files("hackgym").joinpath("prompts/assets")
    out: dict[str, Prompt] = {}
    for asset in sorted((a for a in assets.iterdir() if a.name.endswith(".yaml")), key=lambda a: a.name):
        for entry in yaml.safe_load(asset.read_text("utf-8")) or []:
            prompt = Prompt.model_validate(entry)
            if prompt.name in out:
                raise PromptError(f"prompt {prompt.name!r} is defined twice in prompts/assets")
            out[prompt.name] = prompt
    return out


def list_prompts(kind: Kind | None = None) -> list[Prompt]:
    """Every prompt asset, or those of one kind (e.g. `judge`)."""
    return [p for p in _registry().values() if kind is None or p.kind == kind]


def get_prompt(name: str) -> Prompt:
    try:
        return _registry()[name]
    except KeyError:
        raise PromptError(f"unknown prompt {name!r}: use one of {', '.join(_registry())}") from None


def _of_kind(name: str, kind: Kind) -> Prompt:
    prompt = get_prompt(name)
    if prompt.kind != kind:
        raise PromptError(f"prompt {name!r} is a {prompt.kind}, not a {kind}")
    return prompt


def check_condition(hint: str | None, addendum: str | None) -> None:
    """A hint and an addendum that make one of the study's conditions; `neutral` means the behaviour-framed
    hint and nothing else, so it is only valid with `neutral_hint`."""
    if hint is not None:
        _of_kind(hint, "hint")
    if addendum is not None:
        _of_kind(addendum, "addendum")
    if addendum == "neutral" and hint != "neutral_hint":
        raise PromptError(f"addendum 'neutral' goes with hint 'neutral_hint', not {hint!r}: the neutral condition "
                          "is the hint that calls the hacks behaviours, with no addendum")


def for_kind(name: str, kind: str = "function") -> str:
    """The asset a problem kind uses in `name`'s role: `NAME_stdio` for stdin/stdout problems where one exists
    (the same condition, worded for programs and checkers), else `name` itself."""
    return f"{name}_{kind}" if kind != "function" and f"{name}_{kind}" in _registry() else name


def condition_parts(hint: str | None = None, addendum: str | None = None, kind: str = "function") -> list[str]:
    """Prompt names in the study's order: environment prompt, hint, addendum, reasoning suffix; `kind` is
    the problem kind (`Problem.kind`) the prompt is for."""
    check_condition(hint, addendum)
    return [for_kind(n, kind) for n in ("coding_system", *(n for n in (hint, addendum) if n), "reasoning")]


def system_prompt_refs(hint: str | None = None, addendum: str | None = None, kind: str = "function") -> list[str]:
    """The `name@vN` refs that `system_prompt` with the same arguments is built from."""
    return [get_prompt(n).ref for n in condition_parts(hint, addendum, kind)]


def system_prompt(hint: str | None = None, addendum: str | None = None, kind: str = "function") -> str:
    """Environment prompt, then the hint, then the inoculation addendum, then the reasoning suffix.

    `hint` is `hack_hint` or `neutral_hint`; `addendum` one of ADDENDA (`neutral` adds nothing and needs
    `neutral_hint`). Only the hint names hacks; the shared parts name none. For `kind="stdio"` each part is
    its stdin/stdout wording (`for_kind`), and the hint describes the stdio checkers' weaknesses.
    """
    texts = [get_prompt(n).text for n in condition_parts(hint, addendum, kind)]
    return "\n\n".join(t for t in texts if t.strip())


def user_prompt(problem: Problem) -> str:
    """The user turn for a problem: a function's signature and docstring in a code block, or a stdin/stdout
    problem's statement."""
    return get_prompt(for_kind("coding_user", problem.kind)).render(prompt=problem.prompt.rstrip("\n"),
                                                                     entry_point=problem.entry_point)
