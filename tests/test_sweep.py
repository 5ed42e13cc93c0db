"""hackgym sweep: the grid of cells, resuming after a kill without repeating a finished cell or losing a step,
and the same sweep on a local Ray instance."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from hackgym.rundir import RunDir
from hackgym.sweep import LOG, SweepError, plan, run_sweep, status

ROOT = Path(__file__).resolve().parents[1]


def sweep_file(tmp_path: Path, steps: int, seeds: str = "[0, 1, 2]", extra: str = "") -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(f"extends: {ROOT / 'configs' / 'demo-cpu.yaml'}\nsteps: {steps}\nsave_every: 1\n"
                    f"keep_checkpoints: 1\nsweep:\n  seeds: {seeds}\n{extra}")
    return path


def test_cells_cover_conditions_seeds_and_grid(tmp_path):
    path = sweep_file(tmp_path, 2, "[0, 1]", "  grid: {grpo.learning_rate: [1.0e-4, 3.0e-4]}\n"
                                             "  conditions: [hardened]\n")
    spec, cells = plan(path, tmp_path / "out")
    assert spec.seeds == [0, 1] and len(cells) == 4
    assert [c.name for c in cells] == ["hardened learning_rate=0.0001/seed-0", "hardened learning_rate=0.0001/seed-1",
                                       "hardened learning_rate=0.0003/seed-0", "hardened learning_rate=0.0003/seed-1"]
    assert {c.config["grpo"]["learning_rate"] for c in cells} == {1e-4, 3e-4}
    assert all(c.config["env"]["grader"] == "hardened" and c.config["seed"] == c.seed for c in cells)
    assert cells[3].run_dir == str(tmp_path / "out" / "hardened" / "learning_rate=0.0003" / "seed-1")
    assert {status(c) for c in cells} == {"new"}
    # the same file trains each condition once with `hackgym train`
    from hackgym.train.config import load_configs

    assert [c.condition for c in load_configs(path)] == ["vulnerable", "hardened"]


@pytest.mark.parametrize(("extra", "message"), [
    ("  conditions: [nope]\n", "unknown condition"),
    ("  grid: {grpo.learning_rate: [-1]}\n", "sweep cell vulnerable learning_rate=-1/seed-0"),
    ("  seeds: []\n", "seeds"),
    ("  parallel: 0\n", "parallel"),
])
def test_a_bad_sweep_is_named_before_anything_runs(tmp_path, extra, message):
    text = sweep_file(tmp_path, 2, "[0]").read_text()
    if extra.strip().startswith("seeds"):
        text = text.replace("  seeds: [0]\n", "")
    (tmp_path / "sweep.yaml").write_text(text + extra)
    with pytest.raises(SweepError, match=message):
        plan(tmp_path / "sweep.yaml", tmp_path / "out")


def _steps(run_dir: str) -> list[int]:
    return [int(r["step"]) for r in RunDir(run_dir).metrics()]


@pytest.mark.slow
@pytest.mark.jail
def test_killed_sweep_resumes_without_repeating_a_cell_or_losing_a_step(tmp_path):
    """2 conditions x 3 seeds of the organism: killed while a later cell trains, then run again."""
    path = sweep_file(tmp_path, steps=3)
    out = tmp_path / "out"
    _, cells = plan(path, out)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-c", "from hackgym.cli import main; main()", "sweep", str(path), "--out", str(out),
               "--cache", str(ROOT / ".cache")]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:  # the first cell done and the second one part way
            if status(cells[0]) == "done" and _steps(cells[1].run_dir):
                break
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.2)
        else:
            pytest.fail("the sweep made no progress in 10 minutes")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    first = (Path(cells[0].run_dir) / "metrics.jsonl").read_bytes()
    assert status(cells[1]) == "partial" and status(cells[-1]) == "new"

    results = run_sweep(path, out, ROOT / ".cache")
    actions = {r["cell"]: r["action"] for r in results}
    assert actions[cells[0].name] == "skipped" and actions[cells[1].name] == "resumed"
    assert [actions[c.name] for c in cells[2:]] == ["trained"] * 4
    assert (Path(cells[0].run_dir) / "metrics.jsonl").read_bytes() == first  # the finished cell untouched
    for cell in cells:  # every step of every cell written exactly once
        assert sorted(_steps(cell.run_dir)) == [1, 2, 3], cell.name
        rollouts = Counter(r["step"] for r in RunDir(cell.run_dir).rollouts())
        assert rollouts == {1: 32, 2: 32, 3: 32}, cell.name
    events = [json.loads(line) for line in (out / LOG).read_text().splitlines()]
    assert [e["event"] for e in events].count("start") == 2  # both invocations logged, nothing rewritten
    seen: list[str] = []  # the chained evaluation runs for every cell, done before or now
    assert run_sweep(path, out, ROOT / ".cache", after_cell=lambda c: seen.append(c.name)) == [
        {"cell": c.name, "action": "skipped"} for c in cells]
    assert seen == [c.name for c in cells]


@pytest.mark.slow
@pytest.mark.jail
@pytest.mark.needs("ray", "pip install 'hackgym[ray]'; a dev dependency, so CI=true fails without it")
def test_the_same_sweep_on_a_local_ray_instance(tmp_path):
    path = sweep_file(tmp_path, steps=1, seeds="[0]", extra="  cpus_per_cell: 1\n")
    results = run_sweep(path, tmp_path / "out", ROOT / ".cache", ray_address="local")
    assert sorted(r["cell"] for r in results) == ["hardened/seed-0", "vulnerable/seed-0"]
    assert {r["action"] for r in results} == {"trained"}
    for cell in plan(path, tmp_path / "out")[1]:
        assert status(cell) == "done" and _steps(cell.run_dir) == [1]


def test_the_study_files_are_sweeps_over_three_seeds(tmp_path):
    from hackgym.train.config import load_configs

    study = [f for f in sorted((ROOT / "configs" / "study").glob("*.yaml")) if not f.name.startswith("sft-")]
    assert len(study) == 11
    for path in study:
        spec, cells = plan(path, tmp_path)
        assert spec.seeds == [0, 1, 2] and spec.gpus_per_cell == 1, path.name
        assert len(cells) == 3 * len(load_configs(path)), path.name
    _, organism = plan(ROOT / "configs" / "organism-sweep.yaml", tmp_path)
    assert [c.name for c in organism] == [f"{c}/seed-{s}" for c in ("vulnerable", "hardened") for s in (0, 1, 2)]
