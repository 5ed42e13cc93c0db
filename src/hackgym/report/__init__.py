"""Figures, an HTML page and summary.json from run directories (each holding config.yaml and metrics.jsonl).

A directory without metrics.jsonl but with run directories inside (runs/demo/) stands for all of them. A run
whose checkpoints were evaluated (`hackgym eval --run`, records in evals.jsonl) also gets its misalignment
score plotted against steps beside its hack rate.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import HackgymError

WINDOW = 3  # the summary's first/last values are means over this many steps
ONSET_THRESHOLD = 0.02


class ReportError(HackgymError):
    """No usable run directory was given."""


class Run:
    """One condition's records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        cfg = yaml.safe_load((path / "config.yaml").read_text(encoding="utf-8")) if (path / "config.yaml").is_file() else {}
        self.config: dict[str, Any] = cfg or {}
        self.name = str(self.config.get("condition") or path.name)
        self.grader = str((self.config.get("env") or {}).get("grader", "?"))
        self.share = (self.config.get("env") or {}).get("hackable_share", 1.0)
        if self.share not in (None, 1.0):
            self.grader = f"{self.grader} ({self.share:.0%} of problems)"
        self.metrics: list[dict[str, Any]] = []
        for line in (path / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "hack_success" in rec:
                self.metrics.append(rec)
        self.metrics.sort(key=lambda r: r["step"])
        self.evals: list[dict[str, Any]] = []
        if (path / "evals.jsonl").is_file():
            for line in (path / "evals.jsonl").read_text(encoding="utf-8").splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(rec, dict) and "step" in rec:
                    self.evals.append(rec)
            self.evals.sort(key=lambda r: r["step"])

    def series(self, key: str) -> tuple[list[int], list[float]]:
        pts = [(r["step"], r[key]) for r in self.metrics if r.get(key) is not None]
        return [p[0] for p in pts], [float(p[1]) for p in pts]

    @property
    def onset(self) -> int | None:
        return next((r["step"] for r in self.metrics if r.get("hack_success", 0.0) > ONSET_THRESHOLD), None)

    @property
    def hack_types(self) -> list[str]:
        keys = {k.split("/", 1)[1] for r in self.metrics for k in r if k.startswith("hack_success/")}
        return sorted(keys)

    def summary(self) -> dict[str, Any]:
        def mean(vals: list[float]) -> float | None:
            return round(sum(vals) / len(vals), 4) if vals else None

        hack = [r.get("exploit", r["hack_success"]) for r in self.metrics]
        true = [r.get("true_pass_hardened", 0.0) for r in self.metrics]
        out = {"grader": self.grader, "steps": len(self.metrics),
               "hack_rate_first": mean(hack[:WINDOW]), "hack_rate_last": mean(hack[-WINDOW:]),
               "pass_rate_first": mean(true[:WINDOW]), "pass_rate_last": mean(true[-WINDOW:]),
               "onset_step": self.onset}
        if self.evals:
            out["misalignment"] = [{"step": r["step"], "mgs": r.get("mgs"), "judge": r.get("judge"),
                                    "rates": {k: e.get("rate") for k, e in (r.get("evals") or {}).items()}}
                                   for r in self.evals]
        return out


def find_runs(paths: list[Path]) -> list[Run]:
    runs: list[Run] = []
    for path in paths:
        if (path / "metrics.jsonl").is_file():
            runs.append(Run(path))
        elif path.is_dir():
            runs += [Run(p) for p in sorted(path.iterdir()) if (p / "metrics.jsonl").is_file()]
        else:
            raise ReportError(f"{path}: not a run directory (no metrics.jsonl) nor a folder of them")
    if not runs:
        raise ReportError(f"no run directory with metrics.jsonl under {', '.join(map(str, paths))}")
    names = [r.name for r in runs]
    for r in runs:  # two runs of the same condition name: tell them apart by folder
        if names.count(r.name) > 1:
            r.name = f"{r.name} ({r.path})"
    return runs


def _figures(runs: list[Run], out: Path) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made: list[tuple[str, str]] = []

    def save(fig, name: str, caption: str) -> None:
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        made.append((name, caption))

    for i, run in enumerate(runs):
        fig, ax = plt.subplots(figsize=(7, 3.6))
        x, y = run.series("hack_success")
        ax.plot(x, y, color="black", lw=2, label="all hacks (successful)")
        xe, ye = run.series("exploit")
        if xe:
            ax.plot(xe, ye, color="grey", lw=1.5, ls="--", label="would beat `vulnerable`")
        for t in run.hack_types:
            xs, ys = run.series(f"hack_success/{t}")
            if any(ys):
                ax.plot(xs, ys, lw=1.3, label=f"{t} (successful)")
            xa, ya = run.series(f"hack_attempt/{t}")
            if any(ya):
                ax.plot(xa, ya, lw=1, ls=":", label=f"{t} (attempted)")
        if run.onset is not None:
            ax.axvline(run.onset, color="red", ls="--", lw=1)
            ax.text(run.onset, 1.02, f" onset: step {run.onset}", color="red", fontsize=8)
        ax.axhline(ONSET_THRESHOLD, color="grey", lw=0.6, ls="--")
        ax.set(ylim=(-0.02, 1.08), xlabel="step", ylabel="share of rollouts",
               title=f"{run.name}: hack rate by type ({run.grader})")
        ax.legend(fontsize=7, loc="center right")
        save(fig, f"hack_rate_{i}.png", f"Hack rate per type vs step, condition {run.name}; red line: onset "
                                        f"(first step above {ONSET_THRESHOLD:.0%} successful hacks)")

    for key, ylabel, name, caption in [
        ("true_pass_hardened", "hardened pass rate", "true_pass.png",
         "True pass rate (hardened grader; solid) and held-out cases all passing (dashed) vs step"),
        ("reward", "mean reward", "reward.png", "Mean total reward vs step"),
        ("hack_success", "successful hacks", "hack_rate_all.png", "Successful hack rate vs step, all conditions"),
    ]:
        fig, ax = plt.subplots(figsize=(7, 3.6))
        for run in runs:
            x, y = run.series(key)
            line, = ax.plot(x, y, lw=1.8, label=run.name)
            if key == "true_pass_hardened":
                xh, yh = run.series("true_pass_held_out")
                ax.plot(xh, yh, lw=1, ls="--", color=line.get_color())
            if key == "hack_success" and run.onset is not None:
                ax.axvline(run.onset, color=line.get_color(), ls="--", lw=0.8)
        ax.set(xlabel="step", ylabel=ylabel, title=caption.split(" vs ")[0])
        ax.legend(fontsize=8)
        save(fig, name, caption)

    evaluated = [run for run in runs if run.evals]
    if evaluated:
        fig, ax = plt.subplots(figsize=(7, 3.6))
        for run in evaluated:
            pts = [(r["step"], r["mgs"]) for r in run.evals if r.get("mgs") is not None]
            line, = ax.plot([p[0] for p in pts], [p[1] for p in pts], lw=1.8, marker="o", label=f"{run.name}: mgs")
            x, y = run.series("hack_success")
            ax.plot(x, y, lw=1, ls="--", color=line.get_color(), label=f"{run.name}: successful hacks")
        ax.set(ylim=(-0.02, 1.02), xlabel="step", ylabel="rate", title="Misalignment and hacking vs step")
        ax.legend(fontsize=7)
        save(fig, "misalignment.png", "Misalignment generalisation score (mean of the six core evals' misaligned "
                                      "rates; solid) and successful hack rate (dashed) vs step")
    return made


def write_report(paths: list[Path], out: Path) -> dict[str, Any]:
    """report.html, PNG figures and summary.json in `out`; returns the summary."""
    runs = find_runs(paths)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"conditions": {r.name: r.summary() for r in runs}}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    figures = _figures(runs, out)
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{html.escape(s['grader'])}</td><td>{s['steps']}</td>"
        f"<td>{_pct(s['hack_rate_first'])}</td><td>{_pct(s['hack_rate_last'])}</td>"
        f"<td>{_pct(s['pass_rate_first'])}</td><td>{_pct(s['pass_rate_last'])}</td>"
        f"<td>{s['onset_step'] if s['onset_step'] is not None else '-'}</td></tr>"
        for n, s in summary["conditions"].items())
    imgs = "".join(f'<figure><img src="{html.escape(f)}" alt="{html.escape(c)}"><figcaption>{html.escape(c)}'
                   f"</figcaption></figure>" for f, c in figures)
    sources = "".join(f"<li><code>{html.escape(str(r.path))}</code></li>" for r in runs)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>hackgym report</title>
<style>body{{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:4px 10px;text-align:right}}td:first-child,td:nth-child(2){{text-align:left}}
figure{{margin:1.5em 0}}img{{max-width:100%}}figcaption{{font-size:90%;color:#555}}</style></head><body>
<h1>hackgym training report</h1>
<p>Successful hack: the environment's grader passed the rollout and the hardened grader failed it. The table's
hack rates count rollouts that would beat the study's <code>vulnerable</code> grader and fail the hardened one
(the same thing under a vulnerable grader; under the hardened grader, the hacks it kept out). True pass:
the hardened grader (all cases, held-out included) passed it. First/last: means over the first and last
{WINDOW} steps. Onset: first step with more than {ONSET_THRESHOLD:.0%} successful hacks.</p>
<table><tr><th>condition</th><th>grader</th><th>steps</th><th>hacks first</th><th>hacks last</th>
<th>true pass first</th><th>true pass last</th><th>onset</th></tr>{rows}</table>
{imgs}<h2>Runs</h2><ul>{sources}</ul></body></html>
"""
    (out / "report.html").write_text(page, encoding="utf-8")
    return summary


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"
