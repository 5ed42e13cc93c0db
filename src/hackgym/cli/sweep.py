"""`hackgym sweep`: conditions x seeds x config keys, each cell a run directory, resumable."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .train import CACHE

console = Console(stderr=True)


class CellProgress:
    """One bar per cell, its steps read from the cell's metrics.jsonl (cells may run in other processes or on
    other Ray nodes sharing the folder), refreshed every `every` seconds."""

    def __init__(self, cells: list[Any], every: float = 1.0) -> None:
        self.cells = cells
        self.every = every
        self.progress = Progress(TextColumn("[bold]{task.fields[name]}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[note]}"), TimeElapsedColumn(), console=console)
        self.tasks = [self.progress.add_task("cell", total=c.config["steps"], name=c.name, note="") for c in cells]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        from ..rundir import RunDir

        while not self.stop.wait(self.every):
            for task, cell in zip(self.tasks, self.cells, strict=True):
                steps = [int(r.get("step") or 0) for r in RunDir(cell.run_dir).metrics()]
                self.progress.update(task, completed=max(steps, default=0))

    def note(self, name: str, text: str) -> None:
        for task, cell in zip(self.tasks, self.cells, strict=True):
            if cell.name == name:
                self.progress.update(task, note=text)

    def __enter__(self) -> CellProgress:
        self.progress.start()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.progress.stop()


def register(app: typer.Typer) -> None:
    @app.command()
    def sweep(
        config: Path = typer.Argument(..., help="training config with a sweep: section (see docs/sweeps.md)"),
        out: Path | None = typer.Option(None, help="sweep folder (default runs/sweep-NAME)"),
        cache: Path = typer.Option(CACHE, help="where built models (the organism) are cached"),
        parallel: int | None = typer.Option(None, help="cells at once on this machine (default sweep.parallel)"),
        ray: str | None = typer.Option(None, "--ray", help="run cells as Ray tasks: a cluster ADDRESS, or "
                                       "'local' to start Ray here"),
        eval_suite: str | None = typer.Option(None, "--eval", help="evaluate each finished cell's checkpoints "
                                              "with this suite (needs --judge)"),
        judge: str | None = typer.Option(None, "--judge", help="the judge model for --eval"),
        dry_run: bool = typer.Option(False, "--dry-run", help="print the cells and what each would do"),
    ) -> None:
        """A grid of conditions x seeds x config keys; finished cells are skipped, started ones resumed."""
        from ..offline import quiet_libraries
        from ..sweep import plan, run_sweep, status

        if eval_suite is not None and judge is None:
            raise typer.BadParameter("--eval needs --judge", param_hint="--judge")
        folder = out or Path("runs") / f"sweep-{config.stem}"
        spec, cells = plan(config, folder)
        if dry_run:
            table = Table("cell", "seed", "grid", "steps", "status", "run directory", title=f"{len(cells)} cells")
            for c in cells:
                table.add_row(c.name, str(c.seed), ", ".join(f"{k}={v}" for k, v in c.params.items()) or "-",
                              str(c.config["steps"]), status(c), c.run_dir)
            console.print(table)
            return
        quiet_libraries()
        after = None
        if eval_suite is not None:
            from ..evals.suite import run_checkpoints

            def after(cell: Any) -> None:
                run_checkpoints(Path(cell.run_dir), judge, eval_suite)

        with CellProgress(cells) as shown:
            results = run_sweep(config, folder, cache, parallel=parallel, ray_address=ray, after_cell=after,
                                on_result=lambda r: shown.note(r["cell"], r["action"]))
        done = {r["action"] for r in results}
        console.print(f"sweep {folder}: {len(cells)} cells ({', '.join(sorted(done))}); "
                      f"report with `hackgym report {folder}`")
