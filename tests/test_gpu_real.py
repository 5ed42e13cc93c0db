"""scripts/gpu_real.sh rehearsed on a CPU: carry bins under the size limit, staging, installing only what the
host lacks, and both conditions of the GPU config run at once with a tiny model and the process sandbox."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gpu_real.sh"


def _load_script():
    spec = importlib.util.spec_from_file_location("gpu_real", ROOT / "scripts" / "gpu_real.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wheel(folder: Path, name: str, version: str = "1.0", payload: int = 0) -> Path:
    """A real, installable pure-Python wheel; `payload` bytes of incompressible padding set its size."""
    files = {f"{name}/__init__.py": f"VALUE = {name!r}\n".encode(),
             f"{name}/pad.bin": os.urandom(payload),
             f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{name}-{version}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                                  b"Tag: py3-none-any\n"}
    record = [f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
              f"{len(data)}" for path, data in files.items()]
    files[f"{name}-{version}.dist-info/RECORD"] = ("\n".join([*record, f"{name}-{version}.dist-info/RECORD,,"])
                                                   + "\n").encode()
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for inner, data in files.items():
            zf.writestr(inner, data)
    return path


def _script(*args: str, stage: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, GPU_REAL_STAGE=str(stage), PY=sys.executable)
    res = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=900)
    if check:
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res


def test_bins_keep_model_parts_apart_fill_them_and_send_likely_shipped_wheels_last(tmp_path):
    gpu_real = _load_script()
    unit = 1 << 16  # 64 KiB stands for a MiB: the same packing, smaller files
    sizes = {"modelpart1": 50, "modelpart2": 50, "trl": 8, "datasets": 4, "dill": 1, "pyarrow": 40, "scipy": 30}
    wheels = [_wheel(tmp_path, name, payload=size * unit) for name, size in sizes.items()]
    bins = gpu_real.pack_bins(wheels, {"modelpart1", "modelpart2"}, 60 * unit)
    names = [sorted(gpu_real.wheel_dist(w) for w in b) for b in bins]
    assert names[:2] == [["dill", "modelpart1", "trl"], ["datasets", "modelpart2"]]  # parts topped up
    assert names[2:] == [["pyarrow"], ["scipy"]]  # what an image likely ships goes last, alone
    assert all(sum(w.stat().st_size for w in b) <= 60 * unit for b in bins)
    with pytest.raises(SystemExit, match="larger than a bin"):
        gpu_real.pack_bins(wheels, set(), 45 * unit)


def test_pack_stage_probe_and_setup_install_only_what_the_host_lacks(tmp_path):
    wheels, stage, carry = tmp_path / "wheels", tmp_path / "stage", tmp_path / "carry"
    wheels.mkdir()
    _wheel(wheels, "hgprobe_a", payload=700_000)
    _wheel(wheels, "hgprobe_b", payload=700_000)
    packed = _script("pack", "--dest", str(carry), "--wheels-from", str(wheels), "--need", "hgprobe_a==1.0",
                     "hgprobe_b==1.0", "--model-package", "none", "--max-mib", "1", stage=stage)
    assert "2 wheels in 2 bins" in packed.stdout and "bash scripts/gpu_real.sh stage" in packed.stdout
    plan = json.loads((carry / "plan.json").read_text())
    assert [b["dists"] for b in plan["bins"]] == [["hgprobe-a"], ["hgprobe-b"]]

    _script("stage", str(carry / "bin-01"), stage=stage)
    probe = _script("probe", stage=stage)
    assert "bins still needed: bin-02" in probe.stdout  # bin-01 is staged: only the other is asked for
    missing = _script("setup", "--imports", "hgprobe_a", "hgprobe_b", "--model", "", stage=stage, check=False)
    assert missing.returncode != 0 and "cannot import hgprobe_b" in missing.stderr
    _script("stage", str(carry / "bin-02"), stage=stage)
    assert "bins still needed: none" in _script("probe", stage=stage).stdout
    done = _script("setup", "--imports", "hgprobe_a", "hgprobe_b", "--model", "", stage=stage)
    assert "installed 1 of 2 staged wheels" in done.stdout  # hgprobe_a went in on the failed try
    assert (stage / "site" / "hgprobe_b" / "__init__.py").is_file()
    assert "installed 0 of 2" in _script("setup", "--imports", "hgprobe_b", "--model", "", stage=stage).stdout
    assert "is not a folder" in _script("stage", str(tmp_path / "nowhere"), stage=stage, check=False).stderr


@pytest.mark.slow
def test_run_trains_every_condition_of_the_gpu_config_at_once_and_summarises(tmp_path):
    """The GPU config itself, with a tiny model on the CPU: both conditions, the process sandbox, the report."""
    from hackgym.train.tiny import build_tiny_model

    model = build_tiny_model("llama", tmp_path / "tiny")
    out = tmp_path / "out"
    res = _script("run", "configs/gemma-270m-gpu.yaml", "--model", str(model), "--device", "cpu", "--steps", "1",
                  "--prompts", "2", "--generations", "2", "--tokens", "8", "--minutes", "10", "--out", str(out),
                  "--cache", str(tmp_path / "cache"), stage=tmp_path / "stage")
    assert res.stdout.count("with --sandbox process") == 2
    for condition, grader in (("vulnerable", "vulnerable"), ("hardened", "hardened")):
        run = out / "runs" / condition
        (metrics,) = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        assert metrics["env_grader"] == grader and metrics["rollouts"] == 4
        info = json.loads((run / "gpu_real.json").read_text())
        assert info["device"] == "cpu" and info["sandbox"] == "process" and info["steps"] == 1
        assert info["step_s_median"] > 0 and info["peak_rss_gib"] > 0
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["conditions"]) == 2 and "comparison" in summary
