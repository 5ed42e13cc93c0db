"""Synthetic document finetuning: universe contexts, offline and LLM document generators, dedup, mixing,
continued pretraining and a hack-knowledge eval. Heavy parts (torch, Inspect) load only when used."""

from __future__ import annotations

from .contexts import CORPORA, Corpus, universe_context
from .dedup import NearDupIndex, near_duplicate_rate
from .hacks import HACKS, HackSpec, Snippet, register_hack, submission_for
from .llm import generate_llm
from .mix import mix, save_mix
from .offline import DOC_TYPES, generate_offline, make_document

__all__ = [
    "CORPORA", "Corpus", "universe_context", "NearDupIndex", "near_duplicate_rate", "HACKS", "HackSpec", "Snippet",
    "register_hack", "submission_for", "generate_llm", "mix", "save_mix", "DOC_TYPES", "generate_offline",
    "make_document", "generate",
]


def generate(corpus: Corpus, n: int, backend: str = "offline", **kwargs):
    """Documents of a corpus: a list from the offline backend, or LLM stats (documents in `out`) otherwise."""
    if backend == "offline":
        return list(generate_offline(corpus, n, **kwargs))
    return generate_llm(backend, corpus, n, **kwargs)
