"""`hackgym prompts list|show NAME`: the versioned prompt assets."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from ..prompts import get_prompt, list_prompts


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Versioned prompt assets: hints, inoculation addenda, reasoning, SDF prompts.",
                        no_args_is_help=True)

    @group.command("list")
    def list_cmd() -> None:
        """Every prompt with its version, kind and purpose."""
        table = Table("name", "version", "kind", "description")
        for p in list_prompts():
            table.add_row(p.name, str(p.version), p.kind, p.description)
        Console().print(table)

    @group.command("show")
    def show_cmd(name: str = typer.Argument(..., help="prompt name, see `hackgym prompts list`")) -> None:
        """Print one prompt's text exactly (nothing else on stdout)."""
        p = get_prompt(name)
        Console(stderr=True).print(f"[bold]{p.ref}[/] ({p.kind}, sha256 {p.digest})")
        typer.echo(p.text)

    app.add_typer(group, name="prompts")
