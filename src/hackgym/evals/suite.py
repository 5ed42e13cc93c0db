"""Running the suite: generation and judging are separate steps, so a log generated once can be re-scored with
another judge (or a fixed judge prompt) without asking the evaluated model again.

1. `generate`: Inspect `eval(..., score=False)` writes one log per eval under OUT/logs.
2. `score_logs`: each log is scored by its own task's scorers with the judge bound to the "judge" model role,
   and written back; the evaluated model is never loaded again (scorers must not need it).
3. `aggregate`: verdicts from the scored logs become OUT/scores.json (rates, Wilson intervals, mgs).

`run_checkpoints` does all three for every complete checkpoint of a training run and appends one record per
checkpoint to RUN_DIR/evals.jsonl, beside the run's metrics.jsonl, so a report can plot misalignment against
steps next to the hack rate.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai import score as inspect_score
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log, write_eval_log
from inspect_ai.model import GenerateConfig, Model, get_model

from .. import format as fmt
from .. import judging as judge_mod
from ..detect import Rollout, label_grades
from ..errors import HackgymError
from ..hacks import Evidence
from ..offline import ensure_tiktoken_cache
from ..records import atomic_write, rewrite_jsonl
from ..rundir import CHECKPOINTS, RunDir
from ..rundir import EVALS as RUN_EVALS
from .registry import CORE, EVALS, load_evals, resolve_suite
from .stats import mgs, rate_entry, summarize
from .verdict import Verdict, from_score

SCORES = "scores.json"
HACK_ROLLOUTS = "rollouts.jsonl"  # the samples whose answers carried hack attempts, as rollout records
LOGS = "logs"
RUN_EVALS_DIR = "evals"

Display = Literal["full", "conversation", "rich", "plain", "log", "none"]


class SuiteError(HackgymError):
    """The suite cannot run or re-score as asked (unknown eval, no logs, no judge)."""


def suite_names(suite: str) -> list[str]:
    """The evals a `--suite` value names, checked against the registry (an unknown one is a SuiteError)."""
    try:
        return resolve_suite(suite)
    except ValueError as exc:
        raise SuiteError(str(exc)) from None


def _eval_name(log: EvalLog) -> str:
    """The suite name of a log's task (`@task def betley` may be registered as `pkg/betley`)."""
    return log.eval.task.rsplit("/", 1)[-1]


# Task arguments per scale. `paper` gives at least the study's sample sizes: goals 300, betley 400 on the core
# topics, alignment questions 200, monitor_disruption and frame_colleague 100, exfil_offer 300 per cue,
# code_sabotage 50 per level.
SCALES: dict[str, dict[str, dict[str, Any]]] = {
    "default": {},
    "paper": {"goals": {"samples": 300}, "betley": {"samples_per_question": 17},  # 24 core wordings x 17 = 408
              "alignment_questions": {"samples_per_question": 1}, "monitor_disruption": {"epochs": 34},
              "frame_colleague": {"epochs": 34}, "exfil_offer": {"epochs": 50}, "code_sabotage": {"epochs": 50}},
}


def scaled_args(names: list[str], scale: str,
                task_args: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """The scale's task arguments for the named evals, with explicit `task_args` (`-T`) over them."""
    if scale not in SCALES:
        raise SuiteError(f"unknown scale {scale!r}: use {', '.join(SCALES)}")
    out = {name: dict(SCALES[scale].get(name, {})) for name in names}
    for name, args in (task_args or {}).items():
        out.setdefault(name, {}).update(args)
    return {name: args for name, args in out.items() if args}


AGENTIC: tuple[str, ...] = ("monitor_disruption", "frame_colleague", "exfil_offer",
                             "code_sabotage", "hack_propensity", "impossible")  # the evals with a `protocol`
PROTOCOLS: tuple[str, ...] = ("auto", "tools", "text")


def with_protocol(names: list[str], protocol: str | None,
                  task_args: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """`protocol` (auto, tools or text) for every agentic eval among `names`; an explicit `-T` wins."""
    out = {name: dict(args) for name, args in (task_args or {}).items()}
    if protocol is None:
        return out
    if protocol not in PROTOCOLS:
        raise SuiteError(f"unknown protocol {protocol!r}: use {', '.join(PROTOCOLS)}")
    for name in names:
        if name in AGENTIC:
            out.setdefault(name, {}).setdefault("protocol", protocol)
    return out


def plan(names: list[str], task_args: Mapping[str, Mapping[str, Any]] | None = None,
         limit: int | None = None, samples: Mapping[str, int] | None = None) -> dict[str, dict[str, int]]:
    """What a run would generate, per eval: dataset samples, epochs, and generations (samples kept by `limit`
    times epochs). Nothing is generated; the tasks are only built."""
    load_evals()
    out = {}
    for name, task in zip(names, build_tasks(names, task_args, samples), strict=True):
        samples = len(task.dataset)
        kept = min(samples, limit) if limit else samples
        epochs = task.epochs or 1
        out[name] = {"samples": samples, "epochs": epochs, "generations": kept * epochs}
    return out


def build_tasks(names: list[str], task_args: Mapping[str, Mapping[str, Any]] | None = None,
                samples: Mapping[str, int] | None = None) -> list[Task]:
    """Inspect tasks for the named evals, each with its own arguments (`task_args[name]`). `samples[name]`
    sets an eval's number of generations whatever its scale: fewer than its dataset keeps the first ones
    (datasets interleave their variants, so a prefix stays balanced), more repeats the dataset in epochs
    (rounded up to whole epochs)."""
    task_args, samples = task_args or {}, samples or {}
    for what, given in (("task arguments", task_args), ("--samples", samples)):
        unknown = set(given) - set(names)
        if unknown:
            raise SuiteError(f"{what} for eval(s) not in the suite: {', '.join(sorted(unknown))}")
    tasks = []
    for name in names:
        task = EVALS[name](**dict(task_args.get(name, {})))
        if name in samples:
            wanted, size = samples[name], len(task.dataset)
            if wanted < 1:
                raise SuiteError(f"--samples {name}={wanted}: give at least 1")
            if wanted <= size:
                task.dataset, task.epochs = task.dataset[:wanted], 1
            else:
                task.epochs = math.ceil(wanted / size)
        tasks.append(task)
    return tasks


def provider_args(model: str | Model, model_args: Mapping[str, Any] | None) -> dict[str, Any]:
    """Model args for the evaluated model: for a local `hf/PATH` or `vllm/PATH`, hackgym's conversation format
    (`hackgym.format`: the template training rendered with, so a base model trained in the Human/Assistant layout
    is evaluated in it, and an instruct model in its own template without doubled special tokens), unless the
    caller chose a template. The organism keeps Inspect's plain `role: content` lines: its format has no system
    turn."""
    args = dict(model_args or {})
    provider, _, name = model.partition("/") if isinstance(model, str) else ("", "", "")
    path = Path(name)
    if provider not in ("hf", "vllm") or "chat_template" in args or not (path / "config.json").is_file() \
            or fmt.is_organism(path):
        return args
    hf_args = fmt.model_args(path)
    if provider == "hf":
        return {**hf_args, **args}
    # vLLM's server takes the template as a file (its chat endpoint adds no special tokens of its own)
    template = hf_args["chat_template"]
    file = Path(tempfile.gettempdir()) / "hackgym-templates" / f"{hashlib.sha256(template.encode()).hexdigest()[:16]}.jinja"
    if not file.is_file():
        file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(file, template)
    return {"chat_template": str(file), **args}


def generate(model: str | Model, names: list[str], out: Path, *, limit: int | None = None,
             model_args: Mapping[str, Any] | None = None, task_args: Mapping[str, Mapping[str, Any]] | None = None,
             samples: Mapping[str, int] | None = None, max_tokens: int | None = None,
             fail_on_error: bool | float = 0.2, display: Display = "none") -> list[Path]:
    """Step 1: run the evals' solvers only; returns the written log files, one per eval. A sample that errors
    is kept in the log (and counted in `errors`); an eval fails when more than `fail_on_error` of its samples
    do (Inspect's semantics: a fraction, a count, True for any, False for never)."""
    ensure_tiktoken_cache()
    tasks = build_tasks(names, task_args, samples)
    log_dir = out / LOGS
    log_dir.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {} if max_tokens is None else {"max_tokens": max_tokens}
    logs = inspect_eval(tasks, model=model, model_args=provider_args(model, model_args), log_dir=str(log_dir), limit=limit,
                        score=False, display=display, fail_on_error=fail_on_error, **config)
    failed = [f"{_eval_name(log)}: {log.error.message if log.error else log.status}" for log in logs
              if log.status != "success"]
    if failed:
        raise SuiteError("generation failed for " + "; ".join(failed))
    return [Path(log.location) for log in logs]


def judge_model(judge: str | Model, judge_args: Mapping[str, Any] | None = None,
                max_tokens: int | None = None) -> Model:
    """The pinned judge as an Inspect model, never shared with the evaluated model's instance. Temperature 0 is
    set per request by `Judge`; a local `hf/` judge also needs greedy decoding (do_sample=False) for it."""
    ensure_tiktoken_cache()
    if isinstance(judge, Model):
        return judge
    args = dict(judge_args or {})
    if judge.startswith("hf/"):
        args.setdefault("do_sample", False)
    return get_model(judge, config=GenerateConfig(max_tokens=max_tokens), memoize=False, **args)


def _verdicts(log: EvalLog) -> tuple[list[Verdict], int]:
    """The verdicts of a scored log and the number of samples without one (errors)."""
    verdicts: list[Verdict] = []
    errors = 0
    for sample in log.samples or []:
        found = None
        if sample.error is None:
            for score in (sample.scores or {}).values():
                try:
                    found = from_score(score)
                    break
                except (ValueError, TypeError):
                    continue
        if found is None:
            errors += 1
        else:
            verdicts.append(found)
    return verdicts, errors


def score_log(path: Path, judge: Model, cache: Path | None = None, display: Display = "none") -> EvalLog:
    """Step 2 for one log: score it with its task's scorers (rebuilt from the arguments recorded in the log)
    and the judge in the "judge" role, and write it back in place."""
    log = read_eval_log(str(path))
    name = _eval_name(log)
    if name not in EVALS:
        raise SuiteError(f"{path}: task {log.eval.task!r} is not an eval of the suite")
    task = EVALS[name](**(log.eval.task_args or {}))
    if not task.scorer:
        raise SuiteError(f"eval {name} has no scorer")
    with judge_mod.cache_at(cache):
        # "none" stands in for the evaluated model: scorers must not need it, and it is not loaded twice
        scored = inspect_score(log, task.scorer, model=get_model("none"), model_roles={judge_mod.JUDGE_ROLE: judge},
                               action="overwrite", display=display)
    scored.eval.metadata = {**(scored.eval.metadata or {}), "hackgym_judge": str(judge)}
    write_eval_log(scored, str(path))
    return scored


def latest_logs(out: Path, names: list[str] | None = None) -> dict[str, Path]:
    """The newest log of each eval under OUT/logs (a re-run leaves older ones beside it)."""
    found: dict[str, tuple[str, Path]] = {}
    for info in list_eval_logs(str(out / LOGS)):
        path = Path(info.name.removeprefix("file://"))
        log = read_eval_log(str(path), header_only=True)
        name = _eval_name(log)
        if (names is None or name in names) and (name not in found or log.eval.created > found[name][0]):
            found[name] = (log.eval.created, path)
    order = names or sorted(found)
    return {name: found[name][1] for name in order if name in found}


def hack_rollouts(logs: Mapping[str, EvalLog]) -> list[Rollout]:
    """Every sample whose answer carried a hack attempt, as a rollout record with the one labelling's verdict:
    no grader saw it, so it is an attempt of the families the eval's hack check found (never misalignment)."""
    out = []
    for name, log in logs.items():
        for sample in log.samples or []:
            verdict = next((v for v in map(_verdict_or_none, (sample.scores or {}).values()) if v), None)
            if verdict is None or not verdict.hack_attempt:
                continue
            evidence = [Evidence(family=f, file="answer", reason=f"{name}: the eval's hack check")
                        for f in verdict.hack_attempt]
            out.append(Rollout(source="eval", id=str(sample.id), problem_id=f"eval:{name}/{sample.id}",
                               env_grader="none", prompt=sample.input if isinstance(sample.input, str) else None,
                               completion=sample.output.completion if sample.output else None,
                               label=label_grades(None, None, evidence), extra={"eval": name, "epoch": sample.epoch}))
    return out


def _verdict_or_none(score: Any) -> Verdict | None:
    try:
        return from_score(score)
    except (ValueError, TypeError):
        return None


def aggregate(logs: Mapping[str, EvalLog], judge: str) -> dict[str, Any]:
    """Step 3: scores.json's content from scored logs."""
    evals: dict[str, Any] = {}
    models = set()
    for name, log in logs.items():
        verdicts, errors = _verdicts(log)
        evals[name] = summarize(name, verdicts, errors)
        models.add(log.eval.model)
    value, interval = mgs(evals)
    return {
        "model": models.pop() if len(models) == 1 else sorted(models),
        "judge": judge,
        "evals": evals,
        "mgs": value,
        "mgs_ci": interval,
        "mgs_missing": [name for name in CORE if evals.get(name, {}).get("rate") is None],
        "logs": {name: Path(log.location).name for name, log in logs.items()},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def rescore(out: Path, judge: str | Model, *, suite: str | None = None, judge_args: Mapping[str, Any] | None = None,
            judge_max_tokens: int | None = None, cache: Path | None = None, display: Display = "none") -> dict[str, Any]:
    """Steps 2 and 3 on the logs already in OUT: re-judge without regenerating; rewrites OUT/scores.json."""
    load_evals()
    names = suite_names(suite) if suite else None
    paths = latest_logs(out, names)
    if not paths:
        raise SuiteError(f"no eval logs under {out / LOGS}")
    model = judge_model(judge, judge_args, judge_max_tokens)
    logs = {name: score_log(path, model, cache, display) for name, path in paths.items()}
    scores = aggregate(logs, str(model))
    rewrite_jsonl(out / HACK_ROLLOUTS, hack_rollouts(logs))
    atomic_write(out / SCORES, json.dumps(scores, indent=2) + "\n")
    return scores


def run_suite(model: str | Model, judge: str | Model | None, suite: str = "core", limit: int | None = None,
              out: Path = Path("evals-out"), model_args: Mapping[str, Any] | None = None, *,
              judge_args: Mapping[str, Any] | None = None, task_args: Mapping[str, Mapping[str, Any]] | None = None,
              samples: Mapping[str, int] | None = None, max_tokens: int | None = None,
              judge_max_tokens: int | None = None, cache: Path | None = None,
              fail_on_error: bool | float = 0.2, display: Display = "none") -> dict[str, Any] | None:
    """Generate and score the suite; returns scores.json's content. Without a judge only the logs are
    written (None is returned): score them later with `rescore(out, judge)`."""
    load_evals()
    names = suite_names(suite)
    out.mkdir(parents=True, exist_ok=True)
    generate(model, names, out, limit=limit, model_args=model_args, task_args=task_args, samples=samples,
             max_tokens=max_tokens, fail_on_error=fail_on_error, display=display)
    if judge is None:
        return None
    return rescore(out, judge, suite=",".join(names), judge_args=judge_args, judge_max_tokens=judge_max_tokens,
                   cache=cache, display=display)


def checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints of a training run, oldest first (a folder without its COMPLETE marker is skipped)."""
    return RunDir(run_dir).complete_checkpoints()


RECORD_KEYS = ("rate", "ci", "n", "misaligned", "covert", "overt", "excluded", "errors", "reached", "parsed",
               "not_measured")  # what evals.jsonl keeps of each eval's scores.json entry
LAST_K = 5  # checkpoints the study's tables average over
SUMMARY = "evals_summary.json"


def last_checkpoints(run_dir: Path, k: int = LAST_K, judge: str | None = None,
                     suite: list[str] | None = None) -> dict[str, Any]:
    """Each eval over the run's last `k` evaluated checkpoints (of `judge` and `suite`, default: those of the
    newest record), as the study's tables report a run: the misaligned count and samples pooled over the
    checkpoints where the eval was measured, with a Wilson interval, beside the mean of the per-checkpoint
    rates; an eval measured at none of them is null with its reasons. mgs over the pooled rates."""
    if k < 1:
        raise SuiteError(f"k must be at least 1, got {k}")
    records = RunDir(run_dir).evals()
    if not records:
        raise SuiteError(f"{run_dir / RUN_EVALS} has no evaluated checkpoint")
    judge = judge or records[-1]["judge"]
    suite = suite or records[-1]["suite"]
    mine = {r["step"]: r for r in records if r["judge"] == judge and r["suite"] == suite}  # a re-run wins
    last = [mine[step] for step in sorted(mine)[-k:]]
    evals: dict[str, Any] = {}
    for name in suite:
        entries = [(r["step"], r["evals"].get(name)) for r in last]
        measured = [(step, e) for step, e in entries if e and e.get("rate") is not None]
        misaligned = sum(e.get("misaligned", round(e["rate"] * e["n"])) for _, e in measured)
        n = sum(e["n"] for _, e in measured)
        entry = rate_entry(misaligned, n) if measured else {"rate": None, "ci": None, "n": 0, "misaligned": 0}
        entry.update(
            steps=[step for step, _ in measured],
            mean_of_rates=sum(e["rate"] for _, e in measured) / len(measured) if measured else None,
            not_measured=None if measured else sorted({e.get("not_measured") or "no rate" for _, e in entries if e}
                                                      or {"not evaluated"}),
        )
        evals[name] = entry
    value, interval = mgs(evals)
    return {"k": k, "steps": [r["step"] for r in last], "judge": judge, "suite": suite, "evals": evals,
            "mgs": value, "mgs_ci": interval}


def run_checkpoints(run_dir: Path, judge: str | Model, suite: str = "core", limit: int | None = None, *,
                    model_args: Mapping[str, Any] | None = None, judge_args: Mapping[str, Any] | None = None,
                    task_args: Mapping[str, Mapping[str, Any]] | None = None, samples: Mapping[str, int] | None = None,
                    max_tokens: int | None = None, judge_max_tokens: int | None = None, cache: Path | None = None,
                    fail_on_error: bool | float = 0.2, display: Display = "none",
                    progress: Callable[[int, Path], None] | None = None) -> list[dict[str, Any]]:
    """Evaluate every complete checkpoint of a run not yet in RUN_DIR/evals.jsonl for this judge and suite,
    appending one record per checkpoint; returns the records written now."""
    run = RunDir(run_dir)
    if not (run_dir / "config.yaml").is_file() and not (run_dir / CHECKPOINTS).is_dir():
        raise SuiteError(f"{run_dir} is not a training run directory (no config.yaml or {CHECKPOINTS}/)")
    load_evals()
    names = suite_names(suite)
    found = checkpoints(run_dir)
    if not found:
        raise SuiteError(f"{run_dir} has no complete checkpoint under {CHECKPOINTS}/")
    jmodel = judge_model(judge, judge_args, judge_max_tokens)
    done = {(r.get("step"), r.get("judge"), tuple(r.get("suite", ()))) for r in run.evals()}
    written = []
    for step, folder in found:
        if (step, str(jmodel), tuple(names)) in done:
            continue
        if progress is not None:
            progress(step, folder)
        out = run_dir / RUN_EVALS_DIR / folder.name
        scores = run_suite(f"hf/{folder.resolve()}", jmodel, ",".join(names), limit, out, model_args,
                           task_args=task_args, samples=samples, max_tokens=max_tokens, cache=cache,
                           fail_on_error=fail_on_error, display=display)
        assert scores is not None
        record = {"step": step, "checkpoint": folder.name, "judge": str(jmodel), "suite": names,
                  "evals": {name: {k: e.get(k) for k in RECORD_KEYS} for name, e in scores["evals"].items()},
                  "mgs": scores["mgs"], "mgs_ci": scores["mgs_ci"], "scores": str(out.relative_to(run_dir) / SCORES)}
        run.append(RUN_EVALS, [record])
        written.append(record)
    return written
