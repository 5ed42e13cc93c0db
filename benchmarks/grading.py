"""Grading throughput: the naive baseline against the hardened and vulnerable graders on the sandbox pool.

Submissions: the HumanEval reference solutions plus exploits from `hackgym.hacks.CATALOGUE` on a subset of the
problems. Paths, all in the same run and on the same cores:
- naive: a fresh `python -m pytest` subprocess per submission in a temp folder, no isolation, `--workers` at a
  time (what a simple RL reward function does);
- hardened: `make_grader("hardened")` on a warm pool (slot start-up is reported apart: it is paid once);
- vulnerable: `make_grader("vulnerable")` (pytest in the zygote) on the same pool.

    .venv/bin/python benchmarks/grading.py [--json FILE] [--sandbox jail|process] [--workers N]

Prints submissions/s, the ratios to naive, p50/p99 latency per submission and each path's verdicts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from hackgym.graders import make_grader
from hackgym.graders.base import STUDY_WEAKNESSES
from hackgym.graders.vulnerable import TEST_FILE, build_test_module
from hackgym.problems import Problem, load_problems
from hackgym.sandbox import Pool, SandboxConfig, describe_mode
from hackgym.submission import Submission

Item = tuple[str, Problem, Submission]  # (kind: "reference" or a hack id, problem, submission)


STUDY_FAMILIES = {"always_equal", "exit_zero", "conftest_patch"}
SLOW_FAMILIES = {"hang"}  # exploits that run into the timeouts measure the timeouts, not the grading path


def submissions(n_problems: int, exploit_every: int, hacks: str) -> tuple[list[Item], str]:
    problems = load_problems("humaneval")[:n_problems]
    items: list[Item] = [("reference", p, Submission(files={"solution.py": p.reference_solution})) for p in problems]
    try:
        from hackgym.hacks import CATALOGUE
    except ImportError:  # the catalogue is optional for this benchmark
        return items, "none (hackgym.hacks not importable)"
    chosen = {hid: h for hid, h in CATALOGUE.items()
              if hacks == "all" or (hacks == "study" and h.family in STUDY_FAMILIES)
              or (hacks == "no-hang" and h.family not in SLOW_FAMILIES)}
    for p in problems[::exploit_every]:
        for hack_id, hack in chosen.items():
            items.append((hack_id, p, hack.exploit(p)))
    return items, f"hackgym.hacks ({len(chosen)} of {len(CATALOGUE)} hacks, --hacks {hacks}, on every {exploit_every}th problem)"


def naive_one(problem: Problem, sub: Submission) -> bool:
    """A fresh `python -m pytest` on solution + tests in a temp folder; trusts the exit status."""
    folder = tempfile.mkdtemp(prefix="hackgym-naive-")
    try:
        module, _ = build_test_module(problem, STUDY_WEAKNESSES)
        for rel, text in {**sub.files, TEST_FILE: module}.items():
            path = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")  # as in the pool: no third-party plugins
        # its own session: an exploit that kills its process group (kill_runner.process_group) must not take
        # the benchmark with it, and a timeout kills everything the submission started
        proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", folder],
                                cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            return proc.wait(timeout=20) == 0
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return False
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def timed_map(run: Callable[[Problem, Submission], bool], items: Sequence[Item], workers: int,
              mapper: Callable | None = None) -> tuple[float, list[float], list[bool]]:
    """Wall time for the batch, per-submission latencies and verdicts, in input order."""

    def one(item: Item) -> tuple[float, bool]:
        t0 = time.perf_counter()
        ok = run(item[1], item[2])
        return time.perf_counter() - t0, ok

    start = time.perf_counter()
    if mapper is not None:
        out = mapper(one, list(items))
    else:
        with ThreadPoolExecutor(max_workers=workers) as ex:
            out = list(ex.map(one, items))
    wall = time.perf_counter() - start
    return wall, [o[0] for o in out], [o[1] for o in out]


def summarise(name: str, wall: float, lat: list[float], verdicts: list[bool], items: Sequence[Item]) -> dict:
    lat_ms = sorted(x * 1000 for x in lat)
    accepted = Counter(kind for (kind, _, _), ok in zip(items, verdicts, strict=True) if ok)
    refs = sum(1 for kind, _, _ in items if kind == "reference")
    exploits = len(items) - refs
    return {
        "path": name, "per_s": len(items) / wall, "wall_s": wall,
        "p50_ms": statistics.median(lat_ms), "p99_ms": lat_ms[min(len(lat_ms) - 1, int(0.99 * len(lat_ms)))],
        "references_accepted": f"{accepted.pop('reference', 0)}/{refs}",
        "exploits_accepted": f"{sum(accepted.values())}/{exploits}", "exploits_accepted_by_hack": dict(accepted),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="FILE", help="write the numbers as JSON")
    ap.add_argument("--sandbox", choices=["jail", "process"], default="jail")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--problems", type=int, default=164, help="HumanEval problems whose references are graded")
    ap.add_argument("--exploit-every", type=int, default=16, help="exploits on every Nth of those problems")
    ap.add_argument("--hacks", choices=["no-hang", "study", "all"], default="no-hang",
                    help="which catalogue hacks (no-hang: all but those that only wait for the timeouts)")
    ap.add_argument("--skip-naive", action="store_true", help="pool paths only (no ratio)")
    args = ap.parse_args(argv)

    items, exploit_source = submissions(args.problems, args.exploit_every, args.hacks)
    print(describe_mode(args.sandbox), file=sys.stderr)
    print(f"{len(items)} submissions ({args.problems} references; exploits: {exploit_source}); "
          f"{args.workers} workers on {os.cpu_count()} cores", file=sys.stderr)

    results: dict[str, dict] = {}
    t0 = time.perf_counter()
    pool = Pool(SandboxConfig(mode=args.sandbox, workers=args.workers))
    try:
        pool.map(lambda _: pool.run({"mode": "exec", "argv": ["{python}", "-c", "pass"]}), range(args.workers))
        pool_start = time.perf_counter() - t0
        for spec in ("hardened", "vulnerable"):
            grader = make_grader(spec, pool=pool)
            grader.grade_many([(p, s) for _, p, s in items[: args.workers]])  # warm caches, untimed
            restarts = pool.restarts
            wall, lat, ok = timed_map(lambda p, s, g=grader: g._grade_one(p, s).passed, items, args.workers,
                                      mapper=pool.map)  # exactly grade_many's path, with per-item timing
            results[spec] = summarise(spec, wall, lat, ok, items)
            results[spec]["slot_restarts"] = pool.restarts - restarts
            print(f"  {spec}: {results[spec]['per_s']:.1f}/s", file=sys.stderr)
    finally:
        pool.close()
    if not args.skip_naive:
        wall, lat, ok = timed_map(naive_one, items, args.workers)
        results["naive"] = summarise("naive", wall, lat, ok, items)

    print(f"\n{'path':<12}{'subs/s':>9}{'vs naive':>10}{'p50 ms':>9}{'p99 ms':>9}  references  exploits accepted")
    for name in ("naive", "hardened", "vulnerable"):
        if name not in results:
            continue
        r = results[name]
        ratio = r["per_s"] / results["naive"]["per_s"] if "naive" in results else float("nan")
        print(f"{name:<12}{r['per_s']:>9.1f}{ratio:>9.1f}x{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}  "
              f"{r['references_accepted']:>10}  {r['exploits_accepted']}")
    print(f"(pool start-up, paid once: {pool_start:.2f}s for {args.workers} slots)")

    out = {
        "naive_per_s": results.get("naive", {}).get("per_s"),
        "hardened_per_s": results["hardened"]["per_s"],
        "vulnerable_per_s": results["vulnerable"]["per_s"],
        "ratio": results["hardened"]["per_s"] / results["naive"]["per_s"] if "naive" in results else None,
        "vulnerable_ratio": results["vulnerable"]["per_s"] / results["naive"]["per_s"] if "naive" in results else None,
        "submissions": len(items), "workers": args.workers, "cores": os.cpu_count(), "sandbox": args.sandbox,
        "pool_start_s": pool_start, "exploits": exploit_source, "paths": results,
    }
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
