"""Time per GRPO step, split into generation, grading and optimisation: TRL's GRPOTrainer (hackgym's trainer)
against the organism's minimal GRPO loop, on the same model, prompts, batch shape and grader.

    .venv/bin/python benchmarks/train_step.py [--steps 8] [--grader vulnerable] [--model organism|tiny]

`organism` builds (or reuses) the CPU organism; `tiny` uses a random tiny Llama (no build, but its completions
are noise). The first step of each run is a warm-up and is not counted. Each loop runs once per grading mode,
in this one process, on the same seed:

- `baseline`: every verdict (the environment's, hardened, probe) graded before the update, pytest run on every
  distinct submission: how grading worked before;
- `parse_first`: the same, but a lone solution.py that does not parse is failed without pytest (same verdict);
- `background`: the default of both loops. Each completion's reward verdict starts grading the moment it ends,
  while the rest of the batch generates, and the measured-only verdicts (hardened, probe, signatures) are
  graded in a background thread while the loop optimises (the minimal loop: and generates the next step).

`grading_share` is the time grading blocks the step: the rewards' verdicts not yet in when generation ends, and
any wait for the rest. Reported apart, because in `background` they overlap the rest of the step: `measured_s`,
the wall time of the measured-only part, and `jobs_s`, the sandbox time of all of the step's fresh verdicts
(about the CPU time grading took, wherever it ran). `same_metrics` checks that every mode recorded the same
rewards and rates at every step. Grading should stay under 10% of a step.
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

PARTS = ("generation", "grading", "optimisation")
EXTRA = ("measured", "jobs")
MODES = ("baseline", "parse_first", "background")
TRL_RATES = ("reward", "env_pass", "true_pass_hardened", "hack_success", "exploit")
MINIMAL_RATES = ("reward", "hack_rate", "pass_rate", "exploit_rate")


@contextmanager
def grading_mode(mode: str) -> Iterator[bool]:
    """Set the vulnerable grader's parse-first path for `mode`; yields whether to grade in the background."""
    from hackgym.graders import VulnerableGrader

    VulnerableGrader.parse_first = mode != "baseline"
    try:
        yield mode == "background"
    finally:
        VulnerableGrader.parse_first = True


def _summary(name: str, mode: str, rows: list[dict[str, float]]) -> dict[str, float | str]:
    out: dict[str, float | str] = {"loop": name, "mode": mode, "steps": len(rows)}
    total = statistics.mean(r["step"] for r in rows)
    out["step_s"] = round(total, 3)
    for part in PARTS:
        mean = statistics.mean(r[part] for r in rows)
        out[f"{part}_s"] = round(mean, 3)
        out[f"{part}_share"] = round(mean / total, 3) if total else 0.0
    for part in EXTRA:
        out[f"{part}_s"] = round(statistics.mean(r[part] for r in rows), 3)
    return out


def trl_steps(model_dir: Path, problem_ids: list[str], args: argparse.Namespace,
              mode: str) -> tuple[list[dict[str, float]], list[list[float]]]:
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
    return rows[1:], [[m[k] for k in TRL_RATES] for m in metrics]


def minimal_steps(model_dir: Path, args: argparse.Namespace,
                  mode: str) -> tuple[list[dict[str, float]], list[list[float]]]:
    from hackgym.organism.grpo import GRPOConfig, GRPOLoop

    with grading_mode(mode) as background:
        loop = GRPOLoop(model_dir, GRPOConfig(grader=args.grader, steps=args.steps + 1, sandbox=args.sandbox,
                                              threads=args.torch_threads, background_grading=background))
        history = loop.run()
    rows = [{"step": m["step_s"], "generation": m["generate_s"], "grading": m["grade_s"],
             "optimisation": m["optimise_s"], "measured": m["measured_grade_s"], "jobs": m["grade_jobs_s"]}
            for m in history]
    return rows[1:], [[m.get(k) for k in MINIMAL_RATES] for m in history]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--grader", default="vulnerable")
    ap.add_argument("--model", choices=["organism", "tiny"], default="organism")
    ap.add_argument("--sandbox", choices=["jail", "process"], default="jail")
    ap.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, from {', '.join(MODES)}")
    ap.add_argument("--loops", default="trl,minimal", help="comma-separated: trl, minimal (the organism only)")
    ap.add_argument("--torch-threads", type=int, default=1, help="as configs/demo-cpu.yaml")
    ap.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if unknown := set(modes) - set(MODES):
        ap.error(f"unknown modes {sorted(unknown)}: use {', '.join(MODES)}")

    from transformers import AutoTokenizer

    from hackgym.organism.grpo import prompt_set

    if args.model == "organism":
        from hackgym.organism.build import DEFAULT_CACHE, build_organism

        model_dir = Path(build_organism(DEFAULT_CACHE))
    else:
        from hackgym.train.tiny import build_tiny_model

        model_dir = build_tiny_model("llama", Path(".cache") / "bench-tiny-llama")
    held, solvable = prompt_set(AutoTokenizer.from_pretrained(model_dir), 10, 10, 48)
    loops = {"trl": lambda mode: trl_steps(model_dir, [p.id for p in held + solvable], args, mode)}
    if args.model == "organism":
        loops["minimal"] = lambda mode: minimal_steps(model_dir, args, mode)
    results = []
    for name, run in loops.items():
        if name not in args.loops.split(","):
            continue
        rates = []
        for mode in modes:
            started = time.perf_counter()
            rows, per_step = run(mode)
            summary = _summary(name, mode, rows)
            summary["run_s"] = round(time.perf_counter() - started, 1)
            results.append(summary)
            rates.append(per_step)
            print(json.dumps(summary), flush=True)
        first, last = results[-len(modes)], results[-1]
        print(json.dumps({
            "loop": name, "compare": f"{last['mode']}/{first['mode']}",
            "step_ratio": round(last["step_s"] / first["step_s"], 3),
            "grading_ratio": round(last["grading_s"] / first["grading_s"], 3) if first["grading_s"] else None,
            "same_metrics": all(r == rates[0] for r in rates),
        }), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
