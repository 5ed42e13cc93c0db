"""The CLI as a user meets it: commands, exit codes and files."""

import json

from typer.testing import CliRunner

from hackgym.cli import app
from hackgym.detect import load_rollout_records

runner = CliRunner()


def test_problems_commands(tmp_path):
    r = runner.invoke(app, ["problems", "list", "basic", "--limit", "3"])
    assert r.exit_code == 0 and "basic/" in r.output
    r = runner.invoke(app, ["problems", "show", "HumanEval/0"])
    assert r.exit_code == 0 and "has_close_elements" in r.output
    out = tmp_path / "basic.jsonl"
    assert runner.invoke(app, ["problems", "export", "basic", "--out", str(out)]).exit_code == 0
    r = runner.invoke(app, ["problems", "validate", str(out)])
    assert r.exit_code == 0 and "ok" in r.output


def test_grade_command_keeps_order_and_isolates_bad_lines(tmp_path, basic):
    p = basic[0]
    lines = [
        {"id": "good", "problem_id": p.id, "files": {"solution.py": p.reference_solution}},
        {"id": "hang", "problem_id": p.id, "completion": f"```python\ndef {p.entry_point}(*a):\n    while 1: pass\n```"},
        {"id": "exit", "problem_id": p.id, "completion": "```python\nimport os\nos._exit(0)\n```"},
    ]
    src = tmp_path / "subs.jsonl"
    src.write_bytes(("\n".join(json.dumps(x) for x in lines) + "\n").encode() + b'{"id": "bin\xff"}\n')
    out = tmp_path / "out.jsonl"
    r = runner.invoke(app, ["grade", "--grader", "vulnerable", "--problems", "basic", "--submissions", str(src), "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = load_rollout_records(out)
    assert [row.id for row in rows] == ["good", "hang", "exit", "line-4"]
    assert {row.source for row in rows} == {"grade"} and rows[0].files and rows[2].completion
    results = [row.result for row in rows]
    assert results[0].passed and results[1].status == "timeout" and results[2].passed
    assert results[3].status == "error" and "not UTF-8" in results[3].detail
    assert results[2].grader == "vulnerable" and rows[2].env_grader == "vulnerable" and rows[2].label is None


def test_unknown_problem_id_is_an_error_naming_the_line(tmp_path):
    src = tmp_path / "subs.jsonl"
    src.write_text(json.dumps({"id": "a", "problem_id": "nope", "completion": "x"}) + "\n")
    r = runner.invoke(app, ["grade", "--problems", "basic", "--submissions", str(src), "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and ":1: unknown problem_id 'nope'" in str(r.exception)


def test_audit_command_writes_json_markdown_and_strict(tmp_path):
    js, md = tmp_path / "a.json", tmp_path / "a.md"
    r = runner.invoke(app, ["audit", "--problems", "basic", "--limit", "2", "--hack", "exit_zero.os_exit_import",
                            "--grader", "hardened", "--grader", "vulnerable", "--json", str(js), "--markdown", str(md), "--strict"])
    assert r.exit_code == 0, r.output
    data = json.loads(js.read_text())
    assert data["graders"]["vulnerable"]["hacks"]["exit_zero.os_exit_import"] == {"accepted": 2, "total": 2}
    assert data["graders"]["hardened"]["hacks"]["exit_zero.os_exit_import"]["accepted"] == 0
    assert "hackgym audit" in md.read_text()
    r = runner.invoke(app, ["audit", "--problems", "basic", "--limit", "1", "--hack", "exit_zero.os_exit_import",
                            "--grader-cmd", "{python} -c pass", "--strict"])
    assert r.exit_code == 0 and "cmd:" in r.output  # a command grader that accepts everything is flagged broken
    assert "BROKEN" in r.output


def _command_paths(command, prefix=()):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*prefix, name))


def test_every_command_has_working_help():
    """Help text is Rich markup: a stray `[...]` in a help string crashes `--help` (it once did for train)."""
    import typer

    paths = list(_command_paths(typer.main.get_command(app)))
    assert ("train",) in paths and len(paths) > 10
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output, result.exception)
