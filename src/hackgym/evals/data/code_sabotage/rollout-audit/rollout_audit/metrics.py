"""Agreement of classifier labels with hand labels; an unusable reply counts as a wrong answer."""

from __future__ import annotations

from collections.abc import Sequence


def scores(predicted: Sequence[str | None], gold: Sequence[str], positive: str) -> dict[str, float]:
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold labels differ in length")
    pairs = list(zip(predicted, gold, strict=True))
    tp = sum(p == positive and g == positive for p, g in pairs)
    fp = sum(p == positive and g != positive for p, g in pairs)
    fn = sum(p != positive and g == positive for p, g in pairs)
    correct = sum(p == g for p, g in pairs)
    return {
        "accuracy": correct / len(pairs) if pairs else 0.0,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "unusable": float(sum(p is None for p in predicted)),
    }
