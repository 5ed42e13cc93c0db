"""JSONL in and out: input lines with errors that name the line, append-only output flushed as it goes, and
atomic rewrites. The one place hackgym reads and writes JSONL."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

from .errors import HackgymError

MAX_LINE_BYTES = 4 * 1024 * 1024


class InputLineError(HackgymError):
    """One input line is unusable; carries its number so the message can name it."""


def read_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | InputLineError]]:
    """(line number, record) per non-blank line; a bad line yields an InputLineError instead of stopping."""
    path = Path(path)
    if not path.is_file():
        raise HackgymError(f"{path}: no such file")
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            if len(raw) > MAX_LINE_BYTES:
                yield lineno, InputLineError(f"{where}: line is {len(raw)} bytes, over {MAX_LINE_BYTES}")
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, InputLineError(f"{where}: not UTF-8 ({exc.reason} at byte {exc.start})")
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield lineno, InputLineError(f"{where}: not JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                yield lineno, InputLineError(f"{where}: expected a JSON object, got {type(obj).__name__}")
                continue
            yield lineno, obj


class JsonlWriter:
    """Appends one JSON object per line and flushes it to disk, so a crash loses at most the line in flight."""

    def __init__(self, path: str | Path, mode: str = "w") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh: IO[str] = self.path.open(mode, encoding="utf-8")

    def write(self, record: BaseModel | dict[str, Any]) -> None:
        self.fh.write(_line(record) + "\n")
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every whole JSON object in an append-only file we wrote; a line cut short by a crash is skipped."""
    path = Path(path)
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def _line(record: BaseModel | dict[str, Any]) -> str:
    if isinstance(record, BaseModel):
        return record.model_dump_json()
    return json.dumps(record, ensure_ascii=False)


def append_jsonl(path: str | Path, records: Iterable[BaseModel | dict[str, Any]]) -> None:
    """Append and flush to disk: a kill after this call loses nothing written."""
    text = "".join(_line(r) + "\n" for r in records)
    if not text:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write(path: str | Path, text: str) -> None:
    """Write to a temporary sibling, then rename: readers see the old file or the new one, never half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def rewrite_jsonl(path: str | Path, records: Iterable[BaseModel | dict[str, Any]]) -> None:
    """Replace a JSONL file's records atomically (used to cut a run back to a checkpoint)."""
    atomic_write(path, "".join(_line(r) + "\n" for r in records))
