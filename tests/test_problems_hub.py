"""Hub problem sets (`hf:`) loaded by the real `datasets.load_dataset` from samples laid out as the hub repos.

The samples under tests/data/hub were written for these tests (tests/data/hub/make_fixtures.py), in each
set's own schema; HACKGYM_HUB_DATA points the hub ids at them, the same route an offline mirror takes.
"""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path

import datasets
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from hackgym.cli import app
from hackgym.errors import ProblemError
from hackgym.graders import HardenedGrader
from hackgym.problems import HUB_DATA_ENV, Problem, load_hub, load_jsonl, load_problems
from hackgym.problems._pyfunc import Skipped
from hackgym.problems.hub import parse_hf
from hackgym.problems.livecodebench import decode_tests, map_livecodebench
from hackgym.problems.verify import verify_references
from hackgym.submission import Submission

HUB = Path(__file__).parent / "data" / "hub"
runner = CliRunner()
STDIO = "stdin/stdout program"


@pytest.fixture(autouse=True)
def hub_data(monkeypatch):
    monkeypatch.setenv(HUB_DATA_ENV, str(HUB))


def test_mbpp_full_maps_rows_and_reports_what_it_skipped():
    problems, report = load_hub("hf:mbpp")
    assert [p.id for p in problems] == [f"mbpp/{i}" for i in range(901, 908)]
    assert (report.rows, report.kept) == (9, 7)
    assert report.skipped == {"the reference or a test is not valid Python 3": 1,
                              "the tests call no function the reference defines": 1}
    assert report.examples["the reference or a test is not valid Python 3"] == ["908"]
    by_id = {p.id: p for p in problems}
    palindrome = by_id["mbpp/903"]
    assert palindrome.entry_point == "is_Palindrome"
    assert [c.visible for c in palindrome.cases] == [True, False, False, False]  # challenge test held out
    assert "assert is_Palindrome(121) == True" in palindrome.prompt  # the shown case is in the docstring
    assert "\r" not in palindrome.reference_solution
    assert by_id["mbpp/904"].test_setup == "import math"
    assert by_id["mbpp/902"].prompt.startswith("import heapq\n")
    assert "\tc.update(b)" in by_id["mbpp/905"].reference_solution  # tabs alone are valid Python 3: kept
    assert by_id["mbpp/901"].tags == ["mbpp", "config:full", "split:test"]
    assert "CC-BY-4.0" in by_id["mbpp/901"].source
    assert all(len(p.null_solutions) == 2 for p in problems)


def test_names_configs_and_splits():
    assert str(parse_hf("hf:mbpp")) == "hf:mbpp/full:test"
    assert str(parse_hf("hf:mbpp/sanitized:test")) == "hf:mbpp/sanitized:test"
    assert str(parse_hf("hf:google-research-datasets/mbpp/sanitized:train")) == "hf:mbpp/sanitized:train"
    assert str(parse_hf("hf:lcb/release_v2")) == "hf:livecodebench/release_v2:test"
    assert str(parse_hf("hf:codeparrot/apps:train")) == "hf:apps/all:train"
    with pytest.raises(ProblemError, match="no config 'tiny'"):
        parse_hf("hf:mbpp/tiny")
    with pytest.raises(ProblemError, match="unknown hub set"):
        parse_hf("hf:nonesuch")
    sanitized, _ = load_hub("hf:mbpp/sanitized:test")
    assert [p.id for p in sanitized] == ["mbpp/901", "mbpp/904"]
    assert sanitized[1].test_setup == "import math" and "config:sanitized" in sanitized[1].tags
    with pytest.raises(ProblemError, match="cannot load"):
        load_hub("hf:mbpp:validation")  # the sample has no such split


def test_load_problems_takes_hf_names_and_limit():
    assert [p.id for p in load_problems("hf:mbpp", limit=2)] == ["mbpp/901", "mbpp/902"]
    with pytest.raises(ProblemError, match="hf:NAME"):
        load_problems("nonesuch")


def test_the_hub_route_calls_load_dataset_with_the_hub_ids(monkeypatch):
    """Without a local copy each set is asked of the hub by its id; script repos through the json builder."""
    monkeypatch.delenv(HUB_DATA_ENV)
    calls = []

    def fake(*args, **kwargs):
        calls.append((args, kwargs))
        raise datasets.exceptions.DatasetNotFoundError("offline test")

    monkeypatch.setattr(datasets, "load_dataset", fake)
    for name in ("hf:mbpp/sanitized", "hf:apps:train", "hf:code_contests", "hf:livecodebench/release_v2"):
        with pytest.raises(ProblemError, match="cannot load from the hub"):
            load_hub(name)
    assert calls == [
        (("google-research-datasets/mbpp", "sanitized"), {"split": "test"}),
        (("json",), {"data_files": {"train": ["hf://datasets/codeparrot/apps/train.jsonl"]}, "split": "train"}),
        (("deepmind/code_contests", None), {"split": "test"}),
        (("json",), {"data_files": {"test": ["hf://datasets/livecodebench/code_generation_lite/test.jsonl",
                                             "hf://datasets/livecodebench/code_generation_lite/test2.jsonl"]},
                     "split": "test"}),
    ]


def test_apps_maps_call_based_rows_as_functions_and_stdin_rows_as_programs():
    problems, report = load_hub("hf:apps")
    assert [p.id for p in problems] == ["apps/5001", "apps/5002", "apps/5003", "apps/5004", "apps/5005", "apps/5006"]
    assert [p.kind for p in problems] == ["function"] * 4 + ["stdio"] * 2
    assert not any(r.startswith(STDIO) for r in report.skipped)
    assert report.skipped["no reference solution defines the entry point in Python 3"] == 1
    summed = problems[4]
    assert [(c.input, c.output, c.visible) for c in summed.cases] == [("1 2\n", "3\n", True), ("10 -3\n", "7\n", False)]
    assert summed.entry_point == "" and summed.reference_solution.startswith("a, b = map(int")
    assert "difficulty:introductory" in summed.tags and "stdio" in summed.tags
    first = problems[0]
    assert "difficulty:introductory" in first.tags and first.entry_point == "capital_words"
    assert "assert capital_words('Hello World') == 2" in first.prompt  # APPS's one-element wrap undone for reading
    leet = problems[2]
    assert leet.prompt.startswith("from typing import *\n")
    assert "def twoSumLessThanK(nums: List[int], k: int) -> int:" in leet.prompt  # self dropped
    assert "return Solution().twoSumLessThanK(*args)" in leet.reference_solution


def test_apps_comparison_follows_apps_rule():
    ns: dict = {}
    exec(load_hub("hf:apps")[0][0].test_setup, ns)  # noqa: S102 - our own fixture
    equal = ns["_equal"]
    assert equal(2, [2]) and equal((1, 3), [[1, 3]]) and equal([1], [1]) and not equal(3, [2])


def test_code_contests_rows_become_stdio_programs_with_public_cases_shown():
    problems, report = load_hub("hf:code_contests")
    assert report.kept == 2 and not report.skipped
    first = problems[0]
    assert first.id == "code_contests/9999_A. Sum" and first.kind == "stdio"
    assert [(c.input, c.visible) for c in first.cases] == [("1 2\n", True), ("5 5\n", False)]
    assert "Example input:\n1 2\n" in first.prompt and "cf_rating:800" in first.tags
    assert first.null_solutions and first.reference_solution.startswith("a, b")


def test_livecodebench_maps_functional_rows_as_functions_and_stdin_rows_as_programs_without_references():
    problems, report = load_hub("hf:livecodebench")
    assert [(p.id, p.kind) for p in problems] == [
        ("livecodebench/9001", "function"), ("livecodebench/9002", "function"),
        ("livecodebench/abc999_a", "stdio"), ("livecodebench/abc999_b", "stdio")]
    assert all(p.reference_solution is None and p.null_solutions for p in problems) and not report.skipped
    echo = problems[2]
    assert [(c.input, c.output, c.visible) for c in echo.cases] == [("ab\n", "abab\n", True), ("x\n", "xx\n", False)]
    assert "Example input:\nab\n" in echo.prompt and "platform:atcoder" in echo.tags
    assert [p.id for p in load_hub("hf:livecodebench/release_v1")[0]] == [p.id for p in problems[:3]]
    # a problem without a reference round-trips, and still needs its entry point and held-out cases
    assert Problem.model_validate_json(problems[0].model_dump_json()) == problems[0]
    with pytest.raises(ValidationError, match="held-out"):
        Problem.model_validate({**problems[2].model_dump(), "cases": [problems[2].cases[0]]})


def _lcb_rows() -> list[dict]:
    path = HUB / "livecodebench/code_generation_lite/test.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_livecodebench_functional_row_maps_when_given_a_reference():
    row = _lcb_rows()[1]  # private cases in LiveCodeBench's compressed form
    ref = "from typing import *\n\ndef pairSums(a, b):\n    return sorted(x + y for x, y in zip(a, b))\n"
    p = map_livecodebench(row, "test", "sample", reference=ref)
    assert [c.visible for c in p.cases] == [True, False, False]
    assert "assert pairSums([1, 2], [3, 4]) == [4, 6]" in p.prompt
    assert "def pairSums(a: List[int], b: List[int]) -> List[int]:" in p.prompt
    assert "difficulty:medium" in p.tags and "platform:leetcode" in p.tags


def test_compressed_tests_never_import_anything():
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    blob = base64.b64encode(zlib.compress(pickle.dumps(Evil()))).decode()
    with pytest.raises(Skipped, match="neither JSON"):
        decode_tests(blob)
    tests = [{"input": "1", "output": "2", "testtype": "functional"}]
    assert decode_tests(base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()) == tests


@pytest.mark.jail
def test_hardened_grader_verifies_references_and_rejects_nulls(jail_pool):
    grader = HardenedGrader(jail_pool)
    mbpp = verify_references(load_hub("hf:mbpp")[0], grader)
    assert [p.id for p, _ in mbpp.failed] == ["mbpp/907"] and not mbpp.weak
    assert mbpp.fail_share == pytest.approx(1 / 7)
    apps = verify_references(load_hub("hf:apps")[0], grader)
    assert [p.id for p, _ in apps.failed] == ["apps/5004"] and not apps.weak
    ref = "def countEven(n):\n    return sum(int(d) % 2 == 0 for d in str(n))\n"
    lcb = verify_references([map_livecodebench(_lcb_rows()[0], "test", "sample", reference=ref)], grader)
    assert not lcb.failed and not lcb.weak
    bare = verify_references(load_hub("hf:livecodebench")[0], grader)  # no references: only the nulls checked
    assert bare.total == 0 and len(bare.unverified) == 4 and not bare.weak and len(bare.fit()) == 4
    echo = load_hub("hf:livecodebench")[0][2]
    twice = Submission(files={"solution.py": "w = input().strip()\nprint(w + w)\n"})
    assert grader.grade(echo, twice).passed and not grader.grade(echo, Submission(files={
        "solution.py": "print(input().strip())\n"})).passed


def test_cli_lists_a_hub_set_from_the_local_copy():
    r = runner.invoke(app, ["problems", "list", "hf:mbpp", "--limit", "5"])
    assert r.exit_code == 0, r.output
    assert "mbpp/905" in r.output and "mbpp/906" not in r.output and "hf:mbpp: 5 problems" in r.output
    r = runner.invoke(app, ["problems", "list", "hf:code_contests"])
    assert r.exit_code == 0 and "(stdio)" in r.output, r.output


@pytest.mark.jail
def test_cli_verify_reports_the_failing_reference_and_writes_the_rest(tmp_path):
    out = tmp_path / "verified.jsonl"
    r = runner.invoke(app, ["problems", "verify", "hf:mbpp", "--write", str(out)])
    assert r.exit_code == 0, r.output
    assert "1 of 7 references fail hardened (14.3%)" in r.output and "mbpp/907" in r.output
    assert [p.id for p in load_jsonl(out)] == [f"mbpp/{i}" for i in range(901, 907)]
    r = runner.invoke(app, ["problems", "verify", "hf:mbpp", "--limit", "1", "--strict"])
    assert r.exit_code == 0
    assert runner.invoke(app, ["problems", "verify", "hf:apps", "--strict", "--no-nulls"]).exit_code == 1
