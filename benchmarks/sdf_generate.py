"""Offline SDF generation: time per corpus, and how varied the documents are by measures independent of the
deduplication filter (exact sentence counts, repeated sentences, prose length, code share, distinct n-grams),
beside the filter's own near-duplicate rate.

Usage: .venv/bin/python benchmarks/sdf_generate.py [N]   (default 10000 documents per corpus)
The issue's bar for the default corpus: 50 commonest sentences under 25% of sentence instances, under 2% of
documents repeating a sentence, median prose of at least 250 words, code in under 50% of documents.
"""

from __future__ import annotations

import sys
import time

from hackgym.sdf import CORPORA, generate_offline, near_duplicate_rate
from hackgym.sdf.diversity import measure


def main(n: int) -> None:
    for corpus in CORPORA:
        start, cpu = time.perf_counter(), time.process_time()
        docs = list(generate_offline(corpus, n, seed=0))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        texts = [d["text"] for d in docs]
        figures = measure(texts)
        print(f"{corpus:9s} n={n} generate+dedup {elapsed:6.1f}s wall {cpu:5.1f}s CPU  doc types "
              f"{len({d['doc_type'] for d in docs})}  near-dup rate (the filter's MinHash) "
              f"{near_duplicate_rate(texts):.4f}", flush=True)
        print(f"{'':9s} top-50 sentences {figures.top50_sentence_share:.1%} of {figures.sentences} sentence "
              f"instances; documents repeating a sentence {figures.docs_repeating_a_sentence:.2%}; median prose "
              f"{figures.median_prose_words:.0f} words; with code {figures.docs_with_code:.1%}; distinct-2 "
              f"{figures.distinct_2:.3f}, distinct-3 {figures.distinct_3:.3f} (first {figures.ngram_docs} docs)",
              flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
