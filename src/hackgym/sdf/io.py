"""JSONL for documents. Reading and appending are `hackgym.records`' (the one place hackgym reads and writes
JSONL; re-exported here for the SDF commands); a corpus written in one go uses `write_jsonl`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ..records import append_jsonl, read_jsonl

__all__ = ["append_jsonl", "read_jsonl", "write_jsonl"]


def write_jsonl(path: str | Path, records: Iterable[dict]) -> int:
    """Write every record (a fresh file) and return how many; one flush at the end, not one per line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n
