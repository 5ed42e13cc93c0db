"""Rollout files in and out.

Input (`hackgym detect`, `hackgym grade`): one JSON object a line with `problem_id` and `completion` or `files`
(and optionally `id`); a run's own rollouts.jsonl is such a file too. Lines are checked up front, so a bad one is
reported by file and line before any grading starts. Output: `Rollout` records (`record.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import HackgymError
from ..problems import Problem, load_problems
from ..records import InputLineError, read_records
from ..submission import Submission
from .record import LABELS, Label, Rollout, Source

_OWN_FIELDS = {"id", "problem_id", "completion", "files"}


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
    for lineno, rec in read_records(path):
        where = f"{path}:{lineno}"
        if isinstance(rec, InputLineError):
            raise RolloutError(str(rec))
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


def to_rollout(rec: dict[str, Any], submission: Submission, source: Source, env_grader: str, *,
               label: Label | None = None, **fields: Any) -> Rollout:
    """An input line as a `Rollout`; its fields hackgym does not know are kept under `extra`."""
    extra = {k: v for k, v in rec.items() if k not in _OWN_FIELDS}
    rid = rec.get("id")
    return Rollout(source=source, id=None if rid is None else str(rid), problem_id=rec["problem_id"],
                   env_grader=env_grader, completion=submission.completion,
                   files=None if submission.completion is not None else dict(submission.files),
                   digest=submission.digest(), label=label, extra=extra, **fields)


def load_rollout_records(path: str | Path) -> list[Rollout]:
    """A file of `Rollout` records (a run's rollouts.jsonl, `hackgym detect` output); a bad line raises naming the
    file, line and field. A line cut short by a crash ends the file (append-only writers lose at most that)."""
    path = Path(path)
    if not path.is_file():
        raise RolloutError(f"{path}: no such rollout file")
    out = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(Rollout.model_validate_json(line))
        except ValidationError as exc:
            if lineno == len(lines) and any(e["type"] == "json_invalid" for e in exc.errors()):
                break
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "(line)"
            raise RolloutError(f"{path}:{lineno}: {field}: {err['msg']}") from None
    return out


def summary(labels: Sequence[Label]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Counts per label (every label, zeros included), per successful hack type and per attempted type."""
    per_label = Counter({name: 0 for name in LABELS})
    per_label.update(lab.label for lab in labels if lab.label is not None)
    successful = Counter(t for lab in labels for t in lab.hack_types)
    attempted = Counter(t for lab in labels for t in lab.attempted_types)
    return per_label, successful, attempted
