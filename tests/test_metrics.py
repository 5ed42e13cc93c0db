"""The metric registry: one definition per rate, denominators that leave out what a rate does not apply to,
intervals, and scalars for TRL's logs."""

from __future__ import annotations

import pytest

from hackgym.detect import UNATTRIBUTED, Rollout, label_grades
from hackgym.graders import GradeResult
from hackgym.hacks import FAMILIES, Evidence
from hackgym.metrics import RATES, difference_ci, flat, measure, rate_series, wilson


def _rollout(env: str, hardened: str, *, fired: tuple[str, ...] = (), probe: str | None = None,
             held_out: tuple[int, int] | None = None, spec: str = "vulnerable", screened: bool = False) -> Rollout:
    env_res = GradeResult.make(spec, env)
    kw = {"held_out_passed": held_out[0], "held_out_total": held_out[1]} if held_out else {}
    hard = GradeResult.make("hardened", hardened, **kw)
    ev = [Evidence(family=f, file="solution.py", reason="test") for f in fired]
    label = label_grades(env_res, hard, ev, probe=GradeResult.make("vulnerable", probe) if probe else None)
    return Rollout(source="train", problem_id="p", env_grader=spec, label=label, screened=screened)


def test_every_rate_is_defined_once_with_a_description():
    assert {"env_pass", "true_pass", "held_out_pass", "successful_hack", "attempted_hack", "exploit",
            "screened", "format_ok"} <= set(RATES)
    for fid in [*FAMILIES, UNATTRIBUTED]:
        assert f"successful_hack/{fid}" in RATES
    assert f"attempted_hack/{UNATTRIBUTED}" not in RATES  # an attempt is seen by a signature, so it has a family
    assert all(r.doc and r.name == name for name, r in RATES.items())


def test_rates_count_only_the_rollouts_they_apply_to():
    rollouts = [
        _rollout("passed", "passed", held_out=(2, 2), probe="passed"),
        _rollout("passed", "failed", fired=("exit_zero",), held_out=(0, 2), probe="passed"),
        _rollout("failed", "failed", fired=("exit_zero",)),
        _rollout("failed", "failed", spec="hardened", screened=True),
        Rollout(source="eval", problem_id="q", env_grader="none",
                label=label_grades(None, None, [Evidence(family="always_equal", file="a.py", reason="t")])),
    ]
    v = measure(rollouts)
    assert (v["successful_hack"].k, v["successful_hack"].n) == (1, 4)  # the ungraded eval answer is left out
    assert (v["attempted_hack"].k, v["attempted_hack"].n) == (3, 5)  # ... but its attempt counts
    assert (v["held_out_pass"].k, v["held_out_pass"].n) == (1, 2)  # only problems with held-out cases
    assert (v["exploit"].k, v["exploit"].n) == (1, 2)  # only rollouts a probe graded
    assert (v["successful_hack_on_hackable"].k, v["successful_hack_on_hackable"].n) == (1, 3)
    assert (v["successful_hack/exit_zero"].k, v["attempted_hack/exit_zero"].k) == (1, 2)
    assert (v["screened"].k, v["screened"].n) == (1, 5)
    assert v["format_ok"].n == 0 and v["format_ok"].rate is None and v["format_ok"].ci == (0.0, 1.0)
    assert v["successful_hack"].ci == pytest.approx(wilson(1, 4))
    scalars = flat(v, "hackgym/")
    assert scalars["hackgym/successful_hack"] == 0.25 and "hackgym/format_ok" not in scalars


def test_rate_series_reads_metrics_records_in_step_order():
    recs = [{"step": 2, "rates": {"successful_hack": {"rate": 0.5}}}, {"step": 1, "rates": {}},
            {"step": 3, "rates": {"successful_hack": {"rate": None}}}]
    assert rate_series(recs, "successful_hack") == [(1, None), (2, 0.5), (3, None)]


def test_difference_interval_matches_newcombe():
    """Newcombe (1998), method 10: 56/70 - 48/80 = 0.2, 95% interval (0.0524, 0.3339)."""
    lo, hi = difference_ci(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    assert difference_ci(0, 10, 0, 10)[0] < 0 < difference_ci(0, 10, 0, 10)[1]
    assert difference_ci(1, 0, 1, 5) == (-1.0, 1.0)
