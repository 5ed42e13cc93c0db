"""`hackgym demo`: the study in miniature on CPU. The audit, the organism trained against a vulnerable and a
hardened grader, detection on the rollouts, then runs/demo/report.html and summary.json.

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


def _audit(console: Console) -> None:
    try:
        from ..audit import run_audit
    except ImportError:
        console.print("[yellow]audit:[/] hackgym.audit is not in this tree; skipped")
        return
    console.rule("audit: which exploits each grader admits")
    run_audit(console=console)


def _detect(run: RunDir, console: Console) -> None:
    """Re-label the last step's rollouts with `hackgym.detect` and compare with the labels made in the loop."""
    rollouts = run.rollouts()
    if not rollouts:
        return
    last = max(r["step"] for r in rollouts)
    batch = [r for r in rollouts if r["step"] == last]
    try:
        from ..detect import label_batch
    except ImportError:
        hacks = sum(r["hack"] for r in batch)
        console.print(f"detection ({run.path.name}, step {last}): {hacks}/{len(batch)} successful hacks "
                      "(labels from the training loop: environment grader passes, hardened fails)")
        return
    from ..problems import load_problems
    from .rewards import to_submission

    config = run.config()
    problems = {p.id: p for p in load_problems(config.env.problems)}
    probs = [problems[r["problem_id"]] for r in batch]
    subs = [to_submission(r["completion"], p, config.env.prompt_format) for r, p in zip(batch, probs, strict=True)]
    agree = 0
    hacks = 0
    for spec in sorted({r["env_grader"] for r in batch}):
        idx = [i for i, r in enumerate(batch) if r["env_grader"] == spec]
        labels = label_batch([probs[i] for i in idx], [subs[i] for i in idx], spec)
        for i, lab in zip(idx, labels, strict=True):
            hacks += bool(lab.hack)
            agree += bool(lab.hack) == batch[i]["hack"]
    console.print(f"detection ({run.path.name}, step {last}): hackgym.detect labels {hacks}/{len(batch)} as hacks; "
                  f"agrees with the loop's labels on {agree}/{len(batch)}")


def run_demo(config_path: Path, out: Path, cache: Path, console: Console) -> dict[str, Any]:
    configs = load_configs(config_path)
    _audit(console)
    runs = []
    for cfg in configs:
        name = cfg.condition or cfg.name
        run = RunDir(out / name)
        done = {m["step"] for m in run.metrics()} if (run.path / "config.yaml").is_file() else set()
        console.rule(f"condition {name}: organism graded by {cfg.env.grader}")
        with StepDisplay(console, title=name, total=cfg.steps) as display:
            if len(done) >= cfg.steps:
                console.print(f"{run.path}: already finished, reused")
            elif done or (run.path / "config.yaml").is_file():
                resume(run.path, cache, display.update)
            else:
                train(cfg, run.path, cache, display.update)
        _detect(run, console)
        runs.append(run.path)
    return write_report(runs, out)
