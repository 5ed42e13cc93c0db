"""Grader kinds are registered with their metadata; a spec parses into a pydantic model without starting a
sandbox, prints back in canonical form, and names what is wrong when it is wrong; installed packages add kinds
through the `hackgym.graders` entry-point group."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from hackgym.errors import GraderSpecError
from hackgym.graders import (
    ENTRY_POINT_GROUP,
    STUDY_WEAKNESSES,
    CommandGrader,
    GraderSpec,
    HardenedGrader,
    VulnerableGrader,
    VulnerableSpec,
    Weakness,
    _registry,
    grader_kinds,
    make_grader,
    parse_spec,
)
from hackgym.sandbox import pool as pool_module

POOL = object()  # graders keep their pool and touch it only when grading; these tests never grade

CANONICAL = ["hardened", "vulnerable", "vulnerable:none", "vulnerable:always_equal+exit_zero",
             "vulnerable:conftest_patch+crash_pass+fresh_interpreter",
             "vulnerable:" + "+".join(sorted(w.value for w in Weakness)),
             *(f"vulnerable:{w.value}" for w in Weakness),
             "cmd:{python} -m pytest -q {workdir}", "cmd:{python} {testdir}/check.py {workdir} --opt=a:b"]


@pytest.fixture
def no_sandbox(monkeypatch):
    """Any attempt to make or fetch a sandbox pool fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a sandbox pool was requested")

    monkeypatch.setattr(pool_module.Pool, "__init__", refuse)
    monkeypatch.setattr(_registry, "get_pool", refuse)


@pytest.mark.parametrize("spec", CANONICAL)
def test_a_canonical_spec_round_trips_without_a_sandbox(no_sandbox, spec):
    parsed = parse_spec(spec)
    assert isinstance(parsed, GraderSpec)
    assert parsed.spec == spec == str(parsed)
    assert parse_spec(parsed.spec) == parsed
    assert type(parsed).model_validate(parsed.model_dump()) == parsed  # a plain pydantic model
    assert parse_spec(parsed) is parsed


@pytest.mark.parametrize(("spec", "canonical"), [
    ("vulnerable:exit_zero+always_equal", "vulnerable:always_equal+exit_zero"),
    ("vulnerable:always_equal+conftest_patch+exit_zero", "vulnerable"),
    ("vulnerable:exit_zero+conftest_patch+always_equal", "vulnerable"),
    ("vulnerable:all", "vulnerable:" + "+".join(sorted(w.value for w in Weakness))),
    ("vulnerable:exit_zero+exit_zero", "vulnerable:exit_zero"),
    ("vulnerable: exit_zero + always_equal", "vulnerable:always_equal+exit_zero"),
])
def test_other_spellings_print_the_canonical_spec(no_sandbox, spec, canonical):
    assert parse_spec(spec).spec == canonical
    assert parse_spec(spec) == parse_spec(canonical)


def test_vulnerable_means_the_study_weaknesses():
    assert parse_spec("vulnerable") == VulnerableSpec(weaknesses=STUDY_WEAKNESSES)
    assert parse_spec("vulnerable").model_dump() == {"weaknesses": ["always_equal", "conftest_patch", "exit_zero"]}
    assert parse_spec("vulnerable:none").model_dump() == {"weaknesses": []}


@pytest.mark.parametrize("spec", CANONICAL)
def test_the_canonical_spec_is_the_built_graders_name(spec):
    grader = make_grader(spec, pool=POOL)
    assert grader.name == spec
    assert make_grader(parse_spec(spec), pool=POOL).name == spec


def test_make_grader_builds_each_kind_from_the_parsed_model(tmp_path):
    assert isinstance(make_grader("hardened", pool=POOL), HardenedGrader)
    vuln = make_grader("vulnerable:exit_zero+always_equal", pool=POOL)
    assert isinstance(vuln, VulnerableGrader)
    assert vuln.weaknesses == {Weakness.EXIT_ZERO, Weakness.ALWAYS_EQUAL}
    (tmp_path / "check.py").write_text("print('ok')\n")
    cmd = make_grader("cmd:{python} {testdir}/check.py {workdir}", pool=POOL, grader_files=tmp_path)
    assert isinstance(cmd, CommandGrader)
    assert cmd.argv == ["{python}", "{testdir}/check.py", "{workdir}"] and cmd.test_files == {"check.py": "print('ok')\n"}


@pytest.mark.parametrize(("spec", "message"), [
    ("lenient", r"unknown grader spec 'lenient': no grader kind 'lenient'; use hardened, vulnerable\[.*cmd:COMMAND"),
    ("", r"empty grader spec ''"),
    ("hardened:strict", r"grader spec 'hardened:strict': hardened takes no argument"),
    ("vulnerable:nope", r"grader spec 'vulnerable:nope': unknown weakness 'nope': use always_equal, exit_zero"),
    ("vulnerable:exit_zero+", r"unknown weakness ''"),
    ("vulnerable:", r"grader spec 'vulnerable:': no weakness after ':'"),
    ("cmd", r"grader spec 'cmd': cmd needs a command"),
    ("cmd:", r"grader spec 'cmd:': command: the command is empty"),
    ("cmd:'unclosed", r"does not split into arguments: No closing quotation"),
])
def test_a_bad_spec_names_what_is_wrong_before_any_sandbox(no_sandbox, spec, message):
    with pytest.raises(GraderSpecError, match=message):
        parse_spec(spec)
    with pytest.raises(GraderSpecError, match=message):
        make_grader(spec)  # parsed before a pool is asked for


def test_every_kind_is_listed_with_its_metadata():
    kinds = grader_kinds()
    assert {"hardened", "vulnerable", "cmd"} <= set(kinds)
    for name, kind in kinds.items():
        assert kind.name == name and kind.doc and kind.syntax.startswith(name)
        assert kind.spec_type.kind == name
    assert kinds["cmd"].syntax == "cmd:COMMAND"
    assert "study's three" in kinds["vulnerable"].doc
    assert kinds["vulnerable"].parse("exit_zero").spec == "vulnerable:exit_zero"


PLUGIN = '''
from typing import ClassVar

from hackgym.errors import GraderSpecError
from hackgym.graders import FunctionGrader, GraderSpec


class StrictSpec(GraderSpec):
    """Passes a submission whose solution.py is at most LIMIT characters long."""

    syntax: ClassVar[str] = "strict:LIMIT"
    limit: int

    @classmethod
    def from_arg(cls, arg):
        if arg is None or not arg.isdigit():
            raise GraderSpecError("strict needs a number: strict:LIMIT")
        return cls(limit=int(arg))

    @property
    def spec(self):
        return f"strict:{self.limit}"

    def build(self, pool, grader_files=None):
        return FunctionGrader(lambda p, s, pool: len(s.files["solution.py"]) <= self.limit, pool, name=self.spec)
'''


def _dist(root: Path, name: str, entry_points: str, modules: dict[str, str]) -> None:
    """A minimal installed distribution in `root`: module files and a .dist-info with its entry points."""
    for module, text in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(text))
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry_points}\n")


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_registry, "_KINDS", dict(_registry._KINDS))  # plugin kinds leave with the test
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("hackgym_")]:
        del sys.modules[name]


def test_an_installed_package_adds_a_grader_kind_through_the_entry_point(plugin_path, no_sandbox):
    _dist(plugin_path, "hackgym_strict", "strict = hackgym_strict_plugin:StrictSpec",
          {"hackgym_strict_plugin": PLUGIN})
    parsed = parse_spec("strict:40")
    assert parsed.spec == "strict:40" and parsed.model_dump() == {"limit": 40}
    kind = grader_kinds()["strict"]
    assert kind.syntax == "strict:LIMIT" and kind.doc.startswith("Passes a submission")
    assert "hackgym_strict" in kind.source
    with pytest.raises(GraderSpecError, match="grader spec 'strict:x': strict needs a number"):
        parse_spec("strict:x")
    with pytest.raises(GraderSpecError, match="unknown grader spec 'lenient'.*strict:LIMIT"):
        parse_spec("lenient")


def test_a_plugin_grader_grades(plugin_path, basic):
    from hackgym.submission import Submission

    _dist(plugin_path, "hackgym_strict", "strict = hackgym_strict_plugin:StrictSpec",
          {"hackgym_strict_plugin": PLUGIN})
    grader = make_grader("strict:20", pool=POOL)
    assert grader.grade(basic[0], Submission(files={"solution.py": "x = 1\n"})).passed
    assert not grader.grade(basic[0], Submission(files={"solution.py": "x = 1\n" * 10})).passed


def test_a_broken_plugin_is_named_when_its_kind_is_asked_for(plugin_path):
    _dist(plugin_path, "hackgym_broken", "broken = hackgym_no_such_module:Spec\nnotaspec = hackgym_notaspec:Thing",
          {"hackgym_notaspec": "class Thing:\n    pass\n"})
    assert parse_spec("hardened").spec == "hardened"  # other kinds are unaffected
    with pytest.raises(GraderSpecError, match=r"entry point broken = hackgym_no_such_module:Spec \(hackgym_broken\) "
                                              r"failed to load: ModuleNotFoundError"):
        parse_spec("broken:1")
    with pytest.raises(GraderSpecError, match="grader kind 'notaspec'.*is not a GraderSpec subclass"):
        parse_spec("notaspec")


def test_a_plugin_cannot_replace_a_built_in_kind(plugin_path):
    _dist(plugin_path, "hackgym_evil", "hardened = hackgym_strict_plugin:StrictSpec", {"hackgym_strict_plugin": PLUGIN})
    assert isinstance(make_grader("hardened", pool=POOL), HardenedGrader)
    with pytest.raises(GraderSpecError, match="'hardened' is a built-in grader kind"):
        grader_kinds()
