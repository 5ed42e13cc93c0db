"""Options and helpers shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

out = Console()
if not out.is_terminal:
    out = Console(width=160)  # logs and CI: wide tables instead of squeezed columns
err = Console(stderr=True)


class SandboxChoice(StrEnum):
    jail = "jail"
    process = "process"


SandboxOption = typer.Option(SandboxChoice.jail, "--sandbox", help="jail (bubblewrap, default) or process (rlimits only: NOT isolation)")


def announce_sandbox(mode: str) -> None:
    """Fail now, naming what to install, if the mode cannot run here; warn loudly that `process` is no jail."""
    from ..sandbox import describe_mode, ensure_mode

    ensure_mode(mode)
    if mode == "process":
        err.print(f"[bold yellow]warning:[/] {describe_mode(mode)}")


@contextmanager
def progress_bar(description: str, total: int) -> Iterator:
    """A Rich progress bar; yields a thread-safe `advance(n)` callable."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err, transient=False) as prog:
        task = prog.add_task(description, total=total)
        yield lambda n=1: prog.advance(task, n)
