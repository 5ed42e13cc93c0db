"""`hackgym demo`'s training part: the organism trained against a vulnerable and a hardened grader, the last
step's rollouts relabelled from scratch, then runs/demo/report.html and summary.json (the CLI runs the audit
first).

A condition whose run already finished is reused and an interrupted one is resumed, so a second `make demo`
only redoes what is missing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console

from .detect import Labeller, load_rollout_records
from .problems import load_problems
from .report import write_report
from .rundir import ROLLOUTS, RunDir
from .train.config import load_configs, run_config
from .train.display import StepDisplay
from .train.rewards import to_submission
from .train.runner import resume, train


def relabel_last_step(run: RunDir, console: Console) -> None:
    """Label the last step's rollouts again with fresh graders and no cache, and say how many labels the
    training records reproduce: a record that cannot be reproduced is a bug, not a result."""
    rollouts = load_rollout_records(run.path / ROLLOUTS) if (run.path / ROLLOUTS).is_file() else []
    if not rollouts:
        return
    last = max(r.step or 0 for r in rollouts)
    batch = [r for r in rollouts if r.step == last]
    config = run_config(run)
    problems = {p.id: p for p in load_problems(config.env.problems)}
    items = [(problems[r.problem_id], to_submission(r.completion or "", problems[r.problem_id],
                                                    config.env.prompt_format)) for r in batch]
    labels = Labeller(config.sandbox, probe=config.rewards.probe_grader).label(items, [r.env_grader for r in batch])
    counts = Counter(lab.label for lab in labels)
    agree = sum(lab.label == r.label.label for lab, r in zip(labels, batch, strict=True) if r.label is not None)
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    console.print(f"relabelled {run.path.name}, step {last} ({len(batch)} rollouts): {shown}; the training "
                  f"records' labels reproduced on {agree}/{len(batch)}")


def run_demo(config_path: Path, out: Path, cache: Path, console: Console) -> dict[str, Any]:
    configs = load_configs(config_path)
    runs = []
    for cfg in configs:
        name = cfg.condition or cfg.name
        run = RunDir(out / name)
        done = {m["step"] for m in run.metrics()} if run.exists() else set()
        console.rule(f"condition {name}: organism graded by {cfg.env.grader}")
        if len(done) >= cfg.steps:
            console.print(f"{run.path}: already finished, reused")
        else:
            with StepDisplay(console, title=name, total=cfg.steps) as display:
                if run.exists():
                    resume(run.path, cache, display.update)
                else:
                    train(cfg, run.path, cache, display.update)
        relabel_last_step(run, console)
        runs.append(run.path)
    return write_report(runs, out)
