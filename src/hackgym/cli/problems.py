"""`hackgym problems validate|list|show|export|verify`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.syntax import Syntax
from rich.table import Table

from ..problems import BUILTIN_SETS, Problem, dump_jsonl, get_problem, load_hub, load_jsonl, load_problems
from .common import SandboxChoice, SandboxOption, announce_sandbox, err, out, progress_bar

problems_app = typer.Typer(help="Inspect, validate, verify and export problem sets (built-ins: humaneval, basic; "
                           "hub sets: hf:mbpp, hf:apps, ...).", no_args_is_help=True)
SET_HELP = f"{' | '.join(BUILTIN_SETS)} | hf:NAME/CONFIG:SPLIT (config, split optional) | FILE"


def _load(problem_set: str, limit: int | None = None) -> list[Problem]:
    """Like load_problems, but a hub set's report of skipped rows is printed here, where the user looks."""
    if not problem_set.startswith("hf:"):
        return load_problems(problem_set, limit)
    problems, report = load_hub(problem_set)
    for line in report.lines():
        err.print(line, highlight=False, markup=False, soft_wrap=True)
    return problems[:limit] if limit else problems


@problems_app.command("validate")
def validate(file: Path = typer.Argument(..., help="a JSONL problem file")) -> None:
    """Check every record of a problem file; the first bad one is named by line and field."""
    problems = load_jsonl(file)
    visible = sum(len(p.visible) for p in problems)
    held = sum(len(p.held_out) for p in problems)
    out.print(f"[green]ok[/] {file}: {len(problems)} problems, {visible} visible and {held} held-out cases")


@problems_app.command("list")
def list_(problem_set: str = typer.Argument("basic", help=SET_HELP),
          limit: int = typer.Option(0, help="show at most N (0: all)")) -> None:
    """One line per problem: id, entry point, cases, tags."""
    problems = _load(problem_set, limit or None)
    table = Table(title=f"{problem_set}: {len(problems)} problems")
    for col in ("id", "entry point", "visible", "held-out", "nulls", "tags"):
        table.add_column(col)
    for p in problems:
        table.add_row(p.id, p.entry_point or f"({p.kind})", str(len(p.visible)), str(len(p.held_out)), str(len(p.null_solutions)),
                      " ".join(p.tags))
    out.print(table)


@problems_app.command("show")
def show(problem_id: str, problem_set: str = typer.Option(None, "--problems", help="set or file (default: from the id)")) -> None:
    """The prompt, cases and reference solution of one problem."""
    set_name = problem_set or ("humaneval" if problem_id.startswith("HumanEval/") else "basic")
    p = get_problem(load_problems(set_name), problem_id)
    out.rule(f"{p.id}  ({p.source})")
    out.print(Syntax(p.prompt, "python") if p.kind == "function" else p.prompt, markup=False)
    out.rule("cases")
    for c in p.cases:
        text = c.code if p.kind == "function" else f"stdin {c.input!r} -> stdout {c.output!r}"
        out.print(f"[{'cyan' if c.visible else 'magenta'}]{'visible ' if c.visible else 'held-out'}[/] ", end="")
        out.print(text, markup=False, highlight=False)
    out.rule("reference solution")
    if p.reference_solution is None:
        out.print("(none: the set ships no reference)")
    else:
        out.print(Syntax(p.reference_solution, "python"))


@problems_app.command("export")
def export(problem_set: str = typer.Argument(..., help=SET_HELP),
           out_file: Path = typer.Option(..., "--out", help="JSONL file to write")) -> None:
    """Write a set as JSONL in the schema `validate` accepts (a starting point for your own)."""
    problems = _load(problem_set)
    dump_jsonl(problems, out_file)
    out.print(f"wrote {len(problems)} problems to {out_file}")


@problems_app.command("verify")
def verify(problem_set: str = typer.Argument(..., help=SET_HELP),
           limit: int = typer.Option(0, help="verify the first N only (0: all)"),
           grader: str = typer.Option("hardened", "--grader", help="grader spec to verify with"),
           nulls: bool = typer.Option(True, "--nulls/--no-nulls", help="also check that every null solution fails"),
           write: Path = typer.Option(None, "--write", help="JSONL file for the problems that pass (reference passes, "
                                      "nulls fail), in the schema `validate` accepts"),
           show: int = typer.Option(20, "--show", help="list at most N failures"),
           strict: bool = typer.Option(False, "--strict", help="exit 1 when any reference fails or null passes"),
           sandbox: SandboxChoice = SandboxOption) -> None:
    """Grade every reference solution (and null) with the hardened grader; report the share that fails."""
    from ..graders import make_grader
    from ..problems.verify import verify_references

    announce_sandbox(sandbox.value)
    problems = _load(problem_set, limit or None)
    g = make_grader(grader, sandbox=sandbox.value)
    n_jobs = sum((p.reference_solution is not None) + (len(p.null_solutions) if nulls else 0) for p in problems)
    with progress_bar(f"verifying with {g.name}", n_jobs) as advance:
        report = verify_references(problems, g, nulls=nulls, progress=advance)
    out.print(f"{problem_set}: {len(report.failed)} of {report.total} references fail {g.name} "
              f"({report.fail_share:.1%})" + (f"; {len(report.weak)} problems accept a null solution" if nulls else ""),
              highlight=False)
    if report.unverified:
        out.print(f"{len(report.unverified)} problems have no reference solution to verify (the set ships none); "
                  "only their nulls were checked", highlight=False)
    for p, res in report.failed[:show]:
        out.print(f"[red]reference fails[/] {p.id}: {res.status} {res.cases_passed}/{res.cases_total} cases; "
                  f"{res.detail[:200]}", highlight=False)
    for p, i in report.weak[:show]:
        out.print(f"[yellow]null accepted[/] {p.id}: null_solutions[{i}] passes, the tests check too little")
    if write:
        fit = report.fit()
        if not fit:
            err.print(f"no problem passed verification; {write} not written")
            raise typer.Exit(1)
        dump_jsonl(fit, write)
        out.print(f"wrote {len(fit)} verified problems to {write}")
    if strict and (report.failed or report.weak):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(problems_app, name="problems")
