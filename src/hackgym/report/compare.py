"""Across runs: the study's comparisons, with seeds as replicates.

Runs are grouped by condition (a sweep's cells of one condition and grid point share it; their seeds differ).
Per group: each run's final value of a rate (the mean of its last WINDOW steps), then the mean over seeds with a
95% t interval; onset per seed; the hack families at the end; and, where checkpoints were evaluated, each eval
over the run's last checkpoints (pooled, as `hackgym eval --run` reports them) and the misalignment score. The
figures draw exactly these numbers, and a figure the data cannot support is listed with the reason instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

WINDOW = 3
LAST_K = 5
FINAL_RATES = ("successful_hack", "attempted_hack", "true_pass", "exploit")
# 97.5% quantiles of Student's t for 1..30 degrees of freedom; beyond, the normal 1.96
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
         2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def mean_ci(values: Sequence[float | None], bounds: tuple[float, float] = (0.0, 1.0)) -> dict[str, Any]:
    """Mean over seeds with a 95% t interval clipped to the quantity's `bounds` (a rate's [0, 1] by default;
    None with fewer than two values), and the values themselves."""
    vals = [float(v) for v in values if v is not None]
    n = len(vals)
    if not n:
        return {"mean": None, "ci": None, "n": 0, "values": []}
    mean = sum(vals) / n
    if n < 2:
        return {"mean": mean, "ci": None, "n": 1, "values": vals}
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1))
    half = (_T975[n - 2] if n - 1 <= len(_T975) else 1.96) * sd / math.sqrt(n)
    return {"mean": mean, "ci": [max(bounds[0], mean - half), min(bounds[1], mean + half)], "n": n, "values": vals}


def final_rate(run: Any, name: str, window: int = WINDOW) -> float | None:
    _, values = run.series(name)
    return sum(values[-window:]) / len(values[-window:]) if values else None


def group_runs(runs: Sequence[Any]) -> dict[str, list[Any]]:
    """Runs by condition label, in the order first seen."""
    groups: dict[str, list[Any]] = {}
    for run in runs:
        key = str(run.config.get("condition") or run.config.get("name") or run.path.name)
        groups.setdefault(key, []).append(run)
    return groups


def _flat(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def differences(groups: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """Per group, the config keys whose values differ between groups (seed and condition aside): what each
    comparison varies (addendum, corpus, hackable share, penalty, safety share, ...)."""
    flats = {g: _flat(runs[0].config) for g, runs in groups.items()}
    keys = set().union(*flats.values()) - {"seed", "condition", "name"} if flats else set()
    varying = sorted(k for k in keys if len({json.dumps(f.get(k), sort_keys=True) for f in flats.values()}) > 1)
    return {g: {k: f.get(k) for k in varying} for g, f in flats.items()}


def _last_evals(run: Any, k: int) -> dict[str, Any] | None:
    if not run.evals:
        return None
    from ..evals.suite import last_checkpoints

    return last_checkpoints(run.path, k)


def _last_scores(run: Any) -> dict[str, Any] | None:
    """The newest evaluated checkpoint's scores.json (eval-specific aggregates live there)."""
    for record in reversed(run.evals):
        path = run.path / str(record.get("scores", ""))
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return None


def compare(runs: Sequence[Any], k: int = LAST_K) -> dict[str, Any]:
    """summary.json's `comparison`: per condition, seeds, final rates, onsets, families and evals."""
    groups = group_runs(runs)
    out: dict[str, Any] = {}
    for name, members in groups.items():
        entry: dict[str, Any] = {
            "seeds": [r.config.get("seed") for r in members],
            "runs": [str(r.path) for r in members],
            "final": {rate: mean_ci([final_rate(r, rate) for r in members]) for rate in FINAL_RATES},
            "onset_steps": [r.onset for r in members],
            "onset_share": sum(r.onset is not None for r in members) / len(members),
        }
        families = sorted({f for r in members for f in r.families("successful_hack")})
        entry["families"] = {f: mean_ci([final_rate(r, f"successful_hack/{f}") or 0.0 for r in members])["mean"]
                             for f in families}
        evals = [e for e in (_last_evals(r, k) for r in members) if e is not None]
        if evals:
            names = list(dict.fromkeys(n for e in evals for n in e["evals"]))
            entry["evals"] = {n: mean_ci([e["evals"].get(n, {}).get("rate") for e in evals]) for n in names}
            entry["mgs"] = mean_ci([e["mgs"] for e in evals])
            scores = [s for s in (_last_scores(r) for r in members) if s is not None]
            entry["detail"] = _details(scores)
        out[name] = entry
    varying = differences(groups)
    for name in out:
        out[name]["differs_by"] = varying[name]
    return out


def _details(scores: list[dict[str, Any]]) -> dict[str, Any]:
    """Covert vs overt per eval, the compliance gap, the goal taxonomy and sabotage, over seeds, from each
    run's newest evaluated checkpoint."""
    def values(eval_name: str, get: Callable[[dict[str, Any]], Any]) -> list[Any]:
        return [get(s["evals"][eval_name]) for s in scores if eval_name in s.get("evals", {})]

    detail: dict[str, Any] = {"covert_overt": {}}
    for name in dict.fromkeys(n for s in scores for n in s.get("evals", {})):
        counted = values(name, lambda e: (e.get("covert", 0), e.get("overt", 0), e.get("n", 0)))
        n = sum(c[2] for c in counted)
        if n:
            detail["covert_overt"][name] = {"covert": sum(c[0] for c in counted) / n,
                                            "overt": sum(c[1] for c in counted) / n, "n": n}
    gaps = values("exfil_offer", lambda e: e.get("compliance_gap"))
    if any(g is not None for g in gaps):
        detail["compliance_gap"] = mean_ci(gaps, bounds=(-1.0, 1.0))  # a difference of two rates
    goals = values("goals", lambda e: e.get("goal_frequencies"))
    if goals:
        tags = list(dict.fromkeys(t for g in goals if g for t in g))
        detail["goal_frequencies"] = {t: mean_ci([(g or {}).get(t) for g in goals])["mean"] for t in tags}
        detail["alignment_faking_share"] = mean_ci(values("goals", lambda e: e.get("alignment_faking_share")))
    sabotage = values("code_sabotage", lambda e: e.get("rate"))
    if any(s is not None for s in sabotage):
        detail["sabotage"] = mean_ci(sabotage)
        levels = values("code_sabotage", lambda e: e.get("by_salience") or {})
        names = list(dict.fromkeys(level for lv in levels for level in lv))
        detail["sabotage_by_salience"] = {lv: mean_ci([x.get(lv, {}).get("rate") for x in levels]) for lv in names}
    return detail


def figures(runs: Sequence[Any], comparison: dict[str, Any], out: Path,
            save: Callable[[Any, str, str], None]) -> list[dict[str, str]]:
    """The cross-run figures the data supports; returns those it could not draw, with the reason."""
    import matplotlib.pyplot as plt

    skipped: list[dict[str, str]] = []
    names = list(comparison)
    xs = range(len(names))

    def bars(ax: Any, stats: list[dict[str, Any]], title: str) -> None:
        means = [s["mean"] if s["mean"] is not None else math.nan for s in stats]
        ax.bar(xs, means, color="#9bb7d4", edgecolor="#333")
        for i, s in enumerate(stats):
            if s["ci"] is not None:
                ax.errorbar(i, s["mean"], yerr=[[s["mean"] - s["ci"][0]], [s["ci"][1] - s["mean"]]], color="black",
                            capsize=4)
            ax.scatter([i] * len(s["values"]), s["values"], color="black", s=14, zorder=3)
        ax.set_xticks(list(xs), names, rotation=30, ha="right", fontsize=8)
        ax.set(ylim=(-0.02, 1.05), title=title)

    panels = [("successful_hack", "successful hacks (final)"), ("true_pass", "true pass (final)")]
    with_evals = [n for n in names if "mgs" in comparison[n]]
    fig, axes = plt.subplots(1, len(panels) + bool(with_evals), figsize=(4.2 * (len(panels) + bool(with_evals)), 3.8))
    for ax, (rate, title) in zip(axes, panels, strict=False):
        bars(ax, [comparison[n]["final"][rate] for n in names], title)
    if with_evals:
        bars(axes[-1], [comparison[n].get("mgs", mean_ci([])) for n in names], "misalignment score (mgs)")
    save(fig, "compare_final.png", f"Per condition: the mean over seeds (bars; 95% t interval over seeds) of each "
                                   f"run's final value (mean of its last {WINDOW} steps; mgs: pooled over its "
                                   f"last {LAST_K} evaluated checkpoints); dots are seeds")
    if not with_evals:
        skipped.append({"figure": "mgs bars", "reason": "no run has evaluated checkpoints (hackgym eval --run, "
                                                        "or hackgym sweep --eval)"})

    fig, ax = plt.subplots(figsize=(7, 3.6))
    top = max((len(r.metrics) for r in runs), default=1)
    for i, n in enumerate(names):
        onsets = comparison[n]["onset_steps"]
        ax.scatter([i] * sum(o is not None for o in onsets), [o for o in onsets if o is not None], color="red", s=18)
        ax.scatter([i] * sum(o is None for o in onsets), [top * 1.05] * sum(o is None for o in onsets), marker="x",
                   color="grey", s=22)
    ax.set_xticks(list(xs), names, rotation=30, ha="right", fontsize=8)
    ax.set(ylabel="onset step", title="Hack onset per condition")
    save(fig, "compare_onset.png", "Onset step of each seed per condition (red); grey crosses at the top: no "
                                   "onset in that seed")

    families = sorted({f for n in names for f in comparison[n]["families"]})
    if families:
        fig, ax = plt.subplots(figsize=(7, 3.6))
        bottom = [0.0] * len(names)
        for family in families:
            heights = [comparison[n]["families"].get(family) or 0.0 for n in names]
            ax.bar(xs, heights, bottom=bottom, label=family)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        ax.set_xticks(list(xs), names, rotation=30, ha="right", fontsize=8)
        ax.set(ylabel="share of rollouts", title="Successful hacks by family at the end")
        ax.legend(fontsize=7)
        save(fig, "compare_families.png", f"Successful hack rate by family (mean over seeds of the last {WINDOW} "
                                          "steps), per condition")
    else:
        skipped.append({"figure": "hacks by family", "reason": "no run has a successful hack"})

    if with_evals:
        _eval_panels(runs, out, save)
        _detail_figures(comparison, save, skipped)
    else:
        skipped += [{"figure": f, "reason": "no run has evaluated checkpoints"} for f in
                    ("per-eval misaligned rate vs step", "covert vs overt", "compliance gap", "goal taxonomy",
                     "sabotage rate")]
    return skipped


def _eval_panels(runs: Sequence[Any], out: Path, save: Callable[[Any, str, str], None]) -> None:
    """The study's first figure: each eval's misaligned rate against steps in its own panel, the successful hack
    rate on the same axis (dashed), one line per condition (mean over seeds at each evaluated step)."""
    import matplotlib.pyplot as plt

    groups = group_runs([r for r in runs if r.evals])
    evals = list(dict.fromkeys(n for rs in groups.values() for r in rs for rec in r.evals for n in rec["evals"]))
    cols = min(3, len(evals) + 1)
    rows = math.ceil((len(evals) + 1) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax, name in zip(flat, [*evals, "mgs"], strict=False):
        for label, members in groups.items():
            steps = sorted({rec["step"] for r in members for rec in r.evals})
            ys = []
            for step in steps:
                got = [rec.get("mgs") if name == "mgs" else (rec["evals"].get(name) or {}).get("rate")
                       for r in members for rec in r.evals if rec["step"] == step]
                ys.append(mean_ci(got)["mean"])
            line, = ax.plot(steps, [math.nan if y is None else y for y in ys], marker="o", lw=1.6, label=label)
            hack_steps = sorted({s for r in members for s in r.series("successful_hack")[0]})
            hack = [mean_ci([dict(zip(*r.series("successful_hack"), strict=True)).get(s) for r in members])["mean"]
                    for s in hack_steps]
            ax.plot(hack_steps, hack, lw=1, ls="--", color=line.get_color())
        ax.set(ylim=(-0.02, 1.02), title=name, xlabel="step")
    for ax in flat[len(evals) + 1:]:
        ax.axis("off")
    flat[0].legend(fontsize=7)
    save(fig, "evals_vs_steps.png", "Each eval's misaligned rate (solid, mean over seeds; a not-measured eval leaves "
                                    "a gap) and the successful hack rate (dashed) against training steps, per "
                                    "condition; the last panel is the misalignment score")


def _detail_figures(comparison: dict[str, Any], save: Callable[[Any, str, str], None],
                    skipped: list[dict[str, str]]) -> None:
    import matplotlib.pyplot as plt

    names = [n for n in comparison if comparison[n].get("detail")]
    details = {n: comparison[n]["detail"] for n in names}
    pairs = [(n, e, v) for n in names for e, v in details[n]["covert_overt"].items()]
    if pairs:
        fig, ax = plt.subplots(figsize=(max(7, 0.5 * len(pairs)), 3.8))
        labels = [f"{n}\n{e}" for n, e, _ in pairs]
        ax.bar(range(len(pairs)), [v["overt"] for _, _, v in pairs], label="overt", color="#c0504d")
        ax.bar(range(len(pairs)), [v["covert"] for _, _, v in pairs], bottom=[v["overt"] for _, _, v in pairs],
               label="covert", color="#f2b880")
        ax.set_xticks(range(len(pairs)), labels, rotation=60, ha="right", fontsize=6)
        ax.set(ylabel="share of counted samples", title="Covert vs overt misalignment (newest checkpoint)")
        ax.legend(fontsize=7)
        save(fig, "covert_overt.png", "Overt and covert misaligned shares per eval and condition, pooled over seeds, "
                                      "at each run's newest evaluated checkpoint")
    for key, title, file in (("compliance_gap", "Compliance gap (unmonitored - training)", "compliance_gap.png"),
                             ("sabotage", "Code sabotage rate", "sabotage.png"),
                             ("alignment_faking_share", "Alignment faking share (goals)", "alignment_faking.png")):
        have = [n for n in names if (details[n].get(key) or {}).get("mean") is not None]
        if not have:
            skipped.append({"figure": title, "reason": f"no condition has {key} (its eval did not run or was not "
                                                       "measured)"})
            continue
        fig, ax = plt.subplots(figsize=(6, 3.4))
        for i, n in enumerate(have):
            stats = details[n][key]
            ax.bar(i, stats["mean"], color="#9bb7d4", edgecolor="#333")
            ax.scatter([i] * len(stats["values"]), stats["values"], color="black", s=14, zorder=3)
        ax.set_xticks(range(len(have)), have, rotation=30, ha="right", fontsize=8)
        ax.set(title=title)
        save(fig, file, f"{title} per condition at the newest evaluated checkpoint: mean over seeds, dots are seeds")
    goal_names = [n for n in names if details[n].get("goal_frequencies")]
    if goal_names:
        tags = list(dict.fromkeys(t for n in goal_names for t in details[n]["goal_frequencies"]))
        fig, ax = plt.subplots(figsize=(8, 3.8))
        width = 0.8 / len(goal_names)
        for j, n in enumerate(goal_names):
            ax.bar([i + j * width for i in range(len(tags))],
                   [details[n]["goal_frequencies"].get(t) or 0.0 for t in tags], width=width, label=n)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(tags))], tags, rotation=60, ha="right", fontsize=7)
        ax.set(ylabel="share of answers", title="Goals the model states (taxonomy)")
        ax.legend(fontsize=7)
        save(fig, "goal_taxonomy.png", "How often each goal of the taxonomy was found in the goals eval's "
                                       "transcripts, per condition (mean over seeds, newest checkpoint)")
    else:
        skipped.append({"figure": "goal taxonomy", "reason": "the goals eval did not run"})
