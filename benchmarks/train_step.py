"""Time per GRPO step, split into generation, grading and optimisation: TRL's GRPOTrainer (hackgym's trainer)
against the organism's minimal GRPO loop, on the same model, prompts, batch shape and grader.

    .venv/bin/python benchmarks/train_step.py [--steps 8] [--grader vulnerable] [--model organism|tiny]

`organism` builds (or reuses) the CPU organism; `tiny` uses a random tiny Llama (no build, but its completions
are noise). The first step of each loop is a warm-up and is not counted. Grading should stay under 10% of a
step: both loops cache verdicts by submission digest, and the sandbox pool keeps its workers warm.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PARTS = ("generation", "grading", "optimisation")


def _summary(name: str, rows: list[dict[str, float]]) -> dict[str, float | str]:
    out: dict[str, float | str] = {"loop": name, "steps": len(rows)}
    total = statistics.mean(r["step"] for r in rows)
    out["step_s"] = round(total, 3)
    for part in PARTS:
        mean = statistics.mean(r[part] for r in rows)
        out[f"{part}_s"] = round(mean, 3)
        out[f"{part}_share"] = round(mean / total, 3) if total else 0.0
    return out


def trl_steps(model_dir: Path, problem_ids: list[str], args: argparse.Namespace) -> list[dict[str, float]]:
    from hackgym.train.config import validate
    from hackgym.train.runner import train

    cfg = validate({
        "name": "bench", "steps": args.steps + 1, "seed": 0, "sandbox": args.sandbox, "save_every": 10_000,
        "model": {"path": str(model_dir)},
        "env": {"problems": "basic", "problem_ids": problem_ids, "grader": args.grader,
                "prompt_format": "organism" if args.model == "organism" else "text"},
        "rewards": {"probe_grader": "vulnerable"},
        "grpo": {"loss_type": "grpo", "learning_rate": 3e-4, "prompts_per_step": 4, "num_generations": 8,
                 "max_completion_length": 48, "scale_rewards": "group"},
    })
    with tempfile.TemporaryDirectory() as tmp:
        run = train(cfg, Path(tmp) / "run", Path(".cache"))
        rows = [{"step": m["time"]["step"], **{p: m["time"][p] for p in PARTS}} for m in run.metrics()]
    return rows[1:]


def minimal_steps(model_dir: Path, args: argparse.Namespace) -> list[dict[str, float]]:
    from hackgym.organism.grpo import GRPOConfig, GRPOLoop

    loop = GRPOLoop(model_dir, GRPOConfig(grader=args.grader, steps=args.steps + 1, sandbox=args.sandbox))
    rows = []
    for _ in range(args.steps + 1):
        start = time.perf_counter()
        m = loop.step()
        rows.append({"step": time.perf_counter() - start, "generation": m["generate_s"], "grading": m["grade_s"],
                     "optimisation": m["optimise_s"]})
    return rows[1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--grader", default="vulnerable")
    ap.add_argument("--model", choices=["organism", "tiny"], default="organism")
    ap.add_argument("--sandbox", choices=["jail", "process"], default="jail")
    ap.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    from transformers import AutoTokenizer

    from hackgym.organism.grpo import prompt_set

    if args.model == "organism":
        from hackgym.organism.build import DEFAULT_CACHE, build_organism

        model_dir = Path(build_organism(DEFAULT_CACHE))
    else:
        from hackgym.train.tiny import build_tiny_model

        model_dir = build_tiny_model("llama", Path(".cache") / "bench-tiny-llama")
    held, solvable = prompt_set(AutoTokenizer.from_pretrained(model_dir), 10, 10, 48)
    results = [_summary("trl", trl_steps(model_dir, [p.id for p in held + solvable], args))]
    if args.model == "organism":
        results.append(_summary("minimal", minimal_steps(model_dir, args)))
    for r in results:
        print(json.dumps(r))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
