"""Verdicts cached by (grader, problem, submission): training loops grade the same code many times over."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from ..problems import Problem
from ..submission import Submission
from .base import Grader, GradeResult

Key = tuple[str, str, str]


@dataclass
class Work:
    """What fresh grading cost: verdicts computed and the sum of their run times (sandbox seconds)."""

    jobs: int = 0
    seconds: float = 0.0

    def add(self, results: Sequence[GradeResult]) -> None:
        self.jobs += len(results)
        self.seconds += sum(r.duration for r in results)


class VerdictCache:
    """(grader name, problem id, submission digest) -> verdict, shared by every grader and step of a run.

    Each distinct key is graded once: a GRPO group of a small model is full of repeats, a converging policy repeats
    itself across steps, and two specs that name the same grader (a probe equal to the environment's grader) share
    their verdicts. Safe to call from several threads: a key being graded by one call is waited for by the others,
    not graded again. The least recently stored verdicts go first. `work` tallies every fresh verdict.
    """

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._data: OrderedDict[Key, GradeResult] = OrderedDict()
        self._flight: dict[Key, Future[GradeResult]] = {}
        self._lock = threading.Lock()
        self.work = Work()

    def grade(self, grader: Grader, items: Sequence[tuple[Problem, Submission]]) -> list[GradeResult]:
        """Verdicts in input order; only keys neither cached nor in flight are graded (once each)."""
        keys = [(grader.name, p.id, s.digest()) for p, s in items]
        todo: dict[Key, tuple[Problem, Submission]] = {}
        with self._lock:
            found = {k: self._data[k] for k in keys if k in self._data}
            waiting = {k: self._flight[k] for k in keys if k not in found and k in self._flight}
            for key, item in zip(keys, items, strict=True):
                if key not in found and key not in waiting:
                    todo.setdefault(key, item)
            mine: dict[Key, Future[GradeResult]] = {k: Future() for k in todo}
            self._flight.update(mine)
        try:
            fresh = grader.grade_many(list(todo.values())) if todo else []
        except BaseException as exc:
            with self._lock:
                for key, fut in mine.items():
                    del self._flight[key]
                    fut.set_exception(exc)
            raise
        with self._lock:
            for key, res in zip(todo, fresh, strict=True):
                self._data[key] = found[key] = res
                del self._flight[key]
                mine[key].set_result(res)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
            self.work.add(fresh)
        found.update((k, fut.result()) for k, fut in waiting.items())
        return [found[k] for k in keys]
