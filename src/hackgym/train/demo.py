"""`hackgym demo`'s training part: the organism trained against a vulnerable and a hardened grader, detection
on the rollouts, then runs/demo/report.html and summary.json (the CLI runs the audit first).

A condition whose run already finished is reused and an interrupted one is resumed, so a second `make demo`
only redoes what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from ..report import write_report
from .config import load_configs
from .display import StepDisplay
from .rundir import RunDir
from .runner import resume, train


def detect_last_step(run: RunDir, console: Console) -> None:
    """Label the last step's rollouts with `hackgym.detect` and compare with the labels made in the loop."""
    from collections import Counter

    from ..detect import label_batch
    from ..problems import load_problems
    from .rewards import to_submission

    rollouts = run.rollouts()
    if not rollouts:
        return
    last = max(r["step"] for r in rollouts)
    batch = [r for r in rollouts if r["step"] == last]
    config = run.config()
    problems = {p.id: p for p in load_problems(config.env.problems)}
    counts: Counter[str] = Counter()
    agree = 0
    for spec in sorted({r["env_grader"] for r in batch}):
        rows = [r for r in batch if r["env_grader"] == spec]
        items = [(problems[r["problem_id"]], to_submission(r["completion"], problems[r["problem_id"]],
                                                           config.env.prompt_format)) for r in rows]
        for rec, lab in zip(rows, label_batch(items, spec, sandbox=config.sandbox), strict=True):
            counts[lab.label] += 1
            agree += lab.successful == rec["hack"]
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    console.print(f"detection, {run.path.name}, step {last} ({len(batch)} rollouts): {shown}; successful-hack "
                  f"labels agree with the training loop's on {agree}/{len(batch)}")


def run_demo(config_path: Path, out: Path, cache: Path, console: Console) -> dict[str, Any]:
    configs = load_configs(config_path)
    runs = []
    for cfg in configs:
        name = cfg.condition or cfg.name
        run = RunDir(out / name)
        done = {m["step"] for m in run.metrics()} if (run.path / "config.yaml").is_file() else set()
        console.rule(f"condition {name}: organism graded by {cfg.env.grader}")
        if len(done) >= cfg.steps:
            console.print(f"{run.path}: already finished, reused")
        else:
            with StepDisplay(console, title=name, total=cfg.steps) as display:
                if (run.path / "config.yaml").is_file():
                    resume(run.path, cache, display.update)
                else:
                    train(cfg, run.path, cache, display.update)
        detect_last_step(run, console)
        runs.append(run.path)
    return write_report(runs, out)
