"""Asking a model: a prompt from the registry, rendered, sent through Inspect, its reply cached and read.

`Client` is any model call hackgym makes outside an eval's own solver (the SDF generator drafts with one);
`Judge` is a client at the judge settings (temperature 0, greedy local models) with the three kinds of
judgement: a 0-100 rating, a label from a fixed set, and a JSON object with given fields. Every judgement
records the model, the prompt's name and version and the temperature it was made with.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from inspect_ai.model import ChatMessage, ChatMessageSystem, ChatMessageUser, GenerateConfig, Logprobs, Model
from pydantic import BaseModel, ConfigDict, Field

from ..prompts import Prompt, get_prompt
from ._cache import DiskCache, cache_dir, chosen_cache_dir, request
from ._models import JUDGE_ROLE, JudgeError, identity_args, resolve_model, samples
from ._parse import match_label, parse_json, parse_number, weighted_number

T = TypeVar("T")
CacheArg = DiskCache | Path | str | bool | None
TOP_LOGPROBS = 20


class Settings(BaseModel):
    """Generation settings of a call; part of the cache key. `max_tokens` None: the model's own setting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float | None = 0.0
    max_tokens: int | None = None
    logprobs: bool = False
    top_logprobs: int | None = None


JUDGE_SETTINGS = Settings(temperature=0.0)


class Judgement(BaseModel):
    """What every reply read through this layer records: who answered, to which prompt version, how, and the
    reply itself. `malformed` says why the reply could not be read (None when it could)."""

    model_config = ConfigDict(extra="forbid")

    model: str
    prompt: str
    version: int
    temperature: float | None
    raw: str = ""
    malformed: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.prompt}@v{self.version}"

    def provenance(self) -> dict[str, Any]:
        """model, prompt, version, temperature: what a verdict built from this judgement should carry."""
        return {"model": self.model, "prompt": self.prompt, "version": self.version, "temperature": self.temperature}


class TextReply(Judgement):
    """A free-text reply (SDF drafts and critiques)."""


class JsonReply(Judgement):
    """A reply holding one JSON object; `data` None when malformed."""

    data: dict[str, Any] | None = None


class Rating(Judgement):
    """A 0-100 rating; `value` is None when the reply held no number in range."""

    value: float | None = None
    weighted: bool = False


class Classification(Judgement):
    """A label from a fixed set; `label` is None when the reply held no JSON object with an allowed label.
    `data` is the whole parsed object (reasons, tags, ...)."""

    label: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


def provenance(*judgements: Judgement | None) -> list[dict[str, Any]]:
    """The provenance of each judgement a verdict rests on, in order (None entries are skipped)."""
    return [j.provenance() for j in judgements if j is not None]


@dataclass
class _Reply:
    text: str
    logprobs: Logprobs | None
    error: str | None = None


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from synchronous code, also when an event loop is already running in this thread
    (a trainer's): then in a worker thread with its own loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Client:
    """One model, its generation settings, the one reply cache and a concurrency limit.

    `model` is a spec, a Model, or None for the model bound to `role` (`hint` tells the user how to give one).
    `cache`: None for the default folder (`cache_dir()`), False for none, True for the default folder even for
    a scripted model, or a folder / `DiskCache`. Inspect's scripted `mockllm` answers from a script, not from
    the text, so with `cache=None` it is cached only in a folder chosen with `cache_at` (`--judge-cache`), never
    in $HACKGYM_JUDGE_CACHE or the default folder."""

    greedy = False

    def __init__(self, model: str | Model | None = None, *, role: str | None = None, hint: str = "",
                 settings: Settings | None = None, cache: CacheArg = None, concurrency: int | None = None,
                 **model_args: Any) -> None:
        self.model = resolve_model(model, role=role, greedy=self.greedy, hint=hint, **model_args)
        self.name = str(self.model)  # provider/model
        args = dict(model_args)
        if self.greedy and isinstance(model, str) and model.startswith("hf/"):
            args.setdefault("do_sample", False)
        self.model_args = identity_args(args)
        self.settings = settings or Settings(temperature=None)
        self.cache = self._cache(cache)
        self.concurrency = concurrency
        self._limit: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self.calls = 0  # replies asked of the model
        self.hits = 0  # replies read from the cache

    def _cache(self, cache: CacheArg) -> DiskCache | None:
        if cache is False:
            return None
        if isinstance(cache, DiskCache):
            return cache
        if cache is None or cache is True:
            if cache is None and self.name.startswith("mockllm/") and chosen_cache_dir() is None:
                return None
            return DiskCache(cache_dir())
        return DiskCache(cache)

    def _semaphore(self) -> asyncio.Semaphore | None:
        if not self.concurrency:
            return None
        loop = asyncio.get_running_loop()
        if self._limit is None or self._limit[0] is not loop:
            self._limit = (loop, asyncio.Semaphore(self.concurrency))
        return self._limit[1]

    def _effective(self, settings: Settings) -> Settings:
        if settings.max_tokens is None and self.model.config.max_tokens is not None:
            return settings.model_copy(update={"max_tokens": self.model.config.max_tokens})
        return settings

    async def _ask(self, prompt: Prompt, fields: dict[str, Any], *, system: Prompt | None = None,
                   system_fields: dict[str, Any] | None = None, settings: Settings | None = None,
                   salt: str = "") -> tuple[_Reply, Settings]:
        settings = self._effective(settings or self.settings)
        text = prompt.render(**fields)
        system_text = system.render(**(system_fields or {})) if system is not None else None
        messages: list[ChatMessage] = [ChatMessageUser(content=text)]
        if system_text is not None:
            messages.insert(0, ChatMessageSystem(content=system_text))
        req = request(model=self.name, model_args=self.model_args, base_url=self.model.api.base_url,
                      prompt=prompt.name, version=prompt.version, system=system.ref if system else None,
                      text=f"{system_text}\0{text}", settings=settings.model_dump(), salt=salt)
        if self.cache is not None and (hit := self.cache.get(req)) is not None:
            self.hits += 1
            logprobs = hit.get("logprobs")
            return _Reply(hit["completion"], Logprobs.model_validate(logprobs) if logprobs else None), settings
        config = GenerateConfig(temperature=settings.temperature, max_tokens=settings.max_tokens,
                                logprobs=settings.logprobs or None, top_logprobs=settings.top_logprobs)
        limit = self._semaphore()
        if limit is None:
            output = await self.model.generate(messages, config=config)
        else:
            async with limit:
                output = await self.model.generate(messages, config=config)
        self.calls += 1
        choice = output.choices[0] if output.choices else None
        reply = _Reply(output.completion, choice.logprobs if choice else None, output.error)
        if self.cache is not None and not output.error:
            self.cache.put(req, {"completion": reply.text,
                                 "logprobs": reply.logprobs.model_dump() if reply.logprobs else None})
        return reply, settings

    def _base(self, prompt: Prompt, settings: Settings, reply: _Reply) -> dict[str, Any]:
        return {"model": self.name, "prompt": prompt.name, "version": prompt.version,
                "temperature": settings.temperature, "raw": reply.text}

    async def text(self, prompt: Prompt, *, settings: Settings | None = None, salt: str = "",
                   **fields: Any) -> TextReply:
        """A free-text reply to `prompt` filled with `fields`; `salt` keeps sampled variants apart in the cache."""
        reply, used = await self._ask(prompt, fields, settings=settings, salt=salt)
        malformed = f"model error: {reply.error}" if reply.error else (None if reply.text.strip() else "empty reply")
        return TextReply(**self._base(prompt, used, reply), malformed=malformed)


class Judge(Client):
    """A client at the judge settings: temperature 0 (and greedy decoding for local `hf/` models); the model
    given, or the one bound to `role` (default: Inspect's "judge" role)."""

    greedy = True

    def __init__(self, model: str | Model | None = None, *, role: str | None = JUDGE_ROLE, hint: str = "",
                 max_tokens: int | None = None, cache: CacheArg = None, concurrency: int | None = None,
                 **model_args: Any) -> None:
        super().__init__(model, role=role, hint=hint, settings=Settings(temperature=0.0, max_tokens=max_tokens),
                         cache=cache, concurrency=concurrency, **model_args)
        if samples(self.model):  # Inspect's hf provider ignores temperature 0 then, and transformers rejects it
            raise JudgeError(f"judge {self.name} samples its replies: load it with do_sample=False "
                             "(`-J do_sample=false` for `hackgym eval`) so that its verdicts are reproducible")

    async def json(self, prompt: Prompt, required: Sequence[str] = (), **fields: Any) -> JsonReply:
        """One JSON object with the `required` fields, as the prompt alone asks for it (no system message)."""
        reply, used = await self._ask(prompt, fields)
        parsed = parse_json(reply.text, required)
        error = f"model error: {reply.error}" if reply.error else parsed.error
        return JsonReply(**self._base(prompt, used, reply), data=None if reply.error else parsed.data,
                         malformed=error)

    async def rate(self, prompt: Prompt, **fields: Any) -> Rating:
        """A 0-100 rating: log-probability weighted where the provider returns log-probs, parsed otherwise."""
        settings = self.settings.model_copy(update={"logprobs": True, "top_logprobs": TOP_LOGPROBS})
        reply, used = await self._ask(prompt, fields, system=get_prompt("judge_rate_system"), settings=settings)
        weighted = weighted_number(reply.logprobs)
        value = weighted if weighted is not None else parse_number(reply.text)
        malformed = None if value is not None else "no number from 0 to 100 in the reply"
        return Rating(**self._base(prompt, used, reply), value=value, weighted=weighted is not None,
                      malformed=f"model error: {reply.error}" if reply.error else malformed)

    async def classify(self, prompt: Prompt, labels: Sequence[str], **fields: Any) -> Classification:
        """One label of `labels`, read from the reply's JSON object; None (malformed) when it cannot be."""
        if not labels:
            raise JudgeError(f"judge prompt {prompt.ref}: classify needs at least one label")
        system = get_prompt("judge_classify_system")
        reply, used = await self._ask(prompt, fields, system=system,
                                      system_fields={"labels": ", ".join(f'"{label}"' for label in labels)})
        parsed = parse_json(reply.text, ("label",))
        data = parsed.data or {}
        label = match_label(data.get("label"), labels)
        malformed = parsed.error or (None if label is not None else
                                     f"label {data.get('label')!r} is not one of {', '.join(labels)}")
        return Classification(**self._base(prompt, used, reply), label=label, data=data,
                              malformed=f"model error: {reply.error}" if reply.error else malformed)


def current_judge() -> Judge:
    """The judge pinned for this eval run: the model bound to Inspect's "judge" role. Never the evaluated model."""
    return Judge(role=JUDGE_ROLE, hint="pass --judge MODEL to `hackgym eval` (or model_roles={'judge': ...} to "
                                       "Inspect's eval/score)")
