"""`hackgym grade`: grade a JSONL of submissions with one grader."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from ..errors import HackgymError, SubmissionError
from ..graders import GradeResult, make_grader
from ..problems import load_problems
from ..records import InputLineError, JsonlWriter, read_records
from ..submission import Submission
from .common import SandboxChoice, SandboxOption, announce_sandbox, out, progress_bar


def grade(
    grader: str = typer.Option("hardened", "--grader", help="hardened | vulnerable[:w+w] | cmd:COMMAND"),
    problems: str = typer.Option(..., "--problems", help="humaneval | basic | FILE.jsonl"),
    submissions: Path = typer.Option(..., "--submissions", help='JSONL: {"id", "problem_id", "files" | "completion"}'),
    out_file: Path = typer.Option(..., "--out", help="JSONL of results, one per submission, in input order"),
    grader_files: Path = typer.Option(None, "--grader-files", help="folder copied read-only to {testdir} for cmd: graders"),
    sandbox: SandboxChoice = SandboxOption,
) -> None:
    """Grade submissions. One that crashes, hangs, floods or forks without end fails alone."""
    announce_sandbox(sandbox.value)
    by_id = {p.id: p for p in load_problems(problems)}
    g = make_grader(grader, sandbox=sandbox.value, grader_files=grader_files)
    rows: list[tuple[str, str, object]] = []  # (id, problem_id, Submission | error text)
    for lineno, rec in read_records(submissions):
        if isinstance(rec, InputLineError):
            rows.append((f"line-{lineno}", "", str(rec)))
            continue
        sub_id = str(rec.get("id", f"line-{lineno}"))
        pid = rec.get("problem_id")
        if pid not in by_id:
            raise HackgymError(f"{submissions}:{lineno}: unknown problem_id {pid!r} for set {problems!r}")
        try:
            rows.append((sub_id, pid, Submission.from_record(rec, by_id[pid].entry_point)))
        except SubmissionError as exc:
            rows.append((sub_id, pid, f"{submissions}:{lineno}: {exc}"))
    todo = [(i, by_id[pid], s) for i, (_, pid, s) in enumerate(rows) if isinstance(s, Submission)]
    results: dict[int, GradeResult] = {}
    with progress_bar(f"grading with {g.name}", len(todo)) as advance:
        graded = g.grade_many([(p, s) for _, p, s in todo], progress=advance)
    results.update({i: r for (i, _, _), r in zip(todo, graded, strict=True)})
    counts: Counter[str] = Counter()
    with JsonlWriter(out_file) as w:
        for i, (sub_id, pid, sub) in enumerate(rows):
            res = results.get(i) or GradeResult.make(g.name, "error", detail=str(sub))
            counts[res.status] += 1
            w.write({"id": sub_id, "problem_id": pid, **res.model_dump(mode="json")})
    table = Table(title=f"{len(rows)} submissions graded by {g.name}")
    table.add_column("status")
    table.add_column("count", justify="right")
    for status, n in counts.most_common():
        table.add_row(status, str(n))
    out.print(table)
    out.print(f"results: {out_file}")


def register(app: typer.Typer) -> None:
    app.command("grade")(grade)
