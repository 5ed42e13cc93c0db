"""`hackgym report`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        run_dirs: list[Path] = typer.Argument(..., help="run directories, or folders of them (runs/demo)"),
        out: Path | None = typer.Option(None, help="output folder (default: the only RUN_DIR given)"),
    ) -> None:
        """report.html, PNG figures and summary.json for one or more runs."""
        from ..report import write_report

        if out is None:
            if len(run_dirs) != 1:
                raise typer.BadParameter("--out is needed with several RUN_DIRs")
            out = run_dirs[0]
        summary = write_report(run_dirs, out)
        for name, s in summary["conditions"].items():
            console.print(f"{name}: successful hacks {s['successful_hack_first']} -> {s['successful_hack_last']}, "
                          f"exploit {s['exploit_first']} -> {s['exploit_last']}, "
                          f"true pass {s['true_pass_first']} -> {s['true_pass_last']}, onset {s['onset_step']}")
        console.print(f"[bold]report:[/] {out / 'report.html'}")
