"""`hackgym train` and `hackgym demo`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from ..offline import quiet_libraries

console = Console(stderr=True)
CACHE = Path(".cache")


def register(app: typer.Typer) -> None:
    @app.command()
    def train(
        config: Path | None = typer.Argument(None, help="YAML config (see configs/)"),
        out: Path | None = typer.Option(None, help="run directory (default: runs/NAME, or runs/NAME/CONDITION per condition)"),
        resume: Path | None = typer.Option(None, help="continue the run in this directory after a crash"),
        dry_run: bool = typer.Option(False, "--dry-run", help="validate, then one CPU step with a tiny model"),
        condition: list[str] = typer.Option([], help="run only these conditions (repeatable)"),
        cache: Path = typer.Option(CACHE, help="where built models (the organism) are cached"),
        fork: Path | None = typer.Option(None, "--fork", help="start from a checkpoint of this run (a new "
                                         "condition after hacking was learned); needs --at"),
        at: str | None = typer.Option(None, "--at", help="with --fork: onset+N, hack_rate:R+N or a step; the "
                                      "newest complete checkpoint at or before it is taken"),
    ) -> None:
        """GRPO on hackable environments: per-step metrics, every rollout, checkpoints, resume."""
        from ..train import fork as forks
        from ..train.config import load_configs
        from ..train.display import StepDisplay
        from ..train.runner import dry_run as do_dry_run
        from ..train.runner import resume as do_resume
        from ..train.runner import train as do_train

        quiet_libraries()
        if resume is not None:
            if config is not None:
                raise typer.BadParameter("give either CONFIG or --resume RUN_DIR, not both")
            with StepDisplay(console, title=str(resume)) as display:
                do_resume(resume, cache, display.update)
            console.print(f"resumed run finished: {resume}")
            return
        if config is None:
            raise typer.BadParameter("CONFIG is required (or --resume RUN_DIR)")
        if (fork is None) != (at is None):
            raise typer.BadParameter("--fork RUN_DIR and --at POINT go together")
        configs = load_configs(config)
        if condition:
            unknown = set(condition) - {c.condition for c in configs}
            if unknown:
                raise typer.BadParameter(f"unknown condition(s): {', '.join(sorted(unknown))}")
            configs = [c for c in configs if c.condition in condition]
        for cfg in configs:
            label = f"{cfg.name}/{cfg.condition}" if cfg.condition else cfg.name
            if dry_run:
                result = do_dry_run(cfg, cache)
                m = result["metrics"]
                console.print(f"[green]dry run ok[/] {label}: architecture {result['architecture']}, "
                              f"lora {result['lora']}, {int(m['rollouts'])} rollouts graded, "
                              f"step {m['time']['step']:.1f} s")
                continue
            base = out or Path("runs") / cfg.name
            run_dir = base / cfg.condition if cfg.condition and len(configs) > 1 else base
            if fork is not None and at is not None:
                point = forks.prepare(fork, at, run_dir)
                cfg.model = cfg.model.model_copy(update={"path": str((run_dir / forks.MODEL).resolve()),
                                                         "gguf_file": None})
                console.print(f"fork of {fork} at step {point.step} (asked: {at} = step {point.target_step})")
            with StepDisplay(console, title=label, total=cfg.steps) as display:
                do_train(cfg, run_dir, cache, display.update)
            console.print(f"run written to {run_dir}")

    @app.command()
    def demo(
        config: Path = typer.Option(Path("configs/demo-cpu.yaml"), help="the demo's conditions"),
        out: Path = typer.Option(Path("runs/demo"), help="where runs, report.html and summary.json go"),
        cache: Path = typer.Option(CACHE, help="where the organism is cached"),
    ) -> None:
        """The miniature study on CPU: audit, organism runs (vulnerable, hardened), detection, report."""
        from ..audit import SLOW_FAMILIES, run_audit, to_markdown
        from ..demo import run_demo
        from ..graders import make_grader
        from ..hacks import CATALOGUE
        from ..problems import load_problems
        from .audit import print_report

        quiet_libraries()
        # kept small so the demo fits its budget; `hackgym audit` runs the full matrix
        console.rule("audit: which exploits the demo's two graders accept (HumanEval, first 3 problems)")
        graders = [make_grader(spec) for spec in ("hardened", "vulnerable")]
        hacks = [h for h in CATALOGUE.values() if h.family not in SLOW_FAMILIES]
        audit = run_audit(load_problems("humaneval", limit=3), graders, problem_set="humaneval", hacks=hacks)
        print_report(audit)
        out.mkdir(parents=True, exist_ok=True)
        (out / "audit.md").write_text(to_markdown(audit), encoding="utf-8")
        summary: dict[str, Any] = run_demo(config, out, cache, console)
        console.print_json(json.dumps(summary))
        console.print(f"[bold]report:[/] {out / 'report.html'}")
