"""Run one classifier over many rollouts. The completion function is injected, so any model client works."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from .registry import Classifier


def load_rollouts(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def label_rollouts(classifier: Classifier, rollouts: Iterable[dict],
                   complete: Callable[[str], str]) -> list[dict]:
    """One record per rollout: its id, the parsed label (None when the reply was unusable) and the raw reply."""
    records = []
    for rollout in rollouts:
        reply = complete(classifier.render(rollout["transcript"]))
        records.append({"id": rollout["id"], "label": classifier.parse(reply), "reply": reply})
    return records
