"""The run directory format, read by training, evaluation, reports and sweeps alike.

```
RUN_DIR/config.yaml        the resolved config the run was made with
RUN_DIR/metrics.jsonl      one record per optimizer step (rates from `hackgym.metrics`, timings)
RUN_DIR/rollouts.jsonl     every rollout (`hackgym.detect.Rollout`), labelled
RUN_DIR/evals.jsonl        one record per evaluated checkpoint (`hackgym eval --run`)
RUN_DIR/checkpoints/checkpoint-N/COMPLETE
```

Records carry their step. A checkpoint counts only once its `COMPLETE` marker exists (written after the trainer
saved everything), so a crash mid-save leaves a folder that resume deletes. On resume the step files are cut
back to the checkpoint's step (a half-written last line dropped), so the steps re-run after it are written
once: nothing lost, nothing twice. `evals.jsonl` is never cut: an evaluated checkpoint stays evaluated.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from .errors import HackgymError
from .records import append_jsonl, atomic_write, read_jsonl, rewrite_jsonl

CONFIG = "config.yaml"
METRICS = "metrics.jsonl"
ROLLOUTS = "rollouts.jsonl"
EVALS = "evals.jsonl"
CHECKPOINTS = "checkpoints"
COMPLETE = "COMPLETE"
_CKPT = re.compile(r"^checkpoint-(\d+)$")


class RunDirError(HackgymError):
    """A run directory is missing, or already holds another run."""


class RunDir:
    """One run's folder; every reader and writer of run directories goes through this class."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    def exists(self) -> bool:
        return (self.path / CONFIG).is_file()

    def create(self, config_yaml: str) -> None:
        """Start a run: refuses a folder that already holds one, so no record is ever overwritten."""
        self.path.mkdir(parents=True, exist_ok=True)
        if (self.path / METRICS).exists() or (self.path / ROLLOUTS).exists():
            raise RunDirError(f"{self.path} already holds a run: use --resume {self.path} or another --out")
        atomic_write(self.path / CONFIG, config_yaml)

    def config_dict(self) -> dict[str, Any]:
        import yaml

        path = self.path / CONFIG
        if not path.is_file():
            raise RunDirError(f"{self.path} is not a run directory (no {CONFIG})")
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise RunDirError(f"{path}: not a mapping of config keys")
        return raw

    def append(self, name: str, records: list[Any]) -> None:
        append_jsonl(self.path / name, records)

    def metrics(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path / METRICS)

    def rollouts(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path / ROLLOUTS)

    def evals(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path / EVALS)

    def mark_complete(self, checkpoint: Path) -> None:
        atomic_write(checkpoint / COMPLETE, "")

    def complete_checkpoints(self) -> list[tuple[int, Path]]:
        """(step, folder) of every complete checkpoint, oldest first."""
        found = []
        if self.checkpoints.is_dir():
            for d in self.checkpoints.iterdir():
                if (m := _CKPT.match(d.name)) and (d / COMPLETE).is_file():
                    found.append((int(m.group(1)), d))
        return sorted(found)

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
                rewrite_jsonl(path, [r for r in read_jsonl(path) if int(r.get("step") or 0) <= step])
