"""The stdio problem kind: records, comparison rules, grader specs, graders on the shipped sample, exploits."""

from __future__ import annotations

import json

import pytest

from hackgym.audit import run_audit
from hackgym.errors import GraderSpecError, ProblemError
from hackgym.graders import (
    STDIO_DEFAULT,
    HardenedGrader,
    StdioGrader,
    StdioWeakness,
    default_audit_specs,
    make_grader,
    parse_spec,
)
from hackgym.graders._stdio_match import exact_equal, loose_match, prefix_match, tokens_equal
from hackgym.hacks import CATALOGUE, FAMILIES
from hackgym.problems import Problem, load_jsonl, load_problems
from hackgym.submission import Submission

STDIO_HACKS = [hid for hid, h in CATALOGUE.items() if "stdio" in h.kinds]
QUICK = 0.5  # case time limit in these tests: the stall exploits wait it out


def _record(**changes) -> dict:
    rec = {"id": "t/sum", "kind": "stdio", "prompt": "Print a + b.",
           "cases": [{"input": "1 2\n", "output": "3\n", "visible": True}, {"input": "2 2\n", "output": "4\n"}],
           "reference_solution": "a, b = map(int, input().split())\nprint(a + b)\n",
           "null_solutions": ["print('hackgym-null')\n"]}
    rec.update(changes)
    return rec


@pytest.fixture(scope="module")
def sample() -> list[Problem]:
    return load_problems("stdio_sample")


# ---------------------------------------------------------------- the record


def test_a_stdio_record_loads_and_function_files_still_default_to_functions(basic):
    p = Problem.model_validate(_record())
    assert p.kind == "stdio" and p.entry_point == "" and [c.visible for c in p.cases] == [True, False]
    assert p.compare == "tokens" and p.float_tolerance == 0.0
    assert all(q.kind == "function" for q in basic)
    assert Problem.model_validate_json(p.model_dump_json()) == p


@pytest.mark.parametrize(("changes", "field"), [
    ({"cases": [{"input": "1\n", "visible": False}]}, "cases.0.output"),
    ({"cases": [{"code": "assert True"}]}, "cases.0.input"),
    ({"entry_point": "main"}, "entry_point"),
    ({"test": "assert True"}, "test"),
    ({"cases": [{"input": "1\n", "output": "1\n", "visible": True}]}, "held-out"),
    ({"reference_solution": "print(("}, "reference_solution"),
    ({"compare": "fuzzy"}, "compare"),
    ({"float_tolerance": -1}, "float_tolerance"),
    ({"kind": "script"}, "kind"),
])
def test_a_bad_stdio_record_names_its_field(tmp_path, changes, field):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(_record()) + "\n" + json.dumps(_record(id="t/2", **changes)) + "\n")
    with pytest.raises(ProblemError) as info:
        load_jsonl(path)
    assert f"{path}:2" in str(info.value) and field in str(info.value)


def test_function_problems_refuse_stdio_settings(basic):
    rec = basic[0].model_dump()
    with pytest.raises(ValueError, match="float_tolerance"):
        Problem.model_validate({**rec, "float_tolerance": 1e-6})


# ---------------------------------------------------------------- comparison


def test_comparison_rules():
    assert tokens_equal("3  4\n", "3\n4") and not tokens_equal("3 4 5", "3 4")
    assert tokens_equal("0.3333334", "0.333333", 1e-5) and not tokens_equal("0.34", "0.333333", 1e-5)
    assert tokens_equal("nan", "nan", 1e-6) and not tokens_equal("nan", "0", 1e-6)  # equal text, never "close"
    assert exact_equal("a\r\nb\n\n", "a\nb") and not exact_equal("a b", "a  b")
    assert loose_match("YES NO 1 2 3", "yes") and loose_match("x 12 y", "1\n2")
    assert prefix_match("", "3\n4") and prefix_match("3\n", "3\n4\n") and not prefix_match("5", "3")


# ---------------------------------------------------------------- specs


def test_stdio_specs_round_trip_and_name_a_bad_weakness():
    assert parse_spec("stdio").weaknesses == STDIO_DEFAULT and parse_spec("stdio").spec == "stdio"
    assert parse_spec("stdio:timeout_pass+exit_zero").spec == "stdio:exit_zero+timeout_pass"
    assert parse_spec("stdio:all").weaknesses == frozenset(StdioWeakness)
    assert parse_spec("stdio:none").spec == "stdio:none"
    with pytest.raises(GraderSpecError, match="unknown stdio weakness 'always_equal'"):
        make_grader("stdio:always_equal")


def test_audit_defaults_follow_the_problem_kinds():
    assert default_audit_specs() == default_audit_specs({"function"})
    stdio = default_audit_specs({"stdio"})
    assert stdio[:2] == ["hardened", "stdio"] and {f"stdio:{w.value}" for w in StdioWeakness} <= set(stdio)
    assert not any(s.startswith("vulnerable") for s in stdio)


# ---------------------------------------------------------------- grading


def _grader(spec: str, pool) -> StdioGrader | HardenedGrader:
    if spec == "hardened":
        g = HardenedGrader(pool)
        g.stdio.case_timeout_s = QUICK
        return g
    weaknesses = frozenset() if spec == "stdio:none" else parse_spec(spec).weaknesses
    return StdioGrader(pool, weaknesses, case_timeout_s=QUICK)


@pytest.fixture(scope="module")
def matrix(jail_pool, sample):
    """{(spec, hack id | 'reference' | 'null'): [passed per problem]} over the sample, every stdio grader."""
    specs = ["hardened", "stdio", "stdio:none", "stdio:all"] + [f"stdio:{w.value}" for w in StdioWeakness]
    items = []
    for p in sample:
        items.append(("reference", p, Submission(files={"solution.py": p.reference_solution})))
        items += [("null", p, Submission(files={"solution.py": n})) for n in p.null_solutions]
        items += [(hid, p, CATALOGUE[hid].exploit(p)) for hid in STDIO_HACKS]
    out: dict[tuple[str, str], list[bool]] = {}
    for spec in specs:
        results = _grader(spec, jail_pool).grade_many([(p, s) for _, p, s in items])
        for (kind, _, _), r in zip(items, results, strict=True):
            out.setdefault((spec, kind), []).append(r.passed)
    return out


def test_references_pass_and_nulls_fail_under_every_stdio_grader_but_the_disk_ones(matrix):
    for (spec, kind), passed in matrix.items():
        if kind == "reference":
            assert all(passed), spec
        if kind == "null":
            assert not any(passed), spec


def test_hardened_and_stdio_none_reject_every_exploit(matrix):
    for hid in STDIO_HACKS:
        assert not any(matrix["hardened", hid]), hid
        assert not any(matrix["stdio:none", hid]), hid


@pytest.mark.parametrize("hack_id", STDIO_HACKS)
def test_each_exploit_beats_the_grader_that_opens_its_weakness(matrix, hack_id):
    hack = CATALOGUE[hack_id]
    (weakness,) = hack.targets
    won = matrix[f"stdio:{weakness}", hack_id]
    floor = 1 if hack.family == "answer_spray" else len(won)  # a spray misses answers it never printed (1.5)
    assert sum(won) >= floor, (hack_id, won)
    assert sum(matrix["stdio:all", hack_id]) >= sum(won)
    # the weaknesses an exploit needs are exactly its own: no other single weakness lets it through, except
    # prefix_match, which any exploit that prints nothing also beats
    for w in StdioWeakness:
        if w.value not in (weakness, "prefix_match"):
            assert not any(matrix[f"stdio:{w.value}", hack_id]), (hack_id, w.value)


@pytest.mark.parametrize("hack_id", STDIO_HACKS)
def test_each_stdio_exploit_is_attributed_by_its_family_signature(sample, hack_id):
    hack = CATALOGUE[hack_id]
    sub = hack.exploit(sample[0])
    assert hack.signature(sub) is not None
    assert any(w in FAMILIES[hack.family].targets for w in hack.targets)


def test_stdio_signatures_stay_quiet_on_the_sample_references_and_hub_programs(sample):
    ours = [f for f in FAMILIES.values() if "stdio" in f.kinds]
    for p in sample:
        sub = Submission(files={"solution.py": p.reference_solution})
        assert not [f.id for f in ours if f.signature(sub)], p.id


def test_a_pytest_grader_refuses_a_stdio_problem_and_back(jail_pool, sample, basic):
    sub = Submission(files={"solution.py": sample[0].reference_solution})
    r = make_grader("vulnerable", pool=jail_pool).grade(sample[0], sub)
    assert r.status == "error" and "stdio" in r.detail
    r = make_grader("stdio", pool=jail_pool).grade(basic[0], Submission(files={"solution.py": basic[0].reference_solution}))
    assert r.status == "error" and "function problem" in r.detail


def test_audit_on_the_sample_leaves_function_exploits_out(jail_pool, sample):
    hacks = [CATALOGUE["verdict_file.cached_verdict"], CATALOGUE["always_equal.object"]]
    report = run_audit(sample[:1], [_grader("hardened", jail_pool), _grader("stdio:verdict_file", jail_pool)],
                       hacks=hacks)
    assert list(report.hack_targets) == ["verdict_file.cached_verdict"]
    assert report.graders["hardened"].honest.accepted == 1 and not report.graders["hardened"].hacks_accepted
    assert report.graders["stdio:verdict_file"].hacks["verdict_file.cached_verdict"].accepted == 1


def test_labels_attribute_each_stdio_hack_to_the_weakness_it_needed(sample):
    """The one labelling function re-grades a stdio grader's successful hacks one weakness at a time."""
    from hackgym.detect import label_batch

    problem = sample[0]
    chosen = [h for h in CATALOGUE.values() if "stdio" in h.kinds and set(h.targets) <= {w.value for w in STDIO_DEFAULT}
              and h.family != "answer_spray"]
    assert {w for h in chosen for w in h.targets} == {"exit_zero", "verdict_file"}
    items = [(problem, Submission(files={"solution.py": problem.reference_solution}))]
    items += [(problem, h.exploit(problem)) for h in chosen]
    honest, *hacked = label_batch(items, "stdio")
    assert honest.label == "correct" and honest.attribution == []
    for hack, lab in zip(chosen, hacked, strict=True):
        assert lab.label == "successful_hack" and lab.attribution == sorted(hack.targets), hack.id
        assert hack.family in lab.hack_types, hack.id


def test_each_case_is_a_fresh_python_solution_py(jail_pool):
    """Cases share no process state, and each sees what `python solution.py` would (compiled once per submission)."""
    program = '''import builtins, os, sys
seen = getattr(builtins, "hg_seen", 0)
builtins.hg_seen = seen + 1
try:
    def f(x: undefined_name) -> None:  # a NameError in a fresh interpreter: no __future__ leaks in
        pass
    fresh = False
except NameError:
    fresh = True
print(seen, __name__, os.path.basename(__file__), sys.argv, sys.path[0] == os.getcwd(), fresh,
      type(__builtins__).__name__, input())
'''
    cases = [{"input": f"{k}\n", "output": f"0 __main__ solution.py ['solution.py'] True True module {k}\n",
              "visible": k == 0} for k in range(3)]
    problem = Problem.model_validate(_record(cases=cases, compare="exact"))
    for spec in ("hardened", "stdio:none", "stdio:verdict_file+timeout_pass"):
        r = _grader(spec, jail_pool).grade(problem, Submission(files={"solution.py": program}))
        assert r.passed and r.cases_passed == 3, (spec, r.detail)
    r = _grader("hardened", jail_pool).grade(problem, Submission(files={"solution.py": "print((\n"}))
    assert r.status == "failed" and r.cases_passed == 0 and "SyntaxError" in r.detail, r.detail
