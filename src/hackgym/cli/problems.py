"""`hackgym problems validate|list|show|export`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.syntax import Syntax
from rich.table import Table

from ..problems import BUILTIN_SETS, dump_jsonl, get_problem, load_jsonl, load_problems
from .common import out

problems_app = typer.Typer(help="Inspect, validate and export problem sets (built-ins: humaneval, basic).", no_args_is_help=True)


@problems_app.command("validate")
def validate(file: Path = typer.Argument(..., help="a JSONL problem file")) -> None:
    """Check every record of a problem file; the first bad one is named by line and field."""
    problems = load_jsonl(file)
    visible = sum(len(p.visible) for p in problems)
    held = sum(len(p.held_out) for p in problems)
    out.print(f"[green]ok[/] {file}: {len(problems)} problems, {visible} visible and {held} held-out cases")


@problems_app.command("list")
def list_(problem_set: str = typer.Argument("basic", help=f"{' | '.join(BUILTIN_SETS)} | FILE"),
          limit: int = typer.Option(0, help="show at most N (0: all)")) -> None:
    """One line per problem: id, entry point, cases."""
    problems = load_problems(problem_set, limit or None)
    table = Table(title=f"{problem_set}: {len(problems)} problems")
    for col in ("id", "entry point", "visible", "held-out", "nulls"):
        table.add_column(col)
    for p in problems:
        table.add_row(p.id, p.entry_point, str(len(p.visible)), str(len(p.held_out)), str(len(p.null_solutions)))
    out.print(table)


@problems_app.command("show")
def show(problem_id: str, problem_set: str = typer.Option(None, "--problems", help="set or file (default: from the id)")) -> None:
    """The prompt, cases and reference solution of one problem."""
    set_name = problem_set or ("humaneval" if problem_id.startswith("HumanEval/") else "basic")
    p = get_problem(load_problems(set_name), problem_id)
    out.rule(f"{p.id}  ({p.source})")
    out.print(Syntax(p.prompt, "python"))
    out.rule("cases")
    for c in p.cases:
        out.print(f"[{'cyan' if c.visible else 'magenta'}]{'visible ' if c.visible else 'held-out'}[/] {c.code}")
    out.rule("reference solution")
    out.print(Syntax(p.reference_solution, "python"))


@problems_app.command("export")
def export(problem_set: str = typer.Argument(..., help="a built-in set"),
           out_file: Path = typer.Option(..., "--out", help="JSONL file to write")) -> None:
    """Write a set as JSONL in the schema `validate` accepts (a starting point for your own)."""
    problems = load_problems(problem_set)
    dump_jsonl(problems, out_file)
    out.print(f"wrote {len(problems)} problems to {out_file}")


def register(app: typer.Typer) -> None:
    app.add_typer(problems_app, name="problems")
