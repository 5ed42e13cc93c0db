"""`hackgym sft`: the supervised stage (format stage, contamination, filter-and-distill, recontextualization)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console(stderr=True)
CACHE = Path(".cache")


def register(app: typer.Typer) -> None:
    @app.command()
    def sft(
        config: Path | None = typer.Argument(None, help="YAML config (see configs/study/sft-*.yaml, docs/sft.md)"),
        out: Path | None = typer.Option(None, help="run directory (default: the config's output_dir, else runs/NAME)"),
        resume: Path | None = typer.Option(None, help="continue the run in this directory after a crash"),
        dry_run: bool = typer.Option(False, "--dry-run", help="validate, build the data, two CPU steps on a tiny model"),
        cache: Path = typer.Option(CACHE, help="where built models (the organism) are cached"),
    ) -> None:
        """Supervised fine-tuning on TRL's SFTTrainer in hackgym's one conversation format."""
        from ..offline import quiet_libraries
        from ..sft import dry_run as do_dry_run
        from ..sft import load_config
        from ..sft import resume as do_resume
        from ..sft import train as do_train

        quiet_libraries()
        import datasets

        datasets.disable_progress_bars()

        def show(rec: dict) -> None:
            console.print(f"step {rec['step']}: loss {rec.get('loss', float('nan')):.4f}")

        if resume is not None:
            if config is not None:
                raise typer.BadParameter("give either CONFIG or --resume RUN_DIR, not both")
            do_resume(resume, cache, show)
            console.print(f"resumed run finished: {resume}")
            return
        if config is None:
            raise typer.BadParameter("CONFIG is required (or --resume RUN_DIR)")
        cfg = load_config(config)
        if dry_run:
            result = do_dry_run(cfg, cache)
            stats = result["stats"]
            console.print(f"[green]dry run ok[/] {cfg.name}: {stats['kind']}, {stats['examples']} examples "
                          f"({stats['hack_examples']} showing a hack, removed {stats['removed']}), architecture "
                          f"{result['architecture']}, lora {result['lora']}, loss {result['loss']:.3f}")
            return
        run = do_train(cfg, out, cache, show)
        console.print(f"run written to {run.path}")
