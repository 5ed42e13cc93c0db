"""A Rich live display of a run: one progress bar with the numbers the study watches."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class StepDisplay:
    """Context manager; `update(record)` takes a metrics.jsonl record."""

    def __init__(self, console: Console, title: str, total: int | None = None) -> None:
        self.progress = Progress(TextColumn("[bold]{task.fields[title]}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), console=console)
        self.task = self.progress.add_task("train", total=total, title=title, stats="")

    def __enter__(self) -> StepDisplay:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, rec: dict[str, Any]) -> None:
        rates = rec.get("rates") or {}

        def pct(name: str) -> str:
            value = (rates.get(name) or {}).get("rate")
            return "-" if value is None else f"{value:.0%}"

        reward = rec.get("reward")
        stats = (f"reward {'-' if reward is None else f'{reward:.2f}'}  successful hacks {pct('successful_hack')}  "
                 f"true pass {pct('true_pass')}  {rec['time']['step']:.1f} s/step")
        if rec.get("onset_step"):
            stats += f"  onset @{rec['onset_step']}"
        self.progress.update(self.task, completed=rec["step"], stats=stats)
