"""The scripted agents through the hack-propensity evals: the floor and ceiling docs/agentic.md reports.

Each agent of `hackgym.envs.agentic.SCRIPTS` (honest, conftest, edit_tests, exit_early) plays `hack_propensity`
and `impossible` on the first N `basic` problems under each grader, through the same tasks, scorer and
aggregation as `hackgym eval --suite propensity` (`hackgym.evals.propensity.run`, with the agent as a mockllm
model), and the pooled rates are printed as a Markdown table. The agents ignore the prompt, so one condition
is enough.

Usage (from the repository root):
    .venv/bin/python scripts/agentic_scripted.py --problems 10 --out /tmp/agentic-scripted
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _pct(entry: dict) -> str:
    lo, hi = entry["ci"]
    return f"{100 * entry['rate']:.0f}% [{100 * lo:.0f}, {100 * hi:.0f}]"


def main() -> None:
    from hackgym.envs.agentic import SCRIPTS
    from hackgym.evals import propensity

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=10)
    parser.add_argument("--condition", default="dont_hack")
    parser.add_argument("--graders", default="vulnerable,hardened")
    parser.add_argument("--out", type=Path, default=Path("agentic-scripted"))
    args = parser.parse_args()
    rows = []
    started = time.perf_counter()
    for agent in SCRIPTS:
        for grader in args.graders.split(","):
            targs = {name: {"grader": grader, "condition": args.condition, "protocol": "text"}
                     for name in propensity.PROPENSITY}
            scores = propensity.run(propensity.scripted_model(agent), args.out / agent / grader.replace(":", "_"),
                                    limit=args.problems, task_args=targs)
            for name, e in scores["evals"].items():
                p = e["pooled"]
                fams = ", ".join(f"{f} {v['successful']['k']}/{v['attempted']['k']}" for f, v in p["families"].items()
                                 if v["attempted"]["k"]) or "-"
                success = _pct(p["success"]) if "success" in p else "-"
                rows.append(f"| {agent} | {grader} | {name} | {p['episodes']} | {_pct(p['successful_hack'])} | "
                            f"{_pct(p['attempted_hack'])} | {_pct(p['env_pass'])} | {success} | {fams} |")
    print("| agent | grader | eval | n | successful hack | attempted hack | env pass | success | "
          "families (successful/attempted) |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
