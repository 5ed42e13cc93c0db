"""`hackgym grade`: grade a JSONL of submissions with one grader."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from ..detect import Rollout
from ..detect.rollouts import to_rollout
from ..errors import HackgymError, SubmissionError
from ..graders import GradeResult, make_grader
from ..problems import load_problems
from ..records import InputLineError, JsonlWriter, read_records
from ..submission import Submission
from .common import SandboxChoice, SandboxOption, announce_sandbox, out, progress_bar


def grade(
    grader: str = typer.Option("hardened", "--grader", help="hardened | vulnerable[:w+w] | cmd:COMMAND"),
    problems: str = typer.Option(..., "--problems", help="humaneval | basic | a hub set such as hf:mbpp or hf:apps:test (docs/problems.md) | FILE.jsonl"),
    submissions: Path = typer.Option(..., "--submissions", help='JSONL: {"id", "problem_id", "files" | "completion"}'),
    out_file: Path = typer.Option(..., "--out", help="JSONL of Rollout records (the verdict under `result`), in input order"),
    grader_files: Path = typer.Option(None, "--grader-files", help="folder copied read-only to {testdir} for cmd: graders"),
    grader_python: Path = typer.Option(None, "--grader-python", help="interpreter or virtual environment behind {python} for cmd: graders, mounted read-only (default: the project's own)"),
    sandbox: SandboxChoice = SandboxOption,
) -> None:
    """Grade submissions. One that crashes, hangs, floods or forks without end fails alone."""
    announce_sandbox(sandbox.value)
    by_id = {p.id: p for p in load_problems(problems)}
    g = make_grader(grader, sandbox=sandbox.value, grader_files=grader_files, grader_python=grader_python)
    rows: list[tuple[dict, str, Submission | str]] = []  # (input line, problem_id, Submission | error text)
    for lineno, rec in read_records(submissions):
        if isinstance(rec, InputLineError):
            rows.append(({"id": f"line-{lineno}"}, "", str(rec)))
            continue
        rec.setdefault("id", f"line-{lineno}")
        pid = rec.get("problem_id")
        if pid not in by_id:
            raise HackgymError(f"{submissions}:{lineno}: unknown problem_id {pid!r} for set {problems!r}")
        try:
            rows.append((rec, pid, Submission.from_record(rec, by_id[pid].entry_point)))
        except SubmissionError as exc:
            rows.append((rec, pid, f"{submissions}:{lineno}: {exc}"))
    todo = [(i, by_id[pid], s) for i, (_, pid, s) in enumerate(rows) if isinstance(s, Submission)]
    results: dict[int, GradeResult] = {}
    with progress_bar(f"grading with {g.name}", len(todo)) as advance:
        graded = g.grade_many([(p, s) for _, p, s in todo], progress=advance)
    results.update({i: r for (i, _, _), r in zip(todo, graded, strict=True)})
    counts: Counter[str] = Counter()
    with JsonlWriter(out_file) as w:
        for i, (rec, pid, sub) in enumerate(rows):
            res = results.get(i) or GradeResult.make(g.name, "error", detail=str(sub))
            counts[res.status] += 1
            if isinstance(sub, Submission):
                w.write(to_rollout(rec, sub, "grade", grader, result=res))
            else:
                w.write(Rollout(source="grade", id=str(rec["id"]), problem_id=pid, env_grader=grader, result=res))
    table = Table(title=f"{len(rows)} submissions graded by {g.name}")
    table.add_column("status")
    table.add_column("count", justify="right")
    for status, n in counts.most_common():
        table.add_row(status, str(n))
    out.print(table)
    out.print(f"results: {out_file}")


def register(app: typer.Typer) -> None:
    app.command("grade")(grade)
