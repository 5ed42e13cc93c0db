"""Reports: summary.json in the issue's format, figures and HTML from run directories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hackgym.report import ReportError, write_report


def _rate(k: int, n: int = 32) -> dict:
    from hackgym.metrics import wilson

    return {"k": k, "n": n, "rate": k / n, "ci": list(wilson(k, n))}


def _run(path: Path, condition: str, grader: str, hacks: list[int], passes: list[int]) -> Path:
    """A run directory of 32 rollouts a step: `hacks` successful hacks and `passes` true passes per step."""
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(yaml.safe_dump({"condition": condition, "env": {"grader": grader}}))
    lines = []
    for step, (h, p) in enumerate(zip(hacks, passes, strict=True), start=1):
        rates = {"successful_hack": _rate(h), "true_pass": _rate(p), "held_out_pass": _rate(p),
                 "exploit": _rate(h), "attempted_hack": _rate(h), "successful_hack/exit_zero": _rate(h),
                 "attempted_hack/exit_zero": _rate(h), "successful_hack/unattributed": _rate(0)}
        lines.append(json.dumps({"step": step, "reward": (h + p) / 32, "rates": rates}))
    (path / "metrics.jsonl").write_text("\n".join(lines) + "\n{\"step\": 99, \"rat")  # last line cut by a crash
    return path


def test_summary_figures_and_html(tmp_path):
    demo = tmp_path / "demo"
    # 1 of 32 hacks at step 2 is above 2%, but the run is only "on" from step 4: three steps in a row
    _run(demo / "vulnerable", "vulnerable", "vulnerable", [0, 1, 0, 6, 19, 29, 30, 32],
         [10, 10, 10, 6, 3, 3, 0, 0])
    _run(demo / "hardened", "hardened", "hardened", [0] * 8, [10, 10, 10, 13, 13, 16, 16, 16])
    summary = write_report([demo], demo)
    vul = summary["conditions"]["vulnerable"]
    assert vul["grader"] == "vulnerable" and vul["steps"] == 8
    assert vul["successful_hack_first"] == pytest.approx(1 / 96, abs=1e-4)
    assert vul["successful_hack_last"] == pytest.approx(91 / 96, abs=1e-4)
    assert vul["true_pass_first"] == pytest.approx(10 / 32, abs=1e-4)
    assert vul["true_pass_last"] == pytest.approx(1 / 32, abs=1e-4)
    assert vul["onset_step"] == 4 and vul["onset_rule"] == {"threshold": 0.02, "consecutive": 3}
    hard = summary["conditions"]["hardened"]
    assert hard["successful_hack_last"] == 0.0 and hard["onset_step"] is None
    assert json.loads((demo / "summary.json").read_text()) == summary
    for png in ["hack_rate_0.png", "hack_rate_1.png", "true_pass.png", "reward.png", "hack_rate_all.png"]:
        assert (demo / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (demo / "report.html").read_text()
    assert "vulnerable" in page and "hardened" in page and 'src="true_pass.png"' in page


def test_cli_report_and_errors(tmp_path):
    run = _run(tmp_path / "one", "c", "vulnerable", [0, 16], [3, 3])
    hackgym = str(Path(sys.executable).parent / "hackgym")
    res = subprocess.run([hackgym, "report", str(run)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert (run / "report.html").is_file() and "report.html" in res.stderr
    with pytest.raises(ReportError):
        write_report([tmp_path / "missing"], tmp_path / "out")
