"""The run directory: resolved config, per-step metrics, every rollout, and checkpoints that are complete or ignored.

Records carry their step. A checkpoint counts only once its `COMPLETE` marker exists (written after the trainer
saved everything), so a crash mid-save leaves a folder that resume deletes. On resume the JSONL files are cut
back to the checkpoint's step (and any half-written last line dropped), so the steps re-run after it are
written once: nothing lost, nothing twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from ..errors import HackgymError
from .config import TrainConfig, dump, validate

CONFIG = "config.yaml"
METRICS = "metrics.jsonl"
ROLLOUTS = "rollouts.jsonl"
CHECKPOINTS = "checkpoints"
COMPLETE = "COMPLETE"
_CKPT = re.compile(r"^checkpoint-(\d+)$")


class RunDirError(HackgymError):
    """A run directory is missing, or already holds another run."""


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Whole records only: a line cut by a crash is skipped."""
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


class RunDir:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    def create(self, config: TrainConfig) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        if (self.path / METRICS).exists() or (self.path / ROLLOUTS).exists():
            raise RunDirError(f"{self.path} already holds a run: use --resume {self.path} or another --out")
        atomic_write(self.path / CONFIG, dump(config))

    def config(self) -> TrainConfig:
        import yaml

        path = self.path / CONFIG
        if not path.is_file():
            raise RunDirError(f"{self.path} is not a run directory (no {CONFIG})")
        return validate(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))

    def append(self, name: str, records: list[dict[str, Any]]) -> None:
        """Append and flush to disk: a kill after this call loses nothing written."""
        if not records:
            return
        with open(self.path / name, "a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
            fh.flush()
            os.fsync(fh.fileno())

    def metrics(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path / METRICS)

    def rollouts(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path / ROLLOUTS)

    def mark_complete(self, checkpoint: Path) -> None:
        atomic_write(checkpoint / COMPLETE, "")

    def latest_checkpoint(self) -> tuple[Path | None, int]:
        """The newest complete checkpoint and its step; incomplete or newer-than-complete folders are removed."""
        found: list[tuple[int, Path]] = []
        if self.checkpoints.is_dir():
            for d in self.checkpoints.iterdir():
                if (m := _CKPT.match(d.name)) and d.is_dir():
                    found.append((int(m.group(1)), d))
        complete = [(s, d) for s, d in found if (d / COMPLETE).is_file()]
        best = max(complete, default=(0, None), key=lambda x: x[0])
        for step, d in found:
            if not (d / COMPLETE).is_file() or step > best[0]:
                shutil.rmtree(d, ignore_errors=True)
        return best[1], best[0]

    def truncate(self, step: int) -> None:
        """Keep records of steps <= `step` (atomically rewritten)."""
        for name in (METRICS, ROLLOUTS):
            path = self.path / name
            if path.exists():
                kept = [r for r in read_jsonl(path) if int(r.get("step", 0)) <= step]
                atomic_write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept))
