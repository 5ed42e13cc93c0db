"""Time per GRPO step through `hackgym train` (TRL's GRPOTrainer), split into generation, grading and
optimisation, for each way of grading, on the same model, prompts, batch shape, grader and seed.

    .venv/bin/python benchmarks/train_step.py [--steps 8] [--grader vulnerable] [--model organism|tiny]

`organism` builds (or reuses) the CPU organism with configs/demo-cpu.yaml's prompts; `tiny` uses a random tiny
Llama (no build, but its completions are noise). The first step of each run is a warm-up and is not counted.
Modes, each a full run in this one process:

- `baseline`: every verdict (the environment's, hardened, the probe, attribution) graded and labelled before the
  rewards return, pytest run on every distinct submission;
- `parse_first`: the same, but a lone solution.py that does not parse is failed without pytest (same verdict);
- `background`: the default. The rewards' verdicts are graded when the rewards are asked for; the rest of each
  label (hardened, probe, attribution), which is only measured, is labelled in a background thread while TRL
  optimises.

`grading_share` is the time grading blocks the step: the rewards' verdicts, and any wait for the rest at the
end of the step. Reported apart, because in `background` they overlap the rest of the step: `measured_s`, the
wall time of the measured-only labelling, and `jobs_s`, the sandbox time of all of the step's fresh verdicts
(about the CPU time grading took, wherever it ran). `same_metrics` checks that every mode recorded the same
rewards and rates at every step.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("generation", "grading", "optimisation")
EXTRA = ("measured", "jobs")
MODES = ("baseline", "parse_first", "background")
RATES = ("env_pass", "true_pass", "successful_hack", "exploit")


@contextmanager
def grading_mode(mode: str) -> Iterator[bool]:
    """Set the vulnerable grader's parse-first path for `mode`; yields whether to label in the background."""
    from hackgym.graders import VulnerableGrader

    VulnerableGrader.parse_first = mode != "baseline"
    try:
        yield mode == "background"
    finally:
        VulnerableGrader.parse_first = True


def _summary(mode: str, rows: list[dict[str, float]]) -> dict[str, float | str]:
    out: dict[str, float | str] = {"mode": mode, "steps": len(rows)}
    total = statistics.mean(r["step"] for r in rows)
    out["step_s"] = round(total, 3)
    for part in PARTS:
        mean = statistics.mean(r[part] for r in rows)
        out[f"{part}_s"] = round(mean, 3)
        out[f"{part}_share"] = round(mean / total, 3) if total else 0.0
    for part in EXTRA:
        out[f"{part}_s"] = round(statistics.mean(r[part] for r in rows), 3)
    return out


def run_steps(model_dir: Path, problem_ids: list[str], args: argparse.Namespace,
              mode: str) -> tuple[list[dict[str, float]], list[list[float | None]]]:
    from hackgym.train.config import validate
    from hackgym.train.runner import train

    with grading_mode(mode) as background:
        cfg = validate({
            "name": "bench", "steps": args.steps + 1, "seed": 0, "sandbox": args.sandbox, "save_every": 10_000,
            "model": {"path": str(model_dir)},
            "env": {"problems": "basic", "problem_ids": problem_ids, "grader": args.grader,
                    "prompt_format": "organism" if args.model == "organism" else "text"},
            "rewards": {"probe_grader": "vulnerable"},
            "grpo": {"loss_type": "grpo", "learning_rate": 3e-4, "prompts_per_step": 4, "num_generations": 8,
                     "max_completion_length": 48, "scale_rewards": "group"},
            "backend": {"torch_threads": args.torch_threads, "background_grading": background},
        })
        with tempfile.TemporaryDirectory() as tmp:
            metrics = train(cfg, Path(tmp) / "run", Path(".cache")).metrics()
    rows = [{"step": m["time"]["step"], **{p: m["time"][p] for p in PARTS},
             "measured": m["time"]["measured_grading"], "jobs": m["time"]["grading_jobs"]}
            for m in metrics]
    rates = [[m["reward"], *(m["rates"][k]["rate"] for k in RATES)] for m in metrics]
    return rows[1:], rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--grader", default="vulnerable")
    ap.add_argument("--model", choices=["organism", "tiny"], default="organism")
    ap.add_argument("--sandbox", choices=["jail", "process"], default="jail")
    ap.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, from {', '.join(MODES)}")
    ap.add_argument("--torch-threads", type=int, default=1, help="as configs/demo-cpu.yaml")
    ap.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if unknown := set(modes) - set(MODES):
        ap.error(f"unknown modes {sorted(unknown)}: use {', '.join(MODES)}")

    from hackgym.train.config import load_configs

    demo = load_configs(ROOT / "configs" / "demo-cpu.yaml")[0]
    if args.model == "organism":
        from hackgym.train.model import organism_dir

        model_dir = organism_dir(demo.model, Path(".cache"))
    else:
        from hackgym.train.tiny import build_tiny_model

        model_dir = build_tiny_model("llama", Path(".cache") / "bench-tiny-llama")
    problem_ids = list(demo.env.problem_ids or [])
    results, rates = [], []
    for mode in modes:
        started = time.perf_counter()
        rows, per_step = run_steps(model_dir, problem_ids, args, mode)
        summary = _summary(mode, rows)
        summary["run_s"] = round(time.perf_counter() - started, 1)
        results.append(summary)
        rates.append(per_step)
        print(json.dumps(summary), flush=True)
    first, last = results[0], results[-1]
    print(json.dumps({
        "compare": f"{last['mode']}/{first['mode']}",
        "step_ratio": round(float(last["step_s"]) / float(first["step_s"]), 3),
        "grading_ratio": (round(float(last["grading_s"]) / float(first["grading_s"]), 3)
                          if first["grading_s"] else None),
        "same_metrics": all(r == rates[0] for r in rates),
    }), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
