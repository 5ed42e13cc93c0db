import json

import pytest

from hackgym.audit import run_audit, to_markdown
from hackgym.graders import FunctionGrader, GradeResult, make_grader
from hackgym.hacks import CATALOGUE


def test_audit_matrix_and_broken_graders(jail_pool, basic):
    problems = basic[:3]
    hacks = [CATALOGUE["always_equal.object"], CATALOGUE["exit_zero.os_exit_import"], CATALOGUE["conftest_patch.root"]]

    def lenient(problem, submission, pool):
        return True  # accepts anything: a broken grader

    def strict(problem, submission, pool):
        return GradeResult.make("strict", "failed")  # rejects everything: also broken

    graders = [make_grader("hardened", pool=jail_pool), make_grader("vulnerable:exit_zero", pool=jail_pool),
               FunctionGrader(lenient, jail_pool), FunctionGrader(strict, jail_pool)]
    report = run_audit(problems, graders, problem_set="basic", hacks=hacks)
    hard = report.graders["hardened"]
    assert hard.honest.accepted == 3 and hard.null.accepted == 0 and hard.hacks_accepted == 0 and not hard.broken
    exit_zero = report.graders["vulnerable:exit_zero"]
    assert exit_zero.hacks["exit_zero.os_exit_import"].accepted == 3
    assert exit_zero.hacks["always_equal.object"].accepted == 0
    assert report.graders["fn:lenient"].broken and "null" in report.graders["fn:lenient"].broken_reasons[0]
    assert report.graders["fn:strict"].broken and report.graders["fn:strict"].rejected_honest
    assert not report.hardened_accepts_exploits()
    data = json.loads(json.dumps(report.to_json_dict()))
    assert data["graders"]["hardened"]["hacks"]["conftest_patch.root"] == {"accepted": 0, "total": 3}
    assert data["graders"]["hardened"]["honest"] == {"accepted": 3, "total": 3}
    md = to_markdown(report)
    assert "`fn:lenient` is broken" in md and "conftest_patch" in md


def test_no_exploit_outside_the_slow_families_waits_out_a_time_limit(jail_pool, humaneval):
    """An exploit that hangs measures the grader's time limit, not the grader: 24 such gradings (an always-equal
    object that `tuple()` indexed forever on HumanEval/33 and /37) took a fifth of a full audit's time."""
    from hackgym.audit import SLOW_FAMILIES
    from hackgym.sandbox import Limits

    problems = [p for p in humaneval if p.id in ("HumanEval/33", "HumanEval/37")]
    items = [(h.id, p, h.exploit(p)) for p in problems for h in CATALOGUE.values()
             if h.family not in SLOW_FAMILIES and h.applies_to(p)]
    for spec in ("vulnerable", "vulnerable:conftest_patch"):
        grader = make_grader(spec, pool=jail_pool)
        grader.limits = Limits(timeout_s=3.0, cpu_s=3.0)
        results = grader.grade_many([(p, s) for _, p, s in items])
        timed_out = [(hid, p.id) for (hid, p, _), r in zip(items, results, strict=True) if r.status == "timeout"]
        assert not timed_out, f"{spec}: {timed_out}"


def test_a_sampled_family_is_audited_on_its_first_problems_only():
    """A stdio set of thousands would spend nearly all its audit on programs that never end (`stall`): the default
    audit keeps that family to the first problems it applies to, and counts the gradings it will make."""
    from hackgym.audit import SAMPLED_FAMILIES, _jobs, n_gradings, schedule
    from hackgym.problems import load_problems

    problems = load_problems("stdio_sample")
    hacks = [h for h in CATALOGUE.values() if h.family in ("stall", "exit_zero") and h.applies_to(problems[0])]
    assert {h.family for h in hacks} == {"stall", "exit_zero"}
    jobs = _jobs(problems, hacks, {"stall": 2})
    stalled = {p.id for kind, p, _ in jobs if CATALOGUE.get(kind) and CATALOGUE[kind].family == "stall"}
    exited = {p.id for kind, p, _ in jobs if CATALOGUE.get(kind) and CATALOGUE[kind].family == "exit_zero"}
    assert stalled == {p.id for p in problems[:2]} and exited == {p.id for p in problems}
    assert n_gradings(problems, 3, hacks, {"stall": 2}) == 3 * len(jobs)
    assert n_gradings(problems, 3, hacks) == 3 * len(_jobs(problems, hacks)) > 3 * len(jobs)
    assert SAMPLED_FAMILIES["stall"] >= 1
    n_stall = sum(1 for kind, _, _ in jobs if CATALOGUE.get(kind) and CATALOGUE[kind].family == "stall")
    first = schedule([FunctionGrader(lambda p, s, pool: True, None)], jobs)[:n_stall]
    assert all(CATALOGUE[_kind_of(jobs, t)].family == "stall" for t in first)  # the slow ones go first


def _kind_of(jobs, task) -> str:
    (_, problem_id, digest), _, _, _, _ = task
    return next(kind for kind, p, s in jobs if p.id == problem_id and s.digest() == digest)


def test_schedule_hands_out_each_distinct_grading_once_slow_families_first_graders_interleaved(basic):
    from hackgym.audit import _jobs, schedule
    from hackgym.graders import FunctionGrader

    problems = basic[:2]
    hacks = [CATALOGUE["always_equal.object"], CATALOGUE["hang.sleep"]]
    a, b = FunctionGrader(lambda p, s, pool: True, None), FunctionGrader(lambda p, s, pool: False, None)
    b.name = "other"
    jobs = _jobs(problems, hacks)
    jobs.append(jobs[0])  # an identical submission of the same problem: graded once per grader, two cells
    tasks = schedule([a, b], jobs)
    keys = [key for key, _, _, _, _ in tasks]
    assert len(keys) == len(set(keys)) == 2 * (len(jobs) - 1)
    assert sum(cells for _, cells, _, _, _ in tasks) == 2 * len(jobs)
    n_slow = 2 * len(problems)
    assert {s.digest() for _, _, _, _, s in tasks[:n_slow]} == {CATALOGUE["hang.sleep"].exploit(p).digest()
                                                                 for p in problems}
    assert [g.name for _, _, g, _, _ in tasks[:4]] == [a.name, "other", a.name, "other"]


@pytest.mark.jail
def test_one_grader_spec_audits_only_that_grader_on_a_pool_of_jobs_workers(tmp_path):
    from typer.testing import CliRunner

    from hackgym.cli import app

    js = tmp_path / "a.json"
    r = CliRunner().invoke(app, ["audit", "--problems", "basic", "--limit", "2", "--hack", "always_equal.object",
                                 "--grader", "vulnerable:exit_zero", "--grader", "vulnerable:exit_zero",
                                 "--jobs", "1", "--json", str(js)])
    assert r.exit_code == 0, r.output
    data = json.loads(js.read_text())
    assert list(data["graders"]) == ["vulnerable:exit_zero"]
    assert data["graders"]["vulnerable:exit_zero"]["honest"] == {"accepted": 2, "total": 2}
