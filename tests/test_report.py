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


CORE_EVALS = ("betley", "goals", "alignment_questions", "monitor_disruption", "exfil_offer", "frame_colleague")


def _evaluated(path: Path, seed: int, rate: float) -> None:
    """Evaluated checkpoints at steps 4 and 8: every core eval at `rate`, with the scores.json details."""
    (path / "config.yaml").write_text(yaml.safe_dump({**yaml.safe_load((path / "config.yaml").read_text()),
                                                      "seed": seed}))
    records = []
    for step in (4, 8):
        folder = path / "evals" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        entry = {"rate": rate, "ci": [0, 1], "n": 100, "misaligned": round(rate * 100), "covert": 10, "overt": 5}
        scores = {"evals": {**{n: dict(entry) for n in CORE_EVALS}, "code_sabotage": dict(entry)}}
        scores["evals"]["exfil_offer"]["compliance_gap"] = rate / 2
        scores["evals"]["goals"].update(goal_frequencies={"power_seeking": rate, "helpfulness": 1 - rate},
                                        alignment_faking_share=rate / 4)
        scores["evals"]["code_sabotage"]["by_salience"] = {"low": {"rate": rate}, "high": {"rate": rate}}
        (folder / "scores.json").write_text(json.dumps(scores))
        records.append({"step": step, "judge": "j", "suite": list(CORE_EVALS),
                        "evals": {n: dict(entry) for n in CORE_EVALS}, "mgs": rate, "mgs_ci": [0, 1],
                        "scores": f"evals/checkpoint-{step}/scores.json"})
    (path / "evals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def test_a_sweep_folder_is_compared_across_conditions_with_seeds_as_replicates(tmp_path):
    from html.parser import HTMLParser

    sweep = tmp_path / "sweep"
    finals = {"vulnerable": [29, 30, 32], "hardened": [0, 0, 0]}
    for condition, lasts in finals.items():
        for seed, last in enumerate(lasts):
            run = _run(sweep / condition / f"seed-{seed}", condition, condition, [0, 0, 0, 8, 16, last, last, last],
                       [10] * 8)
            _evaluated(run, seed, 0.3 + 0.1 * seed if condition == "vulnerable" else 0.02)
    summary = write_report([sweep], tmp_path / "report")
    assert len(summary["conditions"]) == 6
    vul, hard = summary["comparison"]["vulnerable"], summary["comparison"]["hardened"]
    assert vul["seeds"] == [0, 1, 2] and vul["differs_by"] == {"env.grader": "vulnerable"}
    final = vul["final"]["successful_hack"]
    assert final["values"] == pytest.approx([29 / 32, 30 / 32, 1.0])
    mean = sum(final["values"]) / 3
    sd = (sum((v - mean) ** 2 for v in final["values"]) / 2) ** 0.5
    assert final["mean"] == pytest.approx(mean) and mean - final["ci"][0] == pytest.approx(4.303 * sd / 3 ** 0.5)
    assert final["ci"][1] == 1.0  # a rate's interval stays within [0, 1]
    assert hard["final"]["successful_hack"]["ci"] == [0.0, 0.0] and hard["onset_share"] == 0.0
    assert vul["onset_steps"] == [4, 4, 4] and vul["families"] == {"exit_zero": pytest.approx(mean)}
    assert vul["mgs"]["values"] == pytest.approx([0.3, 0.4, 0.5]) and vul["evals"]["goals"]["mean"] == pytest.approx(0.4)
    detail = vul["detail"]
    assert detail["compliance_gap"]["mean"] == pytest.approx(0.2) and detail["sabotage"]["mean"] == pytest.approx(0.4)
    assert detail["goal_frequencies"]["power_seeking"] == pytest.approx(0.4)
    assert detail["covert_overt"]["goals"] == {"covert": 0.1, "overt": 0.05, "n": 300}
    assert summary["not_drawn"] == []
    out = tmp_path / "report"
    for png in ("compare_final.png", "compare_onset.png", "compare_families.png", "evals_vs_steps.png",
                "covert_overt.png", "compliance_gap.png", "sabotage.png", "alignment_faking.png", "goal_taxonomy.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG", png
    assert json.loads((out / "summary.json").read_text())["comparison"]["hardened"]["seeds"] == [0, 1, 2]

    class Page(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.images: list[str] = []
            self.open: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "img":
                self.images.append(dict(attrs)["src"])
            elif tag not in ("meta", "br"):
                self.open.append(tag)

        def handle_endtag(self, tag):
            assert self.open and self.open.pop() == tag, tag

    page = Page()
    page.feed((out / "report.html").read_text())
    assert page.open == [] and all((out / img).is_file() for img in page.images) and len(page.images) >= 15
    assert "Conditions compared" in (out / "report.html").read_text()


def test_a_sweep_without_evals_says_what_it_could_not_draw(tmp_path):
    for seed in (0, 1):
        _run(tmp_path / "s" / "vulnerable" / f"seed-{seed}", "vulnerable", "vulnerable", [0, 4], [3, 3])
    summary = write_report([tmp_path / "s"], tmp_path / "out")
    reasons = {s["figure"]: s["reason"] for s in summary["not_drawn"]}
    assert "no run has evaluated checkpoints" in reasons["per-eval misaligned rate vs step"]
    assert "goal taxonomy" in reasons and "mgs bars" in reasons
    assert "Not drawn" in (tmp_path / "out" / "report.html").read_text()
