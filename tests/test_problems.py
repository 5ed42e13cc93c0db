import json

import pytest

from hackgym.errors import ProblemError
from hackgym.problems import Problem, dump_jsonl, load_jsonl, load_problems
from hackgym.problems.humaneval import split_check


def test_builtin_sets_load(basic, humaneval):
    assert len(humaneval) == 164
    assert [p.id for p in humaneval[:2]] == ["HumanEval/0", "HumanEval/1"]
    assert len(basic) >= 60
    for p in basic:
        assert len(p.visible) >= 2 and len(p.held_out) >= 3 and p.null_solutions


def test_every_humaneval_problem_keeps_a_held_out_case(humaneval):
    assert all(p.held_out for p in humaneval)
    assert sum(len(p.cases) for p in humaneval) > 900


def test_split_check_keeps_setup_and_drops_placeholders():
    setup, cases = split_check(
        "import math\nMETADATA = {}\n\ndef check(candidate):\n    x = 3\n    assert candidate(x) == 4\n"
        "    assert True\n    for i in range(3):\n        assert candidate(i) == i + 1\n"
    )
    assert "import math" in setup and "x = 3" in setup and "METADATA" not in setup
    assert cases == ["assert candidate(x) == 4", "for i in range(3):\n    assert candidate(i) == i + 1"]


def test_export_validate_round_trip(tmp_path, basic):
    path = tmp_path / "basic.jsonl"
    dump_jsonl(basic, path)
    assert load_jsonl(path) == basic


def _record(basic, **changes):
    rec = json.loads(basic[0].model_dump_json())
    rec.update(changes)
    return rec


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"entry_point": "not valid"}, "entry_point"),
        ({"prompt": "def f(:\n"}, "prompt"),
        ({"cases": []}, "cases"),
        ({"cases": [{"code": "x = 1", "visible": False}]}, "cases.0.code"),
        ({"null_solutions": []}, "null_solutions"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_record_names_file_line_and_field(tmp_path, basic, changes, field):
    path = tmp_path / "mine.jsonl"
    good = basic[1].model_dump_json()
    path.write_text(good + "\n" + json.dumps(_record(basic, **changes)) + "\n")
    with pytest.raises(ProblemError) as info:
        load_jsonl(path)
    msg = str(info.value)
    assert f"{path}:2" in msg and field in msg


def test_missing_held_out_is_rejected(basic):
    rec = _record(basic, cases=[{"code": "assert candidate('a') == 'a'", "visible": True}])
    with pytest.raises(ValueError, match="held-out"):
        Problem.model_validate(rec)


def test_duplicate_ids_and_non_utf8_and_unknown_set(tmp_path, basic):
    dup = tmp_path / "dup.jsonl"
    dup.write_text(basic[0].model_dump_json() + "\n" + basic[0].model_dump_json() + "\n")
    with pytest.raises(ProblemError, match="already used on line 1"):
        load_jsonl(dup)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"id": "\xff"}\n')
    with pytest.raises(ProblemError, match="not UTF-8"):
        load_jsonl(bad)
    with pytest.raises(ProblemError, match="unknown problem set"):
        load_problems("no-such-set")
