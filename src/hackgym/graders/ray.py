"""Scale-out: grading behind one batch call, `BatchGrader.grade(batch)`, that a Ray actor wraps.

One actor per node owns that node's pool (a slot per core), so a cluster grades on every node; batches and
results are plain dicts, so they cross process and machine boundaries without pickling model code's objects.
Ray is optional (`pip install 'hackgym[ray]'`); `BatchGrader` works without it, e.g. behind any RPC.

    import ray
    from hackgym.graders.ray import GradingActor, grade_on_actors
    actors = [GradingActor.options(num_cpus=4).remote(workers=4) for _ in range(n_nodes)]
    results = grade_on_actors(actors, batch)   # input order kept across actors
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from ..errors import HackgymError
from ..problems import Problem, load_problems
from ..sandbox import Pool, SandboxConfig, SandboxMode
from ..submission import Submission
from ._registry import make_grader
from .base import Grader, GradeResult


class BatchGrader:
    """Grades batches of plain-dict items on its own sandbox pool; never raises for one bad item.

    An item: {"problem": <Problem record>} or {"problem_id": "HumanEval/0", "problem_set": "humaneval"};
    {"submission": {"files": {...}}} or {"submission": {"completion": "..."}}; optional "grader" (a spec for
    `make_grader`, default this grader's). A result: `GradeResult.model_dump()`, in input order.
    """

    def __init__(self, grader: str = "hardened", sandbox: SandboxMode = "jail", workers: int | None = None) -> None:
        self.default_spec = grader
        config = SandboxConfig(mode=sandbox, **({"workers": workers} if workers else {}))
        self.pool = Pool(config)
        self._graders: dict[str, Grader] = {}

    def _grader(self, spec: str) -> Grader:
        if spec not in self._graders:
            self._graders[spec] = make_grader(spec, pool=self.pool)
        return self._graders[spec]

    @staticmethod
    @functools.lru_cache(maxsize=8)
    def _problem_set(name: str) -> dict[str, Problem]:
        return {p.id: p for p in load_problems(name)}

    def _parse(self, item: dict) -> tuple[Problem, Submission]:
        if "problem" in item:
            problem = Problem.model_validate(item["problem"])
        else:
            problems = self._problem_set(item.get("problem_set", "humaneval"))
            if item.get("problem_id") not in problems:
                raise HackgymError(f"unknown problem {item.get('problem_id')!r}")
            problem = problems[item["problem_id"]]
        entry = problem.entry_point
        return problem, Submission.from_record(item.get("submission", {}), entry)

    def grade(self, batch: list[dict]) -> list[dict]:
        """Grade a batch; results (dicts) in input order. Items sharing a grader spec run as one batch."""
        results: list[dict | None] = [None] * len(batch)
        groups: dict[str, list[tuple[int, Any, Any]]] = {}
        for i, item in enumerate(batch):
            spec = item.get("grader", self.default_spec) if isinstance(item, dict) else self.default_spec
            try:
                problem, sub = self._parse(item)
                self._grader(spec)  # an unknown spec is this item's error
            except Exception as exc:  # noqa: BLE001 - one bad item is that item's error, not the batch's
                results[i] = GradeResult.make(str(spec), "error", detail=f"{type(exc).__name__}: {exc}").model_dump()
                continue
            groups.setdefault(spec, []).append((i, problem, sub))
        for spec, members in groups.items():
            graded = self._graders[spec].grade_many([(p, s) for _, p, s in members])
            for (i, _, _), res in zip(members, graded, strict=True):
                results[i] = res.model_dump()
        return results  # type: ignore[return-value]

    def info(self) -> dict:
        return {"mode": self.pool.config.mode, "workers": self.pool.workers, "default_grader": self.default_spec}

    def close(self) -> None:
        self.pool.close()


def _ray():
    try:
        import ray
    except ImportError:
        raise HackgymError("scale-out needs Ray: pip install 'hackgym[ray]'") from None
    return ray


class _LazyActor:
    """`GradingActor` is `ray.remote(BatchGrader)`, made on first use so that importing needs no Ray."""

    @functools.cached_property
    def _cls(self):
        return _ray().remote(BatchGrader)

    def __getattr__(self, name: str):
        return getattr(self._cls, name)


GradingActor = _LazyActor()


def grade_on_actors(actors: Sequence[Any], batch: list[dict]) -> list[dict]:
    """Split `batch` into one contiguous chunk per actor, grade them in parallel, rejoin in input order."""
    if not actors:
        raise HackgymError("no grading actors")
    ray = _ray()
    n = len(actors)
    size = -(-len(batch) // n) if batch else 0
    chunks = [batch[i * size : (i + 1) * size] for i in range(n)]
    refs = [a.grade.remote(c) for a, c in zip(actors, chunks, strict=True) if c]
    out: list[dict] = []
    for part in ray.get(refs):
        out.extend(part)
    return out
