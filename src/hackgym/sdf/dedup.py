"""Near-duplicate detection with MinHash over word 5-gram shingles (datasketch LSH).

A corpus of near-copies teaches a model one document many times; the generators drop a document whose
estimated Jaccard similarity to an earlier one exceeds the threshold (0.8 by default).
"""

from __future__ import annotations

import re
import zlib

from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE = 5
_WORD = re.compile(r"\w+|[^\w\s]")


def minhash(text: str, num_perm: int = NUM_PERM) -> MinHash:
    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    m = MinHash(num_perm=num_perm, hashfunc=zlib.crc32)  # deterministic and faster than the default sha1
    m.update_batch([s.encode("utf-8") for s in shingles])
    return m


class NearDupIndex:
    """Keeps the documents added so far; `add` refuses a near-duplicate of any of them."""

    def __init__(self, threshold: float = 0.8, num_perm: int = NUM_PERM) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.hashes: dict[str, MinHash] = {}

    def nearest(self, m: MinHash) -> float:
        """Highest estimated Jaccard with a stored document among LSH candidates (0.0 if none)."""
        return max((m.jaccard(self.hashes[k]) for k in self.lsh.query(m)), default=0.0)

    def add(self, key: str, text: str) -> bool:
        m = minhash(text, self.num_perm)
        if self.nearest(m) > self.threshold:
            return False
        self.lsh.insert(key, m)
        self.hashes[key] = m
        return True


def near_duplicate_rate(texts: list[str], threshold: float = 0.8, num_perm: int = NUM_PERM) -> float:
    """Share of documents with at least one other document above `threshold` estimated Jaccard."""
    hashes = [minhash(t, num_perm) for t in texts]
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for i, m in enumerate(hashes):
        lsh.insert(str(i), m)
    dup = 0
    for i, m in enumerate(hashes):
        if any(int(k) != i and m.jaccard(hashes[int(k)]) > threshold for k in lsh.query(m)):
            dup += 1
    return dup / max(1, len(texts))
