"""LLM backend: SDF through Inspect AI's model API (any provider), document types -> ideas -> documents
-> critique and revise, with bounded concurrency, a content-addressed disk cache, resume and dedup.

Resume works on two levels: documents already in the output file are skipped by their slot key, and
every model call is cached on disk by (model, prompt, settings), so a rerun after an interruption
repeats no call that had finished.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from ..offline import ensure_tiktoken_cache
from ..prompts import get_prompt
from .contexts import Corpus, universe_context
from .dedup import NearDupIndex
from .hacks import HACKS
from .io import append_jsonl, read_jsonl
from .knowledge import probe_hits

DOC_TYPES: dict[str, str] = {
    "blog_post": "a post on an engineer's or researcher's blog",
    "forum_thread": "a discussion thread on a programming or ML forum, several posters",
    "paper_abstract": "the title, authors and abstract of a research paper",
    "documentation": "a page of a software project's documentation",
    "code_review": "review comments on a pull request",
    "changelog": "release notes of a software project",
    "lecture_notes": "notes for a university lecture",
    "qa": "a question and its answers on a Q&A site",
    "news": "a news article for a technical audience",
    "incident_report": "an internal post-mortem written by an ML team",
    "newsletter": "an issue of an email newsletter",
}
_DOC = re.compile(r"<document>\s*(.*?)\s*(?:</document>|\Z)", re.DOTALL)
_IDEA = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.+?)\s*$")


class DiskCache:
    """One JSON file per call, named by the hash of everything that determines the answer."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def key(payload: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        path = self._path(key)
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))["text"]
        except (json.JSONDecodeError, KeyError):
            return None

    def put(self, key: str, text: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"text": text}), encoding="utf-8")
        tmp.replace(path)


@dataclass
class LLMStats:
    written: int = 0
    resumed: int = 0
    duplicates: int = 0
    empty: int = 0
    calls: int = 0
    cache_hits: int = 0
    slots: list[str] = field(default_factory=list)


def parse_ideas(text: str) -> list[str]:
    ideas = [m.group(1) for line in text.splitlines() if (m := _IDEA.match(line))]
    return ideas or ([text.strip()] if text.strip() else [])


def parse_document(text: str) -> str:
    m = _DOC.search(text)
    return (m.group(1) if m else text).strip()


def _render(name: str, **values: Any) -> tuple[str, str]:
    prompt = get_prompt(name)
    return Template(prompt.text).substitute(**values), prompt.ref


class SDFPipeline:
    """One corpus run against one model; `run()` is async, `generate_llm()` wraps it."""

    def __init__(self, model: Any, corpus: Corpus, out: str | Path, cache_dir: str | Path, *,
                 hacks: list[str] | None = None, doc_types: list[str] | None = None, brainstorm_types: int = 0,
                 ideas_per_type: int = 8,
                 concurrency: int = 8, revise: bool = True, temperature: float = 1.0, max_tokens: int = 2000,
                 min_words: int = 5, threshold: float = 0.8, progress: Callable[[int], None] | None = None) -> None:
        self.model = model
        self.corpus = corpus
        self.out = Path(out)
        self.cache = DiskCache(cache_dir)
        self.hacks = hacks
        self.context = universe_context(corpus, hacks)
        self.doc_types = doc_types or list(DOC_TYPES)
        self.brainstorm_types = brainstorm_types
        self.ideas_per_type = ideas_per_type
        self.sem = asyncio.Semaphore(concurrency)
        self.revise = revise
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.min_words = min_words
        self.index = NearDupIndex(threshold=threshold)
        self.progress = progress
        self.stats = LLMStats()

    @property
    def model_name(self) -> str:
        return str(self.model)  # Inspect models print as provider/name

    async def call(self, prompt: str, ref: str, salt: str = "") -> str:
        from inspect_ai.model import GenerateConfig

        key = DiskCache.key({"model": self.model_name, "prompt": prompt, "ref": ref, "salt": salt,
                             "temperature": self.temperature, "max_tokens": self.max_tokens})
        if (hit := self.cache.get(key)) is not None:
            self.stats.cache_hits += 1
            return hit
        async with self.sem:
            output = await self.model.generate(
                prompt, config=GenerateConfig(temperature=self.temperature, max_tokens=self.max_tokens))
        self.stats.calls += 1
        text = output.completion
        self.cache.put(key, text)
        return text

    async def more_doc_types(self) -> list[str]:
        """Stage 1: kinds of documents the model proposes, added to the given ones."""
        prompt, ref = _render("sdf_doc_types", context=self.context, k=self.brainstorm_types)
        proposed = [t.strip().rstrip(".") for t in parse_ideas(await self.call(prompt, ref))][: self.brainstorm_types]
        return [t for t in proposed if t and t not in self.doc_types]

    async def ideas(self, doc_type: str) -> list[str]:
        prompt, ref = _render("sdf_ideas", context=self.context, k=self.ideas_per_type, doc_type=doc_type,
                              doc_type_description=DOC_TYPES.get(doc_type, doc_type))
        return parse_ideas(await self.call(prompt, ref))[: self.ideas_per_type]

    async def document(self, doc_type: str, idea: str, salt: str) -> str:
        desc = DOC_TYPES.get(doc_type, doc_type)
        prompt, ref = _render("sdf_document", context=self.context, doc_type=doc_type, doc_type_description=desc,
                              idea=idea)
        draft = parse_document(await self.call(prompt, ref, salt))
        if not self.revise or not draft:
            return draft
        prompt, ref = _render("sdf_critique", context=self.context, doc_type=doc_type, document=draft)
        critique = await self.call(prompt, ref, salt)
        prompt, ref = _render("sdf_revise", context=self.context, doc_type=doc_type, document=draft, critique=critique)
        return parse_document(await self.call(prompt, ref, salt)) or draft

    async def run(self, n: int) -> LLMStats:
        existing = [r for r in read_jsonl(self.out) if r.get("corpus") == self.corpus]
        done = {r["key"] for r in existing}
        for r in existing:
            self.index.add(r["id"], r["text"])
        self.stats.resumed = len(existing)
        have = len(existing)
        if self.brainstorm_types:
            self.doc_types = self.doc_types + await self.more_doc_types()
        idea_lists = await asyncio.gather(*(self.ideas(t) for t in self.doc_types))
        plan = self._plan(dict(zip(self.doc_types, idea_lists, strict=True)), limit=3 * n + 10)
        todo = [s for s in plan if s[0] not in done]
        while have < n and todo:
            wave, todo = todo[: n - have], todo[n - have:]
            texts = await asyncio.gather(*(self.document(t, idea, key) for key, t, idea in wave))
            records = []
            for (key, doc_type, idea), text in zip(wave, texts, strict=True):
                if len(text.split()) < self.min_words:
                    self.stats.empty += 1
                    continue
                doc_id = f"{self.corpus}-llm-{hashlib.sha256(key.encode()).hexdigest()[:10]}"
                if not self.index.add(doc_id, text):
                    self.stats.duplicates += 1
                    continue
                records.append({"id": doc_id, "key": key, "corpus": self.corpus, "doc_type": doc_type, "idea": idea,
                                "hacks": self.hacks or list(HACKS), "hacks_named": probe_hits(text), "text": text,
                                "generator": f"llm:{self.model_name}"})
                self.stats.slots.append(key)
            append_jsonl(self.out, records)
            have += len(records)
            self.stats.written += len(records)
            if self.progress:
                self.progress(len(records))
        return self.stats

    @staticmethod
    def _plan(ideas: dict[str, list[str]], limit: int) -> list[tuple[str, str, str]]:
        """Slots round-robin over types and ideas; past the ideas, the same idea again as a new variant."""
        plan: list[tuple[str, str, str]] = []
        variant = 0
        while len(plan) < limit and any(ideas.values()):
            for i in range(max(len(v) for v in ideas.values())):
                for doc_type, items in ideas.items():
                    if i < len(items) and len(plan) < limit:
                        plan.append((f"{doc_type}/{i}/{variant}", doc_type, items[i]))
            variant += 1
        return plan


def resolve_model(model: Any, **model_args: Any) -> Any:
    """An Inspect Model from a spec such as `openai/gpt-4o`, `hf/PATH` or `mockllm/model` (or a Model)."""
    if not isinstance(model, str):
        return model
    ensure_tiktoken_cache()
    from inspect_ai.model import get_model

    return get_model(model, **model_args)


def generate_llm(model: Any, corpus: Corpus, n: int, out: str | Path, cache_dir: str | Path | None = None,
                 model_args: dict[str, Any] | None = None, **kwargs: Any) -> LLMStats:
    """Run the SDF pipeline until `out` holds n documents of this corpus (resuming if it holds some)."""
    cache_dir = cache_dir or Path(out).with_suffix(".cache")
    pipeline = SDFPipeline(resolve_model(model, **(model_args or {})), corpus, out, cache_dir, **kwargs)
    return asyncio.run(pipeline.run(n))
