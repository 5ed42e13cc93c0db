"""Agreement of classifier labels with hand labels; an unusable reply counts as a wrong answer."""

from __future__ import annotations

from collections.abc import Sequence


def scores(predicted: Sequence[str | None], gold: Sequence[str]) -> dict[str, float]:
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold labels differ in length")
    pairs = list(zip(predicted, gold, strict=True))
    result = {"accuracy": sum(p == g for p, g in pairs) / len(pairs) if pairs else 0.0}
    for label in sorted(set(gold)):
        relevant = [p for p, g in pairs if g == label]
        result[f"recall_{label}"] = sum(p == label for p in relevant) / len(relevant)
    return result
