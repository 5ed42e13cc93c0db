"""JSONL in and out: input lines with errors that name the line, append-only output flushed as it goes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
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
        line = record.model_dump_json() if isinstance(record, BaseModel) else json.dumps(record, ensure_ascii=False)
        self.fh.write(line + "\n")
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
