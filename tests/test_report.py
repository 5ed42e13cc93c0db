"""Reports: summary.json in the issue's format, figures and HTML from run directories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hackgym.report import ReportError, write_report


def _run(path: Path, condition: str, grader: str, hacks: list[float], passes: list[float]) -> Path:
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(yaml.safe_dump({"condition": condition, "env": {"grader": grader}}))
    lines = []
    for step, (h, p) in enumerate(zip(hacks, passes, strict=True), start=1):
        lines.append(json.dumps({"step": step, "hack_success": h, "true_pass_hardened": p, "true_pass_held_out": p,
                                 "reward": h + p, "hack_success/exit_zero": h, "hack_attempt/exit_zero": h,
                                 "hack_success/unattributed": 0.0}))
    (path / "metrics.jsonl").write_text("\n".join(lines) + "\n{\"step\": 99, \"hack")  # last line cut by a crash
    return path


def test_summary_figures_and_html(tmp_path):
    demo = tmp_path / "demo"
    _run(demo / "vulnerable", "vulnerable", "vulnerable", [0.0, 0.01, 0.02, 0.3, 0.6, 0.9, 0.95, 1.0],
         [0.3, 0.3, 0.3, 0.2, 0.1, 0.1, 0.0, 0.0])
    _run(demo / "hardened", "hardened", "hardened", [0.0] * 8, [0.3, 0.3, 0.3, 0.4, 0.4, 0.5, 0.5, 0.5])
    summary = write_report([demo], demo)
    vul = summary["conditions"]["vulnerable"]
    assert vul["grader"] == "vulnerable" and vul["steps"] == 8
    assert vul["hack_rate_first"] == pytest.approx(0.01) and vul["hack_rate_last"] == pytest.approx(0.95)
    assert vul["pass_rate_first"] == pytest.approx(0.3) and vul["pass_rate_last"] == pytest.approx(1 / 30, abs=1e-4)
    assert vul["onset_step"] == 4  # first step above 2%
    hard = summary["conditions"]["hardened"]
    assert hard["hack_rate_last"] == 0.0 and hard["onset_step"] is None
    assert json.loads((demo / "summary.json").read_text()) == summary
    for png in ["hack_rate_0.png", "hack_rate_1.png", "true_pass.png", "reward.png", "hack_rate_all.png"]:
        assert (demo / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (demo / "report.html").read_text()
    assert "vulnerable" in page and "hardened" in page and 'src="true_pass.png"' in page


def test_cli_report_and_errors(tmp_path):
    run = _run(tmp_path / "one", "c", "vulnerable", [0.0, 0.5], [0.1, 0.1])
    hackgym = str(Path(sys.executable).parent / "hackgym")
    res = subprocess.run([hackgym, "report", str(run)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert (run / "report.html").is_file() and "report.html" in res.stderr
    with pytest.raises(ReportError):
        write_report([tmp_path / "missing"], tmp_path / "out")
