"""Run one classifier over many tickets. The completion function is injected, so any model client works."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from .registry import Classifier


def load_tickets(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def label_tickets(classifier: Classifier, tickets: Iterable[dict], complete: Callable[[str], str]) -> list[dict]:
    """One record per ticket: its id, the parsed label (None when the reply was unusable) and the raw reply."""
    records = []
    for ticket in tickets:
        reply = complete(classifier.render(f"Subject: {ticket['subject']}\n\n{ticket['body']}"))
        records.append({"id": ticket["id"], "label": classifier.parse(reply), "reply": reply})
    return records
