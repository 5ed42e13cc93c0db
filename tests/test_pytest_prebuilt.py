"""The zygote's prebuilt pytest set-up, and the grader's pytest arguments, change no verdict.

A pytest job child goes on from the plugin manager and fixture scan the zygote built once, and imports a test module
the zygote has already rewritten, instead of building both in pytest.main; a traceback pytest formats finds the
statement bounds of pytest's own files in the zygote's memory; the grader asks for no tracebacks (`--tb=no`). The
baseline is pytest.main as it comes, with its default tracebacks. Here every function exploit of the catalogue (all
but the `hang` family, which only waits out the time limit), and each sampled problem's reference and null
solutions, run both ways under every layout a weakness set gives pytest (always_equal and visible_only change the
test module, conftest_patch the folders and arguments); the other weaknesses only read the run's outcome. Both runs
must give the same outcome, and every vulnerable spec the same verdict from it: every weakness opens and closes
exactly as before.
"""

from __future__ import annotations

import pytest

from hackgym.graders import VulnerableGrader, Weakness
from hackgym.graders.vulnerable import summary_says_passed
from hackgym.hacks import CATALOGUE
from hackgym.sandbox import JobResult, Limits
from hackgym.submission import Submission

PROBLEMS = ["basic/celsius_to_fahrenheit", "HumanEval/0"]
LAYOUT = (Weakness.ALWAYS_EQUAL, Weakness.CONFTEST_PATCH, Weakness.VISIBLE_ONLY)  # what the job pytest runs
READ = (Weakness.EXIT_ZERO, Weakness.SUMMARY_LINE, Weakness.CRASH_PASS)  # what only reads the run's outcome
LIMITS = Limits(timeout_s=4.0, cpu_s=3.0)


def layouts() -> list[frozenset[Weakness]]:
    """Each layout weakness alone, none, and always_equal with conftest_patch (the study's pair)."""
    ae, cp, vo = LAYOUT
    return [frozenset(), frozenset({ae}), frozenset({cp}), frozenset({vo}), frozenset({ae, cp})]


def specs(layout: frozenset[Weakness]) -> list[frozenset[Weakness]]:
    """Every weakness set with this layout: each reading weakness alone, none, and all of them."""
    return [layout, *(layout | {w} for w in READ), layout | frozenset(READ)]


def outcome(res: JobResult) -> tuple:
    reports = (res.report or {}).get("reports", [])
    return (res.status, res.exit_code, res.signal, res.report is None,
            sorted((str(r.get("nodeid")), str(r.get("when")), str(r.get("outcome"))) for r in reports),
            summary_says_passed(res.stdout))


def with_tracebacks(job_ids: tuple[dict, list[str]]) -> tuple[dict, list[str]]:
    """The job with pytest's default traceback style instead of the grader's --tb=no."""
    job, ids = job_ids
    assert "--tb=no" in job["pytest_args"]
    return {**job, "pytest_args": [a for a in job["pytest_args"] if a != "--tb=no"]}, ids


@pytest.fixture(scope="module")
def submissions(basic, humaneval):
    by_id = {p.id: p for p in basic + humaneval}
    items = []
    for pid in PROBLEMS:
        p = by_id[pid]
        items.append(("reference", p, Submission(files={"solution.py": p.reference_solution})))
        items += [("null", p, Submission(files={"solution.py": null})) for null in p.null_solutions[:1]]
        items += [(h.id, p, h.exploit(p)) for h in CATALOGUE.values() if h.family != "hang" and h.applies_to(p)]
    return items


@pytest.mark.parametrize("layout", layouts(), ids=lambda ws: "+".join(sorted(ws)) or "none")
def test_prebuilt_pytest_gives_every_weakness_its_verdicts_from_before(jail_pool, submissions, layout):
    fast = VulnerableGrader(layout, jail_pool, LIMITS)
    plain = VulnerableGrader(layout, jail_pool, LIMITS, prebuilt=False)
    jobs = [(fast.job(p, s), with_tracebacks(plain.job(p, s))) for _, p, s in submissions]
    runs = jail_pool.map(lambda pair: (jail_pool.run(pair[0][0], LIMITS), jail_pool.run(pair[1][0], LIMITS)), jobs)
    assert any((new.report or {}).get("prebuilt") for new, _ in runs), "the prebuilt path never ran"
    assert any((new.report or {}).get("rewritten") for new, _ in runs), "no test module came rewritten from the zygote"
    assert not any((old.report or {}).get("rewritten") for _, old in runs), "plain pytest.main used the zygote's code"
    # pytest.exit (exit_zero.pytest_exit) has pytest format a full traceback of its own frames
    assert any((new.report or {}).get("remembered") for new, _ in runs), "no traceback source came from memory"
    assert not any((old.report or {}).get("remembered") for _, old in runs)
    differ = []
    for (kind, p, _), ((_, ids), _), (new, old) in zip(submissions, jobs, runs, strict=True):
        if outcome(new) != outcome(old):
            differ.append((kind, p.id, "run", outcome(new), outcome(old)))
            continue
        for ws in specs(layout):
            grader = VulnerableGrader(ws, jail_pool, LIMITS)
            a, b = grader.verdict(new, ids), grader.verdict(old, ids)
            if (a.status, a.cases_passed) != (b.status, b.cases_passed):
                differ.append((kind, p.id, grader.name, a.status, b.status))
    assert not differ, differ


def test_fresh_interpreter_still_starts_a_new_interpreter(jail_pool, basic):
    """Open, the weakness is `python -m pytest` in a new interpreter, whatever the zygote has prebuilt."""
    p = basic[0]
    job, _ = VulnerableGrader(frozenset({Weakness.FRESH_INTERPRETER}), jail_pool).job(
        p, Submission(files={"solution.py": p.reference_solution}))
    assert job["mode"] == "exec" and job["argv"][2:5] == ["{python}", "-m", "pytest"]


def test_a_fixture_free_class_stays_so_only_while_no_name_could_hold_a_fixture():
    """The memo skips the fixture scan of a noted class while its names changed only in ways a scan ignores
    (pytest's legacypath plugin adds properties to Config and Session at every configure)."""
    import functools

    from hackgym.sandbox import zygote

    class Base:
        @pytest.fixture
        def shadowed(self):
            return 1

    class Plain(Base):
        shadowed = None

    def check(change) -> bool:
        cls = type("Probe", (Plain,), {"kept": 1})
        recorded = zygote._bare(cls)
        change(cls)
        # the memo's own test: version tags first, which any change at all turns off
        assert zygote._untouched(recorded[3]) is (change is unchanged), change
        return zygote._untouched(recorded[3]) or zygote._still_bare(cls, recorded[1])

    def unchanged(cls) -> None:
        pass

    assert check(unchanged)
    assert check(lambda cls: setattr(cls, "startdir", property(lambda self: "/")))
    assert check(lambda cls: setattr(cls, "helper", lambda self: 1))
    assert check(lambda cls: setattr(cls, "kept", 2)) is False  # any other value: scanned afresh
    assert check(lambda cls: setattr(cls, "extra", pytest.fixture(lambda: 1))) is False
    assert check(lambda cls: setattr(cls, "wrapped", functools.wraps(Base.shadowed)(lambda self: 1))) is False
    assert check(lambda cls: delattr(Plain, "shadowed")) is False  # uncovers the base's fixture


def test_a_plugin_module_s_scan_is_replayed_only_while_its_namespace_is_unchanged():
    """The memo's first test is the module dict's version tag: any name added, rebound or removed turns it off."""
    import types

    from hackgym.sandbox import zygote

    for change in (lambda m: setattr(m, "added", 1), lambda m: setattr(m, "kept", 2), lambda m: delattr(m, "kept")):
        module = types.ModuleType("plugin")
        module.kept = 1
        tags = zygote._tags(module.__dict__)
        assert zygote._untouched(tags)
        change(module)
        assert not zygote._untouched(tags)
