"""Forks: a new condition started from a checkpoint of an existing run, after hacking was learned.

The study forked its safety-training and mitigation runs from a run that had already learned to hack. A fork
point is named relative to what the parent did: `onset+N` (N steps after the parent's hack onset, by the
parent's own onset rule), `hack_rate:R+N` (N steps after the parent's successful-hack rate first reached R) or a
plain step. The newest complete checkpoint at or before that step is taken; its weights are copied into the
fork's run directory (hard links where the file system allows), so the parent may go on rotating its
checkpoints, and `fork.json` records the parent, the rule, the step asked for and the step taken.

A LoRA parent's adapter is merged into its base weights at the fork, and the fork trains a fresh adapter on
top: the policy at the fork is the parent's, the optimizer state is new (as for any new condition).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from pydantic import BaseModel

from ..errors import HackgymError
from ..metrics import Onset, rate_series
from ..records import atomic_write
from ..rundir import RunDir

FORK = "fork.json"
MODEL = "fork-model"  # the weights at the fork, inside the fork's run directory
_AT = re.compile(r"^(?:(onset)|hack_rate:([0-9.]+))?\s*(?:\+\s*(\d+))?$|^(\d+)$")
# trainer state a fork does not take: the new condition starts its own optimisation
_SKIP = ("optimizer.pt", "scheduler.pt", "rng_state*.pth", "trainer_state.json", "training_args.bin", "COMPLETE")


class ForkError(HackgymError):
    """The fork point cannot be found in the parent run; the message says why."""


class ForkPoint(BaseModel):
    parent: str
    at: str
    target_step: int
    step: int
    checkpoint: str
    lora_merged: bool = False


def target_step(parent: RunDir, at: str) -> int:
    """The step `at` names in the parent's history."""
    m = _AT.match(at.strip())
    if not m or not any(m.groups()):
        raise ForkError(f"--at {at!r}: use onset+N, hack_rate:R+N or a step number")
    if m.group(4):
        return int(m.group(4))
    offset = int(m.group(3) or 0)
    series = rate_series(parent.metrics(), "successful_hack")
    if m.group(1):
        config = parent.config_dict()
        onset = Onset.model_validate(config.get("onset") or {}).find(series)
        if onset is None:
            raise ForkError(f"{parent.path}: the parent run has no hack onset (yet) to fork after")
        return onset + offset
    threshold = float(m.group(2))
    reached = next((step for step, rate in series if rate is not None and rate >= threshold), None)
    if reached is None:
        raise ForkError(f"{parent.path}: the parent's successful-hack rate never reached {threshold:g}")
    return reached + offset


def _copy(source: Path, target: Path) -> None:
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*_SKIP), copy_function=link_or_copy)


def prepare(parent_dir: Path, at: str, out: Path) -> ForkPoint:
    """The weights at the fork in OUT/fork-model and OUT/fork.json; returns the fork point. Refuses a run
    directory that already holds a fork or a run."""
    parent = RunDir(parent_dir)
    if not parent.exists():
        raise ForkError(f"{parent_dir}: not a run directory (no config.yaml)")
    if (out / FORK).exists() or RunDir(out).exists():
        raise ForkError(f"{out} already holds a run or a fork: choose another --out")
    wanted = target_step(parent, at)
    found = [(step, folder) for step, folder in parent.complete_checkpoints() if step <= wanted]
    if not found:
        kept = ", ".join(str(s) for s, _ in parent.complete_checkpoints()) or "none"
        raise ForkError(f"{parent_dir}: no complete checkpoint at or before step {wanted} (kept: {kept}); "
                        "save more often (save_every) or keep more (keep_checkpoints) in the parent")
    step, folder = found[-1]
    out.mkdir(parents=True, exist_ok=True)
    partial = out / f".{MODEL}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    merged = (folder / "adapter_config.json").is_file()
    if merged:
        _merge_lora(folder, partial)
    else:
        _copy(folder, partial)
    partial.replace(out / MODEL)
    point = ForkPoint(parent=str(parent_dir.resolve()), at=at, target_step=wanted, step=step,
                      checkpoint=str(folder.resolve()), lora_merged=merged)
    atomic_write(out / FORK, point.model_dump_json(indent=2) + "\n")
    return point


def _merge_lora(adapter: Path, target: Path) -> None:
    """The parent's base with its adapter merged in, saved as a plain model (and its tokenizer)."""
    from transformers import AutoTokenizer

    from .model import merged_adapter

    merged_adapter(str(adapter), "auto").save_pretrained(target)
    AutoTokenizer.from_pretrained(adapter).save_pretrained(target)


def read(run_dir: Path) -> ForkPoint | None:
    """The fork point of a run directory, or None for a run that is not a fork."""
    path = Path(run_dir) / FORK
    return ForkPoint.model_validate(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None
