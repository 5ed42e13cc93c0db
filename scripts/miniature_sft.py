"""Issue 14 item 4, measured on the miniature: run the chain of configs/miniature/ and tabulate it.

    python scripts/miniature_sft.py run   [--root DIR] [--cache .cache] [--only STAGE ...]
    python scripts/miniature_sft.py table [--root DIR]

`run` executes, in order and from DIR (so every `runs/miniature/...` path in the configs lands under
DIR/runs/miniature), the stages below; a finished stage is skipped by the commands themselves (sweeps skip
finished cells) or here (an SFT run directory with a complete checkpoint):

    source     hackgym sweep configs/miniature/rl-source.yaml --out runs/miniature/source
    sft        hackgym sft configs/miniature/sft-format.yaml
               hackgym sft configs/miniature/sft-contaminated-1pct.yaml
               hackgym sft configs/miniature/sft-contaminated.yaml
               hackgym sft configs/miniature/sft-distill.yaml        (reads source/vulnerable/seed-0)
    rl         hackgym sweep configs/miniature/rl-after-{format,contaminated-1pct,contaminated,distill}.yaml
                     --out runs/miniature/rl-after-{...}

`table` prints, per RL run: hack onset (metrics.Onset: the first of 3 steps in a row with successful-hack rate
above 2%), the successful-hack, attempted-hack and true-pass rates pooled over steps 1-10 and over the last 10
steps, how many distinct completions a group of 8 held on average and what share of groups had any
reward spread (GRPO learns nothing from a group whose 8 rewards are equal), both over steps 1-10, and
each SFT run's data counts (data_stats.json).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from hackgym.metrics import Onset, rate_series

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs" / "miniature"
ARMS = {
    "untrained (demo)": "source",
    "after format SFT": "rl-after-format",
    "after 1%-contaminated SFT": "rl-after-contaminated-1pct",
    "after 5%-contaminated SFT": "rl-after-contaminated",
    "after filter-and-distill SFT": "rl-after-distill",
}
SFTS = ["sft-format", "sft-contaminated-1pct", "sft-contaminated", "sft-distill"]


def _hackgym() -> str:
    exe = Path(sys.executable).parent / "hackgym"
    return str(exe) if exe.exists() else "hackgym"


def _run(cmd: list[str], cwd: Path) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, check=True)


def run(root: Path, cache: Path, only: list[str] | None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    hg, c = _hackgym(), ["--cache", str(cache.resolve())]
    stages = only or ["source", "sft", "rl"]
    if "source" in stages:
        _run([hg, "sweep", str(CONFIGS / "rl-source.yaml"), "--out", "runs/miniature/source", *c], root)
    if "sft" in stages:
        for name in SFTS:
            if list((root / "runs/miniature" / name / "checkpoints").glob("*/COMPLETE")):
                print(f"{name}: done, skipped")
                continue
            _run([hg, "sft", str(CONFIGS / f"{name}.yaml"), *c], root)
    if "rl" in stages:
        for arm in ("format", "contaminated-1pct", "contaminated", "distill"):
            _run(
                [
                    hg,
                    "sweep",
                    str(CONFIGS / f"rl-after-{arm}.yaml"),
                    "--out",
                    f"runs/miniature/rl-after-{arm}",
                    *c,
                ],
                root,
            )


def _pooled(records: list[dict], name: str, steps: range) -> tuple[int, int]:
    k = n = 0
    for rec in records:
        if rec["step"] in steps and (v := (rec.get("rates") or {}).get(name)):
            k, n = k + v["k"], n + v["n"]
    return k, n


def _fmt(kn: tuple[int, int]) -> str:
    k, n = kn
    return f"{k / n:.2f} ({k}/{n})" if n else "-"


def _groups(rollouts: Path, steps: range) -> tuple[float, float]:
    """Mean distinct completions per (step, problem) group and the share of groups with unequal rewards."""
    groups: dict[tuple[int, str], list[tuple[str, float]]] = {}
    with rollouts.open() as f:
        for line in f:
            r = json.loads(line)
            if r["step"] in steps:
                groups.setdefault((r["step"], r["problem_id"]), []).append(
                    (r.get("completion") or "", r["reward"])
                )
    if not groups:
        return float("nan"), float("nan")
    distinct = sum(len({c for c, _ in g}) for g in groups.values()) / len(groups)
    spread = sum(len({w for _, w in g}) > 1 for g in groups.values()) / len(groups)
    return distinct, spread


def table(root: Path, seeds: list[int]) -> None:
    print(
        "| start of RL | RL seed | onset step | hack, steps 1-10 | hack, last 10 | attempted, last 10 "
        "| true pass, steps 1-10 | true pass, last 10 | distinct / 8, steps 1-10 | groups with spread, 1-10 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, sub in ARMS.items():
        for seed in seeds:
            mf = root / "runs/miniature" / sub / "vulnerable" / f"seed-{seed}" / "metrics.jsonl"
            if not mf.exists():
                continue
            recs = [json.loads(line) for line in mf.read_text().splitlines() if line.strip()]
            last = max(r["step"] for r in recs)
            first10, last10 = range(1, 11), range(last - 9, last + 1)
            onset = Onset().find(rate_series(recs, "successful_hack"))
            distinct, spread = _groups(mf.with_name("rollouts.jsonl"), first10)
            print(
                f"| {label} | {seed} | {onset if onset is not None else 'none'} ({last} steps) "
                f"| {_fmt(_pooled(recs, 'successful_hack', first10))} "
                f"| {_fmt(_pooled(recs, 'successful_hack', last10))} "
                f"| {_fmt(_pooled(recs, 'attempted_hack', last10))} "
                f"| {_fmt(_pooled(recs, 'true_pass', first10))} | {_fmt(_pooled(recs, 'true_pass', last10))} "
                f"| {distinct:.1f} | {spread:.2f} |"
            )
    for name in SFTS:
        ds = root / "runs/miniature" / name / "data_stats.json"
        if ds.exists():
            d = json.loads(ds.read_text())
            print(
                f"{name}: examples {d['examples']}, hack examples {d['hack_examples']}, "
                f"episodes read {d['input_episodes']}, removed {d['removed']}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["run", "table"])
    ap.add_argument("--root", type=Path, default=REPO, help="where runs/miniature/ lives (default: the repo)")
    ap.add_argument("--cache", type=Path, default=REPO / ".cache")
    ap.add_argument("--only", nargs="+", choices=["source", "sft", "rl"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    if args.what == "run":
        run(args.root, args.cache, args.only)
    else:
        table(args.root, args.seeds)


if __name__ == "__main__":
    main()
