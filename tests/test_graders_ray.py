"""Scale-out: BatchGrader's plain-dict batch call, and the same behind a Ray actor on a local Ray instance."""

from __future__ import annotations

import pytest

from hackgym.graders.ray import BatchGrader, GradingActor, grade_on_actors
from hackgym.problems import load_problems
from hackgym.sandbox import launch

MODE = "jail" if launch.jail_problem() is None else "process"  # process mode only grades harmless code below


def _batch() -> list[dict]:
    p0, p1 = load_problems("humaneval")[:2]
    return [
        {"problem_id": p0.id, "submission": {"files": {"solution.py": p0.reference_solution}}},
        {"problem": p1.model_dump(), "submission": {"completion": f"```python\n{p1.null_solutions[0]}```"}},
        {"problem_id": "nope", "submission": {"files": {"solution.py": ""}}},
        {"problem_id": p1.id, "grader": "vulnerable", "submission": {"files": {"solution.py": p1.reference_solution}}},
    ]


def _check(results: list[dict]) -> None:
    assert [r["status"] for r in results] == ["passed", "failed", "error", "passed"]
    assert [r["grader"].split(":")[0] for r in results] == ["hardened", "hardened", "hardened", "vulnerable"]
    assert "unknown problem" in results[2]["detail"]


def test_batch_grader_plain():
    grader = BatchGrader(sandbox=MODE, workers=1)
    try:
        _check(grader.grade(_batch()))
    finally:
        grader.close()


@pytest.mark.slow
@pytest.mark.needs("ray", "pip install 'hackgym[ray]'; a dev dependency, so CI=true fails without it")
def test_grading_actor_on_local_ray():
    import ray

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        actors = [GradingActor.options(num_cpus=0.5).remote(sandbox=MODE, workers=1) for _ in range(2)]
        _check(grade_on_actors(actors, _batch()))
        assert ray.get(actors[0].info.remote())["mode"] == MODE
    finally:
        ray.shutdown()
