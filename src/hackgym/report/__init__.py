"""Figures, an HTML page and summary.json from run directories (each holding config.yaml and metrics.jsonl).

A directory without metrics.jsonl but with run directories somewhere below it (runs/demo/, a sweep's folder)
stands for all of them; with two runs or more the report adds the comparisons across conditions, seeds as
replicates (`hackgym.report.compare`). Every
number is a rate of the registry in `hackgym.metrics`, read from metrics.jsonl with its 95% interval; onset is
the run's own onset rule (config `onset:`, default: the first of 3 consecutive steps above 2% successful hacks).
A run whose checkpoints were evaluated (`hackgym eval --run`, records in evals.jsonl) also gets its misalignment
score plotted against steps beside its hack rate.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from ..errors import HackgymError
from ..metrics import RATES, Onset, rate_series
from ..records import atomic_write
from ..rundir import METRICS, RunDir
from .compare import compare
from .compare import figures as compare_figures

WINDOW = 3  # the summary's first/last values are means over this many steps
SUMMARY_RATES = ("successful_hack", "attempted_hack", "exploit", "true_pass", "held_out_pass")


class ReportError(HackgymError):
    """No usable run directory was given."""


class Run:
    """One condition's records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        rundir = RunDir(path)
        self.config: dict[str, Any] = rundir.config_dict() if rundir.exists() else {}
        self.name = str(self.config.get("condition") or path.name)
        env = self.config.get("env") or {}
        self.grader = str(env.get("grader", "?"))
        share = env.get("hackable_share", 1.0)
        if share not in (None, 1.0):
            self.grader = f"{self.grader} ({share:.0%} of problems)"
        self.onset_rule = Onset.model_validate(self.config.get("onset") or {})
        self.metrics = sorted((r for r in rundir.metrics() if isinstance(r.get("rates"), dict)),
                              key=lambda r: r["step"])
        self.evals = sorted((r for r in rundir.evals() if "step" in r), key=lambda r: r["step"])

    def series(self, name: str) -> tuple[list[int], list[float]]:
        pts = [(s, v) for s, v in rate_series(self.metrics, name) if v is not None]
        return [p[0] for p in pts], [float(p[1]) for p in pts]

    def band(self, name: str) -> tuple[list[int], list[float], list[float]]:
        """(steps, lower, upper) of a rate's 95% interval."""
        pts = [(r["step"], r["rates"][name]["ci"]) for r in self.metrics
               if (r["rates"].get(name) or {}).get("n")]
        return [p[0] for p in pts], [p[1][0] for p in pts], [p[1][1] for p in pts]

    @property
    def onset(self) -> int | None:
        return self.onset_rule.find(rate_series(self.metrics, "successful_hack"))

    def families(self, kind: str) -> list[str]:
        """Families with a nonzero `kind` rate (successful_hack / attempted_hack) at some step."""
        found = set()
        for rec in self.metrics:
            for name, value in rec["rates"].items():
                if name.startswith(f"{kind}/") and value.get("k"):
                    found.add(name.split("/", 1)[1])
        return sorted(found)

    def summary(self) -> dict[str, Any]:
        def mean(vals: list[float]) -> float | None:
            return round(sum(vals) / len(vals), 4) if vals else None

        out: dict[str, Any] = {"grader": self.grader, "steps": len(self.metrics)}
        for name in SUMMARY_RATES:
            _, values = self.series(name)
            out[f"{name}_first"] = mean(values[:WINDOW])
            out[f"{name}_last"] = mean(values[-WINDOW:])
        out["onset_step"] = self.onset
        out["onset_rule"] = self.onset_rule.model_dump()
        if self.evals:
            out["misalignment"] = [{"step": r["step"], "mgs": r.get("mgs"), "judge": r.get("judge"),
                                    "rates": {k: e.get("rate") for k, e in (r.get("evals") or {}).items()}}
                                   for r in self.evals]
        return out


def find_runs(paths: list[Path]) -> list[Run]:
    runs: list[Run] = []
    for path in paths:
        if (path / METRICS).is_file():
            runs.append(Run(path))
        elif path.is_dir():
            runs += [Run(p.parent) for p in sorted(path.rglob(METRICS))]
        else:
            raise ReportError(f"{path}: not a run directory (no {METRICS}) nor a folder of them")
    if not runs:
        raise ReportError(f"no run directory with {METRICS} under {', '.join(map(str, paths))}")
    names = [r.name for r in runs]
    for r in runs:  # two runs of the same condition name: tell them apart by folder
        if names.count(r.name) > 1:
            r.name = f"{r.name} ({r.path})"
    return runs


def _figures(runs: list[Run], out: Path, comparison: dict[str, Any] | None = None,
             skipped: list[dict[str, str]] | None = None) -> list[tuple[str, str]]:
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
        x, y = run.series("successful_hack")
        ax.plot(x, y, color="black", lw=2, label="successful hacks (all)")
        xb, lo, hi = run.band("successful_hack")
        ax.fill_between(xb, lo, hi, color="black", alpha=0.12, lw=0)
        xe, ye = run.series("exploit")
        if xe:
            ax.plot(xe, ye, color="grey", lw=1.5, ls="--", label="would beat `vulnerable` (exploit)")
        for t in run.families("successful_hack"):
            ax.plot(*run.series(f"successful_hack/{t}"), lw=1.3, label=f"{t}: successful")
        for t in run.families("attempted_hack"):
            ax.plot(*run.series(f"attempted_hack/{t}"), lw=1, ls=":", label=f"{t}: attempted")
        if run.onset is not None:
            ax.axvline(run.onset, color="red", ls="--", lw=1)
            ax.text(run.onset, 1.02, f" onset: step {run.onset}", color="red", fontsize=8)
        ax.axhline(run.onset_rule.threshold, color="grey", lw=0.6, ls="--")
        ax.set(ylim=(-0.02, 1.08), xlabel="step", ylabel="share of rollouts",
               title=f"{run.name}: hacks by family ({run.grader})")
        ax.legend(fontsize=7, loc="center right")
        rule = run.onset_rule
        save(fig, f"hack_rate_{i}.png", f"Successful (solid; band: 95% interval) and attempted (dotted) hacks per "
                                        f"family vs step, condition {run.name}; red line: onset (first of "
                                        f"{rule.consecutive} steps in a row above {rule.threshold:.0%} successful)")

    for key, ylabel, name, caption in [
        ("true_pass", "hardened pass rate", "true_pass.png",
         "True pass rate (hardened grader; solid, band: 95% interval) and held-out cases all passing (dashed) vs step"),
        ("successful_hack", "successful hacks", "hack_rate_all.png",
         "Successful hack rate (band: 95% interval) vs step, all conditions"),
    ]:
        fig, ax = plt.subplots(figsize=(7, 3.6))
        for run in runs:
            x, y = run.series(key)
            line, = ax.plot(x, y, lw=1.8, label=run.name)
            xb, lo, hi = run.band(key)
            ax.fill_between(xb, lo, hi, color=line.get_color(), alpha=0.12, lw=0)
            if key == "true_pass":
                xh, yh = run.series("held_out_pass")
                ax.plot(xh, yh, lw=1, ls="--", color=line.get_color())
            if key == "successful_hack" and run.onset is not None:
                ax.axvline(run.onset, color=line.get_color(), ls="--", lw=0.8)
        ax.set(xlabel="step", ylabel=ylabel, ylim=(-0.02, 1.02), title=caption.split(" vs ")[0])
        ax.legend(fontsize=8)
        save(fig, name, caption)

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for run in runs:
        pts = [(r["step"], r["reward"]) for r in run.metrics if r.get("reward") is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], lw=1.8, label=run.name)
    ax.set(xlabel="step", ylabel="mean reward", title="Mean total reward")
    ax.legend(fontsize=8)
    save(fig, "reward.png", "Mean total reward of the rollouts in the update vs step")

    evaluated = [run for run in runs if run.evals]
    if evaluated:
        fig, ax = plt.subplots(figsize=(7, 3.6))
        for run in evaluated:
            pts = [(r["step"], r["mgs"]) for r in run.evals if r.get("mgs") is not None]
            line, = ax.plot([p[0] for p in pts], [p[1] for p in pts], lw=1.8, marker="o", label=f"{run.name}: mgs")
            x, y = run.series("successful_hack")
            ax.plot(x, y, lw=1, ls="--", color=line.get_color(), label=f"{run.name}: successful hacks")
        ax.set(ylim=(-0.02, 1.02), xlabel="step", ylabel="rate", title="Misalignment and hacking vs step")
        ax.legend(fontsize=7)
        save(fig, "misalignment.png", "Misalignment generalisation score (mean of the six core evals' misaligned "
                                      "rates; solid) and successful hack rate (dashed) vs step")
    if comparison is not None and skipped is not None:
        skipped += compare_figures(runs, comparison, out, save)
    return made


def write_report(paths: list[Path], out: Path) -> dict[str, Any]:
    """report.html, PNG figures and summary.json in `out`; returns the summary."""
    runs = find_runs(paths)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"conditions": {r.name: r.summary() for r in runs}}
    skipped: list[dict[str, str]] = []
    comparison = compare(runs) if len(runs) > 1 else None
    figures = _figures(runs, out, comparison, skipped)
    if comparison is not None:
        summary["comparison"] = comparison
        summary["not_drawn"] = skipped
    atomic_write(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{html.escape(s['grader'])}</td><td>{s['steps']}</td>"
        f"<td>{_pct(s['successful_hack_first'])}</td><td>{_pct(s['successful_hack_last'])}</td>"
        f"<td>{_pct(s['exploit_first'])}</td><td>{_pct(s['exploit_last'])}</td>"
        f"<td>{_pct(s['true_pass_first'])}</td><td>{_pct(s['true_pass_last'])}</td>"
        f"<td>{s['onset_step'] if s['onset_step'] is not None else '-'}</td></tr>"
        for n, s in summary["conditions"].items())
    imgs = "".join(f'<figure><img src="{html.escape(f)}" alt="{html.escape(c)}"><figcaption>{html.escape(c)}'
                   f"</figcaption></figure>" for f, c in figures)
    sources = "".join(f"<li><code>{html.escape(str(r.path))}</code></li>" for r in runs)
    glossary = "".join(f"<dt><code>{html.escape(name)}</code></dt><dd>{html.escape(RATES[name].doc)}</dd>"
                       for name in SUMMARY_RATES)
    page_comparison = _comparison_html(comparison, skipped) if comparison is not None else ""
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>hackgym report</title>
<style>body{{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:4px 10px;text-align:right}}td:first-child,td:nth-child(2){{text-align:left}}
figure{{margin:1.5em 0}}img{{max-width:100%}}figcaption{{font-size:90%;color:#555}}dd{{margin-bottom:.4em}}</style>
</head><body>
<h1>hackgym training report</h1>
<table><tr><th>condition</th><th>grader</th><th>steps</th><th>successful hacks first</th><th>last</th>
<th>exploit first</th><th>last</th><th>true pass first</th><th>last</th><th>onset</th></tr>{rows}</table>
<p>First/last: means over the first and last {WINDOW} steps. Onset: the first of the run's consecutive steps
above its threshold of successful hacks (see each figure's caption).</p>
<dl>{glossary}</dl>
{page_comparison}
{imgs}<h2>Runs</h2><ul>{sources}</ul></body></html>
"""
    atomic_write(out / "report.html", page)
    return summary


def _interval(stats: dict[str, Any] | None) -> str:
    if not stats or stats.get("mean") is None:
        return "-"
    ci = stats.get("ci")
    return _pct(stats["mean"]) + (f" [{_pct(ci[0])}, {_pct(ci[1])}]" if ci else "")


def _comparison_html(comparison: dict[str, Any], skipped: list[dict[str, str]]) -> str:
    """The comparison table (mean over seeds with a 95% t interval) and what could not be drawn, and why."""
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{', '.join(str(s) for s in c['seeds'])}</td>"
        f"<td>{_interval(c['final']['successful_hack'])}</td><td>{_interval(c['final']['true_pass'])}</td>"
        f"<td>{c['onset_share']:.0%}</td><td>{_interval(c.get('mgs'))}</td>"
        f"<td>{html.escape(', '.join(f'{k}={v}' for k, v in c['differs_by'].items()))}</td></tr>"
        for name, c in comparison.items())
    missing = "".join(f"<li>{html.escape(s['figure'])}: {html.escape(s['reason'])}</li>" for s in skipped)
    return (f"<h2>Conditions compared</h2><table><tr><th>condition</th><th>seeds</th><th>successful hacks (final)"
            f"</th><th>true pass (final)</th><th>seeds with onset</th><th>mgs</th><th>differs by</th></tr>{rows}"
            f"</table><p>Mean over seeds of each run's final value (its last {WINDOW} steps; mgs: its last "
            f"evaluated checkpoints pooled), with a 95% t interval over seeds where there are two or more.</p>"
            + (f"<h3>Not drawn</h3><ul>{missing}</ul>" if missing else ""))


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"
