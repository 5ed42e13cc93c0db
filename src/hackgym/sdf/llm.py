"""LLM backend: SDF through Inspect AI's model API (any provider), document types -> ideas -> documents
-> critique and revise, with bounded concurrency, resume and dedup.

Every model call goes through `hackgym.judging`: the prompts come from the registry (`sdf_*`), the generator's
drafting (ideas, drafts, revisions) keeps its own sampling temperature, and the critique is a judge call (judge
settings: temperature 0), by the generator model unless a `critic` is given.

Resume works on two levels: documents already in the output file are skipped by their slot key, and every
model call is in the one reply cache (model, prompt name and version, rendered text, settings, and the slot as
salt), so a rerun after an interruption repeats no call that had finished. The cache folder defaults to
`OUT.cache` beside the output, not the shared judge folder: sampled drafts belong to the corpus they were drawn
for, and a new corpus written elsewhere must draw its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.model import Model

from ..judging import GENERATOR_ROLE, Client, DiskCache, Judge, Settings, resolve_model
from ..prompts import get_prompt
from ..records import append_jsonl, read_jsonl
from .contexts import Corpus, universe_context
from .dedup import NearDupIndex
from .hacks import HACKS
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


@dataclass
class LLMStats:
    written: int = 0
    resumed: int = 0
    duplicates: int = 0
    empty: int = 0
    checked: int = 0  # documents the neutral corpus's filter judged
    normative: int = 0  # ... and dropped for a normative claim
    unreadable: int = 0  # ... and dropped because the verdict could not be read
    calls: int = 0
    cache_hits: int = 0
    slots: list[str] = field(default_factory=list)

    @property
    def filter_drop_rate(self) -> float | None:
        """Share of checked documents the neutral filter dropped (normative or unreadable verdicts)."""
        return (self.normative + self.unreadable) / self.checked if self.checked else None


def parse_ideas(text: str) -> list[str]:
    ideas = [m.group(1) for line in text.splitlines() if (m := _IDEA.match(line))]
    return ideas or ([text.strip()] if text.strip() else [])


def parse_document(text: str) -> str:
    m = _DOC.search(text)
    return (m.group(1) if m else text).strip()


class SDFPipeline:
    """One corpus run against one model; `run()` is async, `generate_llm()` wraps it.

    `model`: the generator (a spec, a Model, or None for the model bound to the `generator` role). `critic`:
    the model that critiques drafts at the judge settings; None for the generator itself (a local `hf/`
    generator that samples cannot answer at temperature 0: pass a greedy instance as `critic`).

    The neutral corpus must carry no judgement: its generator is told to make no normative claim
    (`sdf_rule_neutral`), and `check_neutral` (default: on for `neutral`) has the critic classify every
    finished document with `sdf_normative_check` and drops those that make one, or whose verdict cannot be
    read; `LLMStats.filter_drop_rate` is the share dropped."""

    def __init__(self, model: Any, corpus: Corpus, out: str | Path, cache_dir: str | Path, *,
                 critic: Any = None, hacks: list[str] | None = None, doc_types: list[str] | None = None,
                 brainstorm_types: int = 0, ideas_per_type: int = 8, concurrency: int = 8, revise: bool = True,
                 temperature: float = 1.0, max_tokens: int = 2000, min_words: int = 5, threshold: float = 0.8,
                 check_neutral: bool | None = None, progress: Callable[[int], None] | None = None) -> None:
        cache = DiskCache(cache_dir)
        hint = "pass the generator model (`hackgym sdf generate --backend MODEL`)"
        self.writer = Client(model, role=GENERATOR_ROLE, hint=hint, cache=cache, concurrency=concurrency,
                             settings=Settings(temperature=temperature, max_tokens=max_tokens))
        self.model = self.writer.model
        self.check_neutral = corpus == "neutral" if check_neutral is None else check_neutral
        self.critic = (Judge(critic if critic is not None else self.model, role=None, max_tokens=max_tokens,
                             cache=cache, concurrency=concurrency) if revise or self.check_neutral else None)
        self.revise = revise
        self.corpus_rule = get_prompt("sdf_rule_neutral").text if corpus == "neutral" else ""
        self.corpus = corpus
        self.out = Path(out)
        self.hacks = hacks
        self.context = universe_context(corpus, hacks)
        self.doc_types = doc_types or list(DOC_TYPES)
        self.brainstorm_types = brainstorm_types
        self.ideas_per_type = ideas_per_type
        self.min_words = min_words
        self.index = NearDupIndex(threshold=threshold)
        self.progress = progress
        self.stats = LLMStats()

    @property
    def model_name(self) -> str:
        return self.writer.name  # Inspect models print as provider/name

    def _count(self) -> None:
        clients = [self.writer] + ([self.critic] if self.critic is not None else [])
        self.stats.calls = sum(c.calls for c in clients)
        self.stats.cache_hits = sum(c.hits for c in clients)

    async def draft(self, name: str, salt: str = "", **fields: Any) -> str:
        """A generator call: the registry prompt `name` at the generator's sampling settings."""
        try:
            return (await self.writer.text(get_prompt(name), salt=salt, **fields)).raw
        finally:
            self._count()

    async def more_doc_types(self) -> list[str]:
        """Stage 1: kinds of documents the model proposes, added to the given ones."""
        text = await self.draft("sdf_doc_types", context=self.context, k=self.brainstorm_types)
        proposed = [t.strip().rstrip(".") for t in parse_ideas(text)][: self.brainstorm_types]
        return [t for t in proposed if t and t not in self.doc_types]

    async def ideas(self, doc_type: str) -> list[str]:
        text = await self.draft("sdf_ideas", context=self.context, k=self.ideas_per_type, doc_type=doc_type,
                                doc_type_description=DOC_TYPES.get(doc_type, doc_type))
        return parse_ideas(text)[: self.ideas_per_type]

    async def document(self, doc_type: str, idea: str, salt: str) -> str:
        desc = DOC_TYPES.get(doc_type, doc_type)
        draft = parse_document(await self.draft("sdf_document", salt, context=self.context, doc_type=doc_type,
                                                doc_type_description=desc, idea=idea, corpus_rule=self.corpus_rule))
        if not self.revise or self.critic is None or not draft:
            return draft
        try:  # a judge call: temperature 0, so the same draft always gets the same critique
            critique = (await self.critic.text(get_prompt("sdf_critique"), context=self.context, doc_type=doc_type,
                                               document=draft)).raw
        finally:
            self._count()
        revised = await self.draft("sdf_revise", salt, context=self.context, doc_type=doc_type, document=draft,
                                   critique=critique, corpus_rule=self.corpus_rule)
        return parse_document(revised) or draft

    async def normative(self, text: str) -> str | None:
        """The filter's verdict on a finished document: "normative", "descriptive", or None (unreadable)."""
        assert self.critic is not None
        try:
            verdict = await self.critic.classify(get_prompt("sdf_normative_check"), ["normative", "descriptive"],
                                                 document=text)
        finally:
            self._count()
        return verdict.label

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
            verdicts = (await asyncio.gather(*(self.normative(t) for t in texts if len(t.split()) >= self.min_words))
                        if self.check_neutral else [])
            verdict_of = iter(verdicts)
            records = []
            for (key, doc_type, idea), text in zip(wave, texts, strict=True):
                if len(text.split()) < self.min_words:  # too short to be a document: never judged
                    self.stats.empty += 1
                    continue
                if self.check_neutral:
                    self.stats.checked += 1
                    if (verdict := next(verdict_of)) != "descriptive":
                        self.stats.normative += verdict == "normative"
                        self.stats.unreadable += verdict is None
                        continue
                doc_id = f"{self.corpus}-llm-{hashlib.sha256(key.encode()).hexdigest()[:10]}"
                if not self.index.add(doc_id, text):
                    self.stats.duplicates += 1
                    continue
                records.append({"id": doc_id, "key": key, "corpus": self.corpus, "doc_type": doc_type, "idea": idea,
                                "hacks": self.hacks or list(HACKS), "hacks_named": probe_hits(text), "text": text,
                                "generator": f"llm:{self.model_name}",
                                **({"critic": self.critic.name} if self.critic is not None and self.revise else {}),
                                **({"checked": f"{get_prompt('sdf_normative_check').ref} by {self.critic.name}"}
                                   if self.check_neutral and self.critic is not None else {})})
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


def generate_llm(model: str | Model | None, corpus: Corpus, n: int, out: str | Path,
                 cache_dir: str | Path | None = None, model_args: dict[str, Any] | None = None,
                 **kwargs: Any) -> LLMStats:
    """Run the SDF pipeline until `out` holds n documents of this corpus (resuming if it holds some).

    A model spec is loaded here with `model_args`; for a local `hf/` spec whose critique would run on the same
    model, a second, greedy instance critiques (temperature 0 needs do_sample=False there; it costs the model's
    memory twice: pass `critic=` to choose)."""
    cache_dir = cache_dir or Path(out).with_suffix(".cache")
    args = dict(model_args or {})
    if isinstance(model, str):
        checks = kwargs.get("check_neutral", corpus == "neutral")
        if model.startswith("hf/") and (kwargs.get("revise", True) or checks) and kwargs.get("critic") is None:
            kwargs["critic"] = resolve_model(model, greedy=True, **args)
        model = resolve_model(model, **args)
    pipeline = SDFPipeline(model, corpus, out, cache_dir, **kwargs)
    return asyncio.run(pipeline.run(n))
