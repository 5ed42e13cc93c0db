"""Rollout files: one JSON object a line, `{"id", "problem_id", "completion" | "files"}`, checked up front so a
bad line is reported by number before any grading starts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import HackgymError
from ..problems import Problem, load_problems
from ..submission import Submission
from .label import LABELS, Label


class RolloutError(HackgymError):
    """A rollout line is malformed or names an unknown problem."""


def load_problem_sets(spec: str) -> dict[str, Problem]:
    """`basic`, `humaneval`, a JSONL path, or several joined by commas."""
    out: dict[str, Problem] = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        out.update({p.id: p for p in load_problems(part)})
    return out


def read_rollouts(path: str | Path, problems: dict[str, Problem]) -> list[tuple[dict[str, Any], Problem, Submission]]:
    """Parse and validate every line; the first bad one raises naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise RolloutError(f"{path}: no such rollout file")
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RolloutError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(rec, dict):
            raise RolloutError(f"{where}: a rollout must be a JSON object, got {type(rec).__name__}")
        pid = rec.get("problem_id")
        if not isinstance(pid, str):
            raise RolloutError(f"{where}: field 'problem_id' is missing or not a string")
        if pid not in problems:
            raise RolloutError(f"{where}: unknown problem_id {pid!r} (not in the --problems set)")
        try:
            sub = Submission.from_record(rec, problems[pid].entry_point)
        except HackgymError as exc:
            raise RolloutError(f"{where}: {exc}") from None
        out.append((rec, problems[pid], sub))
    if not out:
        raise RolloutError(f"{path}: holds no rollouts")
    return out


def output_record(rec: dict[str, Any], label: Label) -> dict[str, Any]:
    """The input line plus the label, the hack fields and the whole grid."""
    grid = label.model_dump(mode="json", exclude={"id", "problem_id"})
    return {**rec, **grid}


def summary(labels: Sequence[Label]) -> tuple[Counter[str], Counter[str]]:
    """Counts per label (every label, zeros included) and per hack type."""
    per_label = Counter({name: 0 for name in LABELS})
    per_label.update(lab.label for lab in labels)
    per_type = Counter(t for lab in labels for t in lab.hack_types)
    return per_label, per_type
