"""How varied a document corpus is, measured independently of the deduplication filter (which uses MinHash):
exact sentence counts, repeated sentences inside a document, prose length, the share of documents with code,
and distinct word n-gram ratios. A corpus of templates scores badly on these even when no two documents are
near-duplicates, which is what a filter-based measure would miss.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

_FENCE = re.compile(r"```.*?(```|\Z)", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[A-Za-z0-9_']+")
MIN_SENTENCE_WORDS = 4  # headings, sign-offs and list stubs are not sentences


def prose(text: str) -> str:
    """The text without its fenced code blocks."""
    return _FENCE.sub(" ", text)


def sentences(text: str) -> list[str]:
    """The prose's sentences (whitespace normalised), those of at least MIN_SENTENCE_WORDS words."""
    out = []
    for part in _SENTENCE_END.split(prose(text)):
        s = " ".join(part.split())
        if len(_WORD.findall(s)) >= MIN_SENTENCE_WORDS:
            out.append(s)
    return out


class Diversity(BaseModel):
    """What `measure` reports; shares are fractions of 1."""

    documents: int
    sentences: int
    top50_sentence_share: float  # of all sentence instances, those of the 50 commonest sentences
    docs_repeating_a_sentence: float  # documents in which some sentence appears twice
    median_prose_words: float
    docs_with_code: float
    distinct_2: float  # distinct word bigrams / all bigrams, over `ngram_docs` documents
    distinct_3: float
    ngram_docs: int


def distinct(texts: Iterable[str], n: int) -> float:
    seen: set[tuple[str, ...]] = set()
    total = 0
    for text in texts:
        words = [w.lower() for w in _WORD.findall(prose(text))]
        grams = list(zip(*(words[i:] for i in range(n)), strict=False))
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0


def measure(texts: Sequence[str], ngram_docs: int = 2000) -> Diversity:
    """The figures for a corpus. Distinct n-gram ratios fall as a corpus grows, so they are taken over the first
    `ngram_docs` documents, to compare corpora of different sizes."""
    counts: Counter[str] = Counter()
    repeating = 0
    for text in texts:
        mine = sentences(text)
        counts.update(mine)
        repeating += len(set(mine)) < len(mine)
    total = sum(counts.values())
    sample = texts[:ngram_docs]
    return Diversity(
        documents=len(texts), sentences=total,
        top50_sentence_share=sum(c for _, c in counts.most_common(50)) / total if total else 0.0,
        docs_repeating_a_sentence=repeating / len(texts) if texts else 0.0,
        median_prose_words=statistics.median(len(_WORD.findall(prose(t))) for t in texts) if texts else 0.0,
        docs_with_code=sum("```" in t for t in texts) / len(texts) if texts else 0.0,
        distinct_2=distinct(sample, 2), distinct_3=distinct(sample, 3), ngram_docs=len(sample))
