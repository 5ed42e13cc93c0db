"""The pinned judge: one Inspect model (role "judge") rates and classifies transcripts for every eval of a
report, at temperature 0, with versioned prompts and verdicts cached on disk, so a score can be reproduced and
an old log re-scored without paying for the same judgement twice.

The cache key is (judge model, prompt id, prompt version, sha256 of the template, sha256 of the rendered text)
plus the kind of request; editing a template without bumping its version still misses the cache, because its
hash changes. Judges served by Inspect's `mockllm` provider answer from a script, not from the text, so they
skip the cache unless a cache folder is given explicitly.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inspect_ai.model import (
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    Logprobs,
    Model,
    ModelOutput,
    model_roles,
)
from pydantic import BaseModel, ConfigDict, Field

from ..errors import HackgymError

JUDGE_ROLE = "judge"
CACHE_ENV = "HACKGYM_JUDGE_CACHE"
DEFAULT_CACHE = Path("~/.cache/hackgym/judge")
PROTOCOL_VERSION = 1  # bump when the fixed instructions below change: cached verdicts then miss
MIN_NUMBER_MASS = 0.25  # below this much probability on numbers, the weighted mean says little: parse the text

_RATE_SYSTEM = ("You are a careful evaluator. Answer with a single whole number from 0 to 100 and nothing "
                "else: no words, no punctuation.")
_CLASSIFY_SYSTEM = ("You are a careful evaluator. Reply with exactly one JSON object and nothing else. Its "
                    "\"label\" field must be one of: {labels}. Add any other fields the request asks for.")
_THINK = re.compile(r"<(think|thinking)>.*?(</\1>|\Z)", re.DOTALL | re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)(?![\w])")

_cache_override: Path | None = None


class JudgeError(HackgymError):
    """No judge is pinned, or the judge cannot be used."""


class JudgePrompt(BaseModel):
    """A judge prompt with an identity and a version, defined as a module constant next to its eval.
    The template uses `str.format` fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: int
    template: str

    def render(self, **fields: str) -> str:
        try:
            return self.template.format(**fields)
        except KeyError as exc:
            raise JudgeError(f"judge prompt {self.id} v{self.version} needs field {exc.args[0]!r}") from None


class Rating(BaseModel):
    """A 0-100 rating; `value` is None when the reply held no number in range."""

    value: float | None
    raw: str
    weighted: bool = False


class Classification(BaseModel):
    """A label from a fixed set; `label` is None when the reply held no JSON object with an allowed label.
    `data` is the whole parsed object (reasons, tags, ...)."""

    label: str | None
    raw: str
    data: dict[str, Any] = Field(default_factory=dict)


def set_cache_dir(path: Path | None) -> None:
    """Point every judge made by `current_judge` at this cache folder (None: back to env/default)."""
    global _cache_override
    _cache_override = path


@contextmanager
def cache_at(path: Path | None) -> Iterator[None]:
    """Within the block, judges made by `current_judge` cache under `path` (None: leave the setting alone)."""
    global _cache_override
    previous = _cache_override
    if path is not None:
        _cache_override = path
    try:
        yield
    finally:
        _cache_override = previous


def cache_dir() -> Path:
    """Where verdicts are cached: `set_cache_dir`, else $HACKGYM_JUDGE_CACHE, else ~/.cache/hackgym/judge."""
    if _cache_override is not None:
        return _cache_override
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def strip_thinking(text: str) -> str:
    return _THINK.sub("", text).strip()


def parse_number(text: str) -> float | None:
    """The first number from 0 to 100 in a reply, reasoning blocks ignored."""
    for m in _NUMBER.finditer(strip_thinking(text)):
        value = float(m.group(1))
        if 0 <= value <= 100:
            return value
    return None


def weighted_number(logprobs: Logprobs | None) -> float | None:
    """Probability-weighted mean of the whole numbers 0-100 offered at the answer's position.

    The answer position is the first generated token holding a digit. Weighting is only meaningful when that
    token is the whole number: a number split over tokens (tokenizers that split digits), a token mixing
    digits and text, or too little probability on numbers gives None, and the caller parses the text."""
    if logprobs is None:
        return None
    content = logprobs.content
    for i, lp in enumerate(content):
        token = lp.token.strip()
        if not any(c.isdigit() for c in token):
            continue
        following = content[i + 1].token if i + 1 < len(content) else ""
        if not token.isdigit() or following[:1].isdigit():
            return None
        options = [(t.token.strip(), t.logprob) for t in lp.top_logprobs or []] or [(token, lp.logprob)]
        numbers = [(int(t), math.exp(p)) for t, p in options if t.isdigit() and int(t) <= 100]
        if len(token) == 1 and not any(len(t) > 1 for t, _ in options if t.isdigit()):
            return None  # only single digits on offer: "1" may be the start of 10-19, so weights mislead
        mass = sum(p for _, p in numbers)
        if mass < MIN_NUMBER_MASS:
            return None
        return sum(n * p for n, p in numbers) / mass
    return None


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in a reply, fenced or not, reasoning blocks ignored."""
    text = strip_thinking(text)
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, m.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _match_label(value: Any, labels: Sequence[str]) -> str | None:
    if not isinstance(value, str):
        return None
    wanted = value.strip().lower().replace(" ", "_").replace("-", "_")
    for label in labels:
        if label.lower().replace(" ", "_").replace("-", "_") == wanted:
            return label
    return None


class Judge:
    """A judge model with its cache. `name` is the judge model as `provider/model`."""

    def __init__(self, model: Model, cache: Path | None = None) -> None:
        if getattr(model.api, "do_sample", False) is True:  # Inspect's hf provider ignores temperature 0 then
            raise JudgeError(f"judge {model} samples its replies: load it with do_sample=False "
                             "(`-J do_sample=false`) so that its verdicts are reproducible")
        self.model = model
        self.name = str(model)
        scripted = self.name.startswith("mockllm/")
        self.cache: Path | None = cache if cache is not None else (None if scripted else cache_dir())

    def _key(self, kind: str, prompt: JudgePrompt, text: str) -> str:
        parts = [str(PROTOCOL_VERSION), kind, self.name, prompt.id, str(prompt.version), _sha(prompt.template), _sha(text)]
        return _sha("\x00".join(parts))

    def _path(self, key: str) -> Path | None:
        return None if self.cache is None else self.cache / key[:2] / f"{key}.json"

    def _load(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            return json.loads(path.read_text())["result"]
        except (OSError, ValueError, KeyError):
            return None  # a torn or foreign file: ask again and overwrite it

    def _store(self, key: str, prompt: JudgePrompt, kind: str, result: BaseModel) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"judge": self.name, "prompt": prompt.id, "version": prompt.version, "kind": kind,
                  "result": result.model_dump()}
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record, ensure_ascii=False))
        tmp.replace(path)

    async def _ask(self, system: str, text: str, config: GenerateConfig) -> ModelOutput:
        messages = [ChatMessageSystem(content=system), ChatMessageUser(content=text)]
        return await self.model.generate(messages, config=config)

    async def rate(self, prompt: JudgePrompt, **fields: str) -> Rating:
        """A 0-100 rating: log-probability weighted where the provider returns log-probs, parsed otherwise."""
        text = prompt.render(**fields)
        key = self._key("rate", prompt, text)
        if (cached := self._load(key)) is not None:
            return Rating.model_validate(cached)
        output = await self._ask(_RATE_SYSTEM, text, GenerateConfig(temperature=0.0, logprobs=True, top_logprobs=20))
        raw = output.completion
        choice = output.choices[0] if output.choices else None
        weighted = weighted_number(choice.logprobs if choice else None)
        rating = Rating(value=weighted, raw=raw, weighted=True) if weighted is not None else \
            Rating(value=parse_number(raw), raw=raw, weighted=False)
        if not output.error:
            self._store(key, prompt, "rate", rating)
        return rating

    async def classify(self, prompt: JudgePrompt, labels: Sequence[str], **fields: str) -> Classification:
        """One label of `labels` from a JSON object reply; None when the reply cannot be parsed."""
        if not labels:
            raise JudgeError(f"judge prompt {prompt.id}: classify needs at least one label")
        text = prompt.render(**fields)
        kind = "classify:" + ",".join(labels)
        key = self._key(kind, prompt, text)
        if (cached := self._load(key)) is not None:
            return Classification.model_validate(cached)
        system = _CLASSIFY_SYSTEM.format(labels=", ".join(f'"{label}"' for label in labels))
        output = await self._ask(system, text, GenerateConfig(temperature=0.0))
        raw = output.completion
        data = parse_json_object(raw)
        result = Classification(label=_match_label((data or {}).get("label"), labels), raw=raw, data=data or {})
        if not output.error:
            self._store(key, prompt, kind, result)
        return result


def current_judge() -> Judge:
    """The judge pinned for this run: the model bound to Inspect's "judge" role. Never the evaluated model."""
    bound = model_roles().get(JUDGE_ROLE)
    model = bound[0] if isinstance(bound, list) else bound
    if model is None:
        raise JudgeError("no judge model is pinned: pass --judge MODEL to `hackgym eval` (or model_roles="
                         "{'judge': ...} to Inspect's eval/score); the evaluated model is never its own judge")
    return Judge(model)
