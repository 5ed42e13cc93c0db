"""Safety-training prompt sets written for hackgym (issue 16): chat, agentic-scenario and moral-dilemma prompts.

The files live in `hackgym/data/safety/` (built by `scripts/build_safety_prompts.py`; see the data card
`hackgym/data/safety/README.md`). `load_prompts()` reads and validates them all-or-nothing: the first bad record
raises a `SafetyPromptError` naming the file, the line and the field.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import HackgymError
from .records import InputLineError, read_records

__all__ = ["VERSION", "KINDS", "FILES", "SafetyPrompt", "SafetyPromptError", "load_prompts", "load_file",
           "dump_jsonl"]

VERSION = 1
Kind = Literal["chat", "agentic", "dilemma"]
KINDS: tuple[str, ...] = ("chat", "agentic", "dilemma")
FILES: dict[str, str] = {kind: f"{kind}.v{VERSION}.jsonl" for kind in KINDS}
DATA_DIR = "data/safety"


class SafetyPromptError(HackgymError, ValueError):
    """A safety prompt record or file is invalid."""


class _FieldError(ValueError):
    """A check across fields, blamed on one of them so the loader's message can name it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class SafetyPrompt(BaseModel):
    """One single-turn safety-training prompt.

    `base` names the hand-written base scenario the prompt was built from (several prompts share one);
    `category` and `expected` are for chat prompts only: `everyday`, `borderline` (both `help`) or `harmful`
    (`refuse`). Agentic prompts carry the system prompt that sets the agent's role and situation.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^(chat|agentic|dilemma)-[a-z0-9_]+-\d{2}$")
    kind: Kind
    base: str = Field(pattern=r"^[a-z0-9_]+$")
    topic: str = Field(min_length=1)
    category: Literal["everyday", "borderline", "harmful"] | None = None
    system: str | None = None
    prompt: str = Field(min_length=10)
    expected: Literal["refuse", "help"] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SafetyPrompt:
        if not self.id.startswith(f"{self.kind}-{self.base}-"):
            raise _FieldError("id", f"{self.id!r} must start with '{self.kind}-{self.base}-' (kind-base-)")
        if self.kind == "chat":
            for name in ("category", "expected"):
                if getattr(self, name) is None:
                    raise _FieldError(name, "a chat prompt needs `category` and `expected`")
            if (self.expected == "refuse") != (self.category == "harmful"):
                raise _FieldError("expected", "`expected: refuse` goes with `category: harmful` and only with it")
        else:
            for name in ("category", "expected"):
                if getattr(self, name) is not None:
                    raise _FieldError(name, f"`{name}` is for chat prompts, not {self.kind}")
        if self.kind == "agentic" and not self.system:
            raise _FieldError("system", "an agentic prompt needs a system prompt setting the agent's role")
        for name in ("system", "prompt"):
            text = getattr(self, name)
            if text is not None and text != text.strip():
                raise _FieldError(name, "leading or trailing whitespace")
        return self


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, _FieldError):
        return f"field {cause.field!r}: {cause}"
    field = ".".join(str(p) for p in first["loc"]) or "(record)"
    return f"field {field!r}: {first['msg']}"


def load_file(path: str | Path, kind: str | None = None) -> list[SafetyPrompt]:
    """Load one JSONL file of safety prompts; the first bad record raises naming the file, line and field."""
    path = Path(path)
    if not path.is_file():
        raise SafetyPromptError(f"{path}: no such safety prompt file")
    prompts: list[SafetyPrompt] = []
    seen: dict[str, int] = {}
    for lineno, raw in read_records(path):
        if isinstance(raw, InputLineError):
            raise SafetyPromptError(str(raw)) from None
        try:
            record = SafetyPrompt.model_validate(raw)
        except ValidationError as exc:
            raise SafetyPromptError(f"{path}:{lineno}: record {raw.get('id', '?')!r}: {_describe(exc)}") from None
        if kind is not None and record.kind != kind:
            raise SafetyPromptError(f"{path}:{lineno}: field 'kind': {record.kind!r} in the {kind} file")
        if record.id in seen:
            raise SafetyPromptError(f"{path}:{lineno}: field 'id': {record.id!r} already used on line {seen[record.id]}")
        seen[record.id] = lineno
        prompts.append(record)
    if not prompts:
        raise SafetyPromptError(f"{path}: holds no prompts")
    return prompts


def dump_jsonl(prompts: list[SafetyPrompt], path: str | Path) -> None:
    Path(path).write_text("".join(p.model_dump_json(exclude_none=True) + "\n" for p in prompts), encoding="utf-8")


@functools.cache
def _load_kind(kind: str) -> tuple[SafetyPrompt, ...]:
    with resources.as_file(resources.files("hackgym").joinpath(f"{DATA_DIR}/{FILES[kind]}")) as path:
        return tuple(load_file(path, kind))


def load_prompts(kind: str | None = None) -> list[SafetyPrompt]:
    """The shipped prompts of one kind (`chat`, `agentic`, `dilemma`), or of all three in that order."""
    if kind is not None and kind not in KINDS:
        raise SafetyPromptError(f"unknown safety prompt kind {kind!r}; choose one of {', '.join(KINDS)}")
    return [p for k in ((kind,) if kind else KINDS) for p in _load_kind(k)]
