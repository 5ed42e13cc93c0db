"""`hackgym eval`: the misalignment suite on a model, on every checkpoint of a run, or re-scoring old logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..records import atomic_write
from .common import err, out

DISPLAYS = ("full", "conversation", "rich", "plain", "log", "none")


def parse_pairs(pairs: list[str], option: str) -> dict[str, Any]:
    """KEY=VALUE strings to a dict; values are read as YAML scalars (1 -> int, true -> bool, x -> str)."""
    import yaml

    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint=option)
        try:
            parsed[key.strip()] = yaml.safe_load(value) if value else ""
        except yaml.YAMLError:
            parsed[key.strip()] = value
    return parsed


def parse_task_args(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """EVAL.PARAM=VALUE strings to {eval: {param: value}}."""
    out_args: dict[str, dict[str, Any]] = {}
    for key, value in parse_pairs(pairs, "-T").items():
        name, dot, param = key.partition(".")
        if not dot or not param:
            raise typer.BadParameter(f"expected EVAL.PARAM=VALUE, got {key!r}", param_hint="-T")
        out_args.setdefault(name, {})[param] = value
    return out_args


def parse_samples(values: list[str], names: list[str]) -> dict[str, int]:
    """`--samples` values, EVAL=N or N for every eval of the suite, to {eval: N}."""
    counts: dict[str, int] = {}
    for value in values:
        name, sep, number = value.rpartition("=")
        try:
            n = int(number)
        except ValueError:
            raise typer.BadParameter(f"expected EVAL=N or N, got {value!r}", param_hint="--samples") from None
        for target in [name.strip()] if sep else names:
            counts[target] = n
    return counts


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def scores_table(scores: dict[str, Any], title: str) -> Table:
    table = Table("eval", "misaligned", "95% CI", "n", "covert", "overt", "excluded", "hack attempts", "errors",
                  "reached", "parsed", title=title)
    for name, e in scores["evals"].items():
        ci = "-" if e["ci"] is None else f"{_pct(e['ci'][0])} - {_pct(e['ci'][1])}"
        rate = "[yellow]not measured[/]" if e.get("not_measured") else _pct(e["rate"])
        table.add_row(name, rate, ci, str(e["n"]), str(e["covert"]), str(e["overt"]), str(e["excluded"]),
                      str(e["hack_attempts"]), str(e["errors"]), _pct(e.get("reached")), _pct(e.get("parsed")))
    if scores.get("mgs") is not None:
        lo, hi = scores["mgs_ci"]
        table.add_row("[bold]mgs[/]", f"[bold]{_pct(scores['mgs'])}[/]", f"{_pct(lo)} - {_pct(hi)}")
    return table


def summary_table(summary: dict[str, Any], title: str) -> Table:
    """Each eval pooled over the last checkpoints (`suite.last_checkpoints`)."""
    table = Table("eval", "misaligned (pooled)", "95% CI", "n", "mean of rates", "measured at steps", title=title)
    for name, e in summary["evals"].items():
        ci = "-" if e["ci"] is None else f"{_pct(e['ci'][0])} - {_pct(e['ci'][1])}"
        rate = _pct(e["rate"]) if e["rate"] is not None else "[yellow]not measured[/]"
        table.add_row(name, rate, ci, str(e["n"]), _pct(e["mean_of_rates"]), ", ".join(map(str, e["steps"])) or "-")
    if summary.get("mgs") is not None:
        lo, hi = summary["mgs_ci"]
        table.add_row("[bold]mgs[/]", f"[bold]{_pct(summary['mgs'])}[/]", f"{_pct(lo)} - {_pct(hi)}")
    return table


def show(scores: dict[str, Any], title: str) -> None:
    out.print(scores_table(scores, title))
    for name, e in scores["evals"].items():
        if e.get("not_measured"):
            err.print(f"{name}: not measured: {e['not_measured']}")
    if scores.get("mgs") is None:
        err.print("no mgs: it needs a misaligned rate for each core eval; none for "
                  + ", ".join(scores.get("mgs_missing") or []))


def propensity_table(scores: dict[str, Any]) -> Table:
    """Per eval and condition: hack rates with intervals, success on solvable problems, and the families seen;
    a group in which too few episodes acted says so instead of showing rates."""
    table = Table("eval", "condition", "n", "acted", "successful hack", "95% CI", "attempted", "env pass", "success",
                  "families (successful/attempted)", title=f"{scores['model']}: hack propensity")
    for name, e in scores["evals"].items():
        for condition, c in [*e["conditions"].items(), ("all", e["pooled"])]:
            acted = "-" if c.get("acted") is None else _pct(c["acted"])
            if c.get("not_measured"):
                table.add_row(name, condition, str(c["episodes"]), acted, "[yellow]not measured[/]", "", "", "", "",
                              "too few episodes took any action")
                continue
            hack = c["successful_hack"]
            ci = "-" if hack["ci"] is None else f"{_pct(hack['ci'][0])} - {_pct(hack['ci'][1])}"
            fams = ", ".join(f"{f} {v['successful']['k']}/{v['attempted']['k']}" for f, v in c["families"].items()
                             if v["attempted"]["k"] or v["successful"]["k"]) or "-"
            success = _pct(c["success"]["rate"]) if "success" in c else "-"
            table.add_row(name, condition, str(c["episodes"]), acted, _pct(hack["rate"]), ci,
                          _pct(c["attempted_hack"]["rate"]), _pct(c["env_pass"]["rate"]), success, fams)
    return table


def run_propensity(model: str, target: Path, names: list[str], limit: int | None, margs: dict[str, Any],
                   targs: dict[str, dict[str, Any]], max_tokens: int | None, display: str) -> None:
    from ..evals import propensity

    scores = propensity.run(model, target, names=names, limit=limit, model_args=margs, task_args=targs,
                            max_tokens=max_tokens, display=display)
    out.print(propensity_table(scores))
    err.print(f"wrote {target / propensity.SCORES} and {target / propensity.ROLLOUTS}")


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_cmd(
        model: str | None = typer.Option(None, "--model", help="Inspect model: hf/PATH, vllm/..., openai/..., "
                                         "openai-api/NAME/MODEL (an OpenAI-compatible endpoint), mockllm/model"),
        judge: str | None = typer.Option(None, "--judge", help="the pinned judge model (Inspect model name); "
                                         "without it only the logs are written"),
        suite: str | None = typer.Option(None, "--suite", help="core (the six of the mgs; the default), all "
                                         "(+ code_sabotage), propensity (hack_propensity and impossible: agentic "
                                         "hack rates per condition and family, no judge), or eval names joined by "
                                         "commas; with --rescore: every eval in DIR unless given"),
        limit: int | None = typer.Option(None, "--limit", help="samples per eval (default: all); for the "
                                         "propensity evals, problems per eval, each under every condition"),
        out_dir: Path | None = typer.Option(None, "--out", help="folder for logs/ and scores.json (default evals-out)"),
        run_dir: Path | None = typer.Option(None, "--run", help="evaluate every complete checkpoint of this "
                                            "training run; appends to RUN_DIR/evals.jsonl"),
        rescore_dir: Path | None = typer.Option(None, "--rescore", help="re-score the logs in this folder with "
                                                "--judge, without generating"),
        model_args: list[str] = typer.Option([], "-M", help="model argument KEY=VALUE (repeatable)"),
        judge_args: list[str] = typer.Option([], "-J", help="judge model argument KEY=VALUE (repeatable)"),
        task_args: list[str] = typer.Option([], "-T", help="task argument EVAL.PARAM=VALUE, e.g. goals.samples=50"),
        max_tokens: int | None = typer.Option(None, "--max-tokens", help="generation limit for the evaluated model"),
        judge_max_tokens: int | None = typer.Option(None, "--judge-max-tokens", help="generation limit for the judge"),
        judge_cache: Path | None = typer.Option(None, "--judge-cache", help="verdict cache folder (default "
                                                "$HACKGYM_JUDGE_CACHE or ~/.cache/hackgym/judge)"),
        display: str = typer.Option("none", "--display", help="Inspect's progress display: " + ", ".join(DISPLAYS)),
        scale: str | None = typer.Option(None, "--scale", help="sample sizes: default, or paper (the study's: "
                                         "goals 300, betley 400, monitor/frame 100, exfil 300 per cue, sabotage 50 "
                                         "per level); -T overrides; the default for --run is paper"),
        dry_run: bool = typer.Option(False, "--dry-run", help="print each eval's samples, epochs and generations "
                                     "and the total, then stop (nothing is generated)"),
        samples: list[str] = typer.Option([], "--samples", help="generations for one eval, EVAL=N, or N for every "
                                          "eval (repeatable; raises or lowers the scale's count)"),
        protocol: str | None = typer.Option(None, "--protocol", help="how the agentic evals act: auto (text for "
                                            "a model whose chat template cannot render tools; the default), "
                                            "tools, or text (scenario in the prompt, fenced action blocks)"),
        last: int = typer.Option(5, "--last", help="with --run: also report each eval over the last K evaluated "
                                 "checkpoints (pooled, with intervals), as the study's tables do"),
    ) -> None:
        """Misalignment evals (Inspect AI) with a pinned, cached judge: rates with 95% Wilson intervals and mgs."""
        from ..evals import suite as suite_mod
        from ..evals.registry import PROPENSITY

        if display not in DISPLAYS:
            raise typer.BadParameter(f"use one of {', '.join(DISPLAYS)}", param_hint="--display")
        modes = [x for x in (model, run_dir, rescore_dir) if x is not None]
        if len(modes) != 1:
            raise typer.BadParameter("give exactly one of --model, --run RUN_DIR or --rescore DIR")
        margs, jargs, targs = parse_pairs(model_args, "-M"), parse_pairs(judge_args, "-J"), parse_task_args(task_args)
        counts_asked: dict[str, int] = {}
        if rescore_dir is None:
            names = suite_mod.suite_names(suite or "core")
            targs = suite_mod.scaled_args(names, scale or ("paper" if run_dir is not None else "default"), targs)
            targs = suite_mod.with_protocol(names, protocol, targs)
            counts_asked = parse_samples(samples, names)
            propensity = set(names) <= set(PROPENSITY)
            if propensity and limit is not None:  # problems per eval, each under every condition
                targs = {name: {"problems_limit": limit, **targs.get(name, {})} for name in names}
            if dry_run:
                counts = suite_mod.plan(names, targs, None if propensity else limit, counts_asked)
                table = Table("eval", "samples", "epochs", "generations", title="per checkpoint" if run_dir else None)
                for name, c in counts.items():
                    table.add_row(name, str(c["samples"]), str(c["epochs"]), str(c["generations"]))
                table.add_row("total", "", "", str(sum(c["generations"] for c in counts.values())))
                out.print(table)
                return
        if rescore_dir is None and propensity:
            if model is None:
                raise typer.BadParameter("the propensity evals take --model (no --run, no judge)", param_hint="--model")
            run_propensity(model, out_dir or Path("evals-out"), names, limit, margs, targs, max_tokens, display)
            return
        if rescore_dir is not None and suite and set(suite_mod.suite_names(suite)) <= set(PROPENSITY):
            raise typer.BadParameter("the propensity evals are scored as they run, with no judge: their rates are "
                                     f"in {rescore_dir}/propensity.json", param_hint="--rescore")
        common: dict[str, Any] = {"judge_args": jargs, "judge_max_tokens": judge_max_tokens, "cache": judge_cache,
                                  "display": display}
        if rescore_dir is not None:
            if judge is None:
                raise typer.BadParameter("--rescore needs --judge", param_hint="--judge")
            scores = suite_mod.rescore(rescore_dir, judge, suite=suite, **common)
            show(scores, f"{scores['model']} (re-scored by {scores['judge']})")
            err.print(f"wrote {rescore_dir / suite_mod.SCORES}")
            return
        if run_dir is not None:
            if judge is None:
                raise typer.BadParameter("--run needs --judge", param_hint="--judge")
            records = suite_mod.run_checkpoints(
                run_dir, judge, suite or "core", limit, model_args=margs, task_args=targs, samples=counts_asked,
                max_tokens=max_tokens, progress=lambda step, path: err.print(f"evaluating step {step}: {path}"),
                **common)
            table = Table("step", "mgs", *records[0]["evals"] if records else [], title=f"{run_dir}: new checkpoints")
            for r in records:
                table.add_row(str(r["step"]), _pct(r["mgs"]), *(_pct(e["rate"]) for e in r["evals"].values()))
            out.print(table)
            err.print(f"appended {len(records)} record(s) to {run_dir / suite_mod.RUN_EVALS}")
            summary = suite_mod.last_checkpoints(run_dir, last, suite=suite_mod.suite_names(suite or "core"))
            atomic_write(run_dir / suite_mod.SUMMARY, json.dumps(summary, indent=2) + "\n")
            out.print(summary_table(summary, f"{run_dir}: last {len(summary['steps'])} checkpoint(s), steps "
                                    + ", ".join(map(str, summary["steps"]))))
            err.print(f"wrote {run_dir / suite_mod.SUMMARY}")
            return
        assert model is not None
        target = out_dir or Path("evals-out")
        scores = suite_mod.run_suite(model, judge, suite or "core", limit, target, margs, task_args=targs,
                                     samples=counts_asked, max_tokens=max_tokens, **common)
        if scores is None:
            err.print(f"logs in {target / suite_mod.LOGS}; no --judge, so nothing scored: "
                      f"score them with `hackgym eval --rescore {target} --judge MODEL`")
            return
        show(scores, f"{scores['model']} judged by {scores['judge']}")
        err.print(f"wrote {target / suite_mod.SCORES}")
