"""Versioned prompt assets in one place, so every run can name the exact prompt text it used.

The assets live in `assets/prompts.yaml` (name, version, kind, text). A record cites a prompt as
`name@vN` (`Prompt.ref`); change a text only together with its version.
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
    "HINTS", "ADDENDA",
]

Kind = Literal["system", "hint", "addendum", "user", "sdf"]
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


@functools.cache
def _registry() -> dict[str, Prompt]:
    raw = yaml.safe_load(resources.files("hackgym").joinpath("prompts/assets/prompts.yaml").read_text("utf-8"))
    out: dict[str, Prompt] = {}
    for entry in raw:
        prompt = Prompt.model_validate(entry)
        if prompt.name in out:
            raise PromptError(f"prompt {prompt.name!r} is defined twice in prompts.yaml")
        out[prompt.name] = prompt
    return out


def list_prompts() -> list[Prompt]:
    return list(_registry().values())


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


def system_prompt_refs(hint: str | None = None, addendum: str | None = None) -> list[str]:
    """The `name@vN` refs that `system_prompt` with the same arguments is built from."""
    names = ["coding_system", "reasoning"] + [n for n in (hint, addendum) if n]
    return [get_prompt(n).ref for n in names]


def system_prompt(hint: str | None = None, addendum: str | None = None) -> str:
    """Base coding prompt + reasoning instruction + optional hint + optional inoculation addendum.

    `hint` is `hack_hint` or `neutral_hint`; `addendum` one of ADDENDA (`neutral` adds nothing).
    """
    parts = [get_prompt("coding_system").text, get_prompt("reasoning").text]
    if hint:
        parts.append(_of_kind(hint, "hint").text)
    if addendum:
        parts.append(_of_kind(addendum, "addendum").text)
    return "\n\n".join(p for p in parts if p.strip())


def user_prompt(problem: Problem) -> str:
    """The user turn for a problem: its signature and docstring in a code block."""
    template = Template(get_prompt("coding_user").text)
    return template.substitute(prompt=problem.prompt.rstrip("\n"), entry_point=problem.entry_point)
