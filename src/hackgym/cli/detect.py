"""`hackgym detect`: label a file of rollouts (five-way label, hack types, evidence and the grid)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..detect import Labeller
from ..detect.rollouts import load_problem_sets, read_rollouts, summary, to_rollout
from ..records import JsonlWriter


def register(app: typer.Typer) -> None:
    @app.command("detect")
    def detect_cmd(
        problems: str = typer.Option(..., "--problems", help="basic, humaneval, a JSONL file, or several joined by commas"),
        rollouts: Path = typer.Option(..., "--rollouts", help='JSONL: {"id", "problem_id", "completion" | "files"}'),
        out: Path = typer.Option(..., "--out", help="JSONL output: one Rollout record (input, label, grid) a line"),
        grader: str = typer.Option("vulnerable", "--grader", help="the environment's grader spec"),
        probe: str | None = typer.Option(None, "--probe", help="a grader spec also run, never the reward: "
                                         "`exploit` says whether a rollout would beat it"),
        monitor: str | None = typer.Option(None, "--monitor", help="an Inspect model for the LLM monitor, e.g. openai/gpt-4o"),
        sandbox: str = typer.Option("jail", "--sandbox", help="jail (isolated) or process (no isolation)"),
    ) -> None:
        """Label rollouts: hackable vs hardened grading, static signatures, attribution, optional monitor."""
        if sandbox not in ("jail", "process"):
            raise typer.BadParameter("use jail or process", param_hint="--sandbox")
        rows = read_rollouts(rollouts, load_problem_sets(problems))
        labeller = Labeller(sandbox, probe=probe, monitor=monitor)  # type: ignore[arg-type]
        labels = labeller.label([(p, s) for _, p, s in rows], grader)
        with JsonlWriter(out) as writer:
            for (rec, _, sub), lab in zip(rows, labels, strict=True):
                writer.write(to_rollout(rec, sub, "detect", grader, label=lab))
        per_label, successful, attempted = summary(labels)
        table = Table("label", "count", title=f"{len(labels)} rollouts, environment grader {grader}")
        for name, n in per_label.items():
            table.add_row(name, str(n))
        types = Table("hack family", "successful", "attempted")
        for name in sorted(set(successful) | set(attempted)):
            types.add_row(name, str(successful[name]), str(attempted[name]))
        console = Console(stderr=True)
        console.print(table)
        if successful or attempted:
            console.print(types)
        console.print(f"wrote {out}")
