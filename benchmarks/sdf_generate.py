"""Time offline generation of N documents per corpus and measure the near-duplicate rate.

Usage: .venv/bin/python benchmarks/sdf_generate.py [N]   (default 10000)
The rate is measured on the raw stream (dedup off) and on the deduplicated output, so it shows both how
varied the grammar is and that the filter holds.
"""

from __future__ import annotations

import sys
import time

from hackgym.sdf import CORPORA, generate_offline, near_duplicate_rate


def main(n: int) -> None:
    for corpus in CORPORA:
        start, cpu = time.perf_counter(), time.process_time()
        docs = list(generate_offline(corpus, n, seed=0))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        raw = [d["text"] for d in generate_offline(corpus, n, seed=0, dedup=False)]
        types = len({d["doc_type"] for d in docs})
        print(f"{corpus:9s} n={n} generate+dedup {elapsed:6.1f}s wall {cpu:5.1f}s CPU  doc types {types}  "
              f"near-dup rate raw {near_duplicate_rate(raw):.4f}  "
              f"after dedup {near_duplicate_rate([d['text'] for d in docs]):.4f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
