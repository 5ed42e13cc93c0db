"""`hackgym detect`: label a file of rollouts (five-way label, hack types, evidence and the grid)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..detect import label_batch
from ..detect.rollouts import load_problem_sets, output_record, read_rollouts, summary


def register(app: typer.Typer) -> None:
    @app.command("detect")
    def detect_cmd(
        problems: str = typer.Option(..., "--problems", help="basic, humaneval, a JSONL file, or several joined by commas"),
        rollouts: Path = typer.Option(..., "--rollouts", help='JSONL: {"id", "problem_id", "completion" | "files"}'),
        out: Path = typer.Option(..., "--out", help="JSONL output: each input line plus its label and grid"),
        grader: str = typer.Option("vulnerable", "--grader", help="the environment's grader spec"),
        monitor: str | None = typer.Option(None, "--monitor", help="an Inspect model for the LLM monitor, e.g. openai/gpt-4o"),
        sandbox: str = typer.Option("jail", "--sandbox", help="jail (isolated) or process (no isolation)"),
    ) -> None:
        """Label rollouts: hackable vs hardened grading, static signatures, attribution, optional monitor."""
        if sandbox not in ("jail", "process"):
            raise typer.BadParameter("use jail or process", param_hint="--sandbox")
        rows = read_rollouts(rollouts, load_problem_sets(problems))
        labels = label_batch([(p, s) for _, p, s in rows], grader, monitor=monitor, sandbox=sandbox,  # type: ignore[arg-type]
                             ids=[None if r.get("id") is None else str(r["id"]) for r, _, _ in rows])
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            for (rec, _, _), lab in zip(rows, labels, strict=True):
                fh.write(json.dumps(output_record(rec, lab), ensure_ascii=False) + "\n")
        per_label, per_type = summary(labels)
        table = Table("label", "count", title=f"{len(labels)} rollouts, grader {labels[0].grader}")
        for name, n in per_label.items():
            table.add_row(name, str(n))
        types = Table("hack type", "count")
        for name, n in sorted(per_type.items()):
            types.add_row(name, str(n))
        console = Console(stderr=True)
        console.print(table)
        if per_type:
            console.print(types)
        console.print(f"wrote {out}")
