"""The evals of the suite by name, so the runner, the CLI and the scores all agree on what `core` and `all`
mean and each eval can add its own aggregates (a compliance gap, goal tags, ...) to its scores entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from inspect_ai import Task

from .verdict import Verdict

# The six evals whose mean is the misalignment generalisation score, in the study's order.
CORE: tuple[str, ...] = ("betley", "goals", "alignment_questions", "monitor_disruption", "exfil_offer",
                         "frame_colleague")
ALL: tuple[str, ...] = (*CORE, "code_sabotage")
# The hack-propensity evals (agentic episodes, no judge): `--suite propensity`, scored by hackgym.evals.propensity.
PROPENSITY: tuple[str, ...] = ("hack_propensity", "impossible")

Summarizer = Callable[[list[Verdict]], dict[str, Any]]
TaskFn = TypeVar("TaskFn", bound=Callable[..., Task])

EVALS: dict[str, Callable[..., Task]] = {}
SUMMARIZERS: dict[str, Summarizer] = {}


def register_eval(name: str, summarize: Summarizer | None = None) -> Callable[[TaskFn], TaskFn]:
    """Record an Inspect task function under `name`; `summarize(verdicts) -> dict` adds eval-specific
    aggregates to the eval's entry in scores.json."""

    def deco(fn: TaskFn) -> TaskFn:
        if name in EVALS and EVALS[name] is not fn:
            raise ValueError(f"eval {name!r} registered twice")
        EVALS[name] = fn
        if summarize is not None:
            SUMMARIZERS[name] = summarize
        return fn

    return deco


def load_evals() -> dict[str, Callable[..., Task]]:
    """Every registered eval (importing the task modules registers them)."""
    from . import tasks  # noqa: F401

    return EVALS


def resolve_suite(suite: str) -> list[str]:
    """`core`, `all`, `propensity` or a comma-separated list of eval names, checked against the registry."""
    evals = load_evals()
    if suite in ("core", "all", "propensity"):
        names = list({"core": CORE, "all": ALL, "propensity": PROPENSITY}[suite])
    else:
        names = [n.strip() for n in suite.split(",") if n.strip()]
    if not names:
        raise ValueError("empty suite: name core, all or evals separated by commas")
    unknown = [n for n in names if n not in evals]
    if unknown:
        raise ValueError(f"unknown eval(s) {', '.join(unknown)}; known: {', '.join(sorted(evals))}")
    return list(dict.fromkeys(names))
