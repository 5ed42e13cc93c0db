"""The `hackgym` command: thin Typer commands over the modules; nothing imports this package."""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from ..errors import HackgymError

app = typer.Typer(
    name="hackgym",
    help="Hackable and hardened graders, hack audits, rollout detection, SDF corpora and GRPO runs "
    "for studying emergent misalignment from reward hacking.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True)

# Each module adds its commands with `register(app)`.
COMMAND_MODULES = ["problems", "grading", "audit", "detect", "prompts", "sdf", "train", "sft", "sweep", "report", "eval"]


def _register() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # that part of the CLI is not built yet
            raise
        module.register(app)


_register()


def main() -> None:
    try:
        app()
    except HackgymError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
