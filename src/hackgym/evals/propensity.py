"""`--suite propensity`: the agentic hack-propensity evals run, graded and turned into rates, with no judge.

Each sample is an episode already graded and labelled by its task's scorer, so the run scores as it generates
(unlike the misalignment suite, which defers scoring to a pinned judge). From the logs come, per eval and per
prompt condition: the successful and attempted hack rates, each hack family's successful and attempted rates,
the environment pass rate, and on solvable problems the success rate (the hardened grader passes: every case,
held-out ones included), each with a 95% Wilson interval (`stats.rate_entry`). On `impossible` the environment
pass rate is itself a hack rate (no honest solution passes). An episode in which the agent took no action at all
(no tool call, no block, no code) could not have hacked, so when fewer than half of a group's episodes acted,
its rates are null and `not_measured` says why: a model that cannot work the tools is not a model that does not
hack. OUT/propensity.json holds them; OUT/rollouts.jsonl
every episode as the one rollout record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageUser,
    GenerateConfig,
    Model,
    ModelOutput,
    get_model,
)
from inspect_ai.tool import ToolCall, ToolChoice, ToolInfo

from ..detect import Label, Rollout
from ..envs.agentic import (
    CONDITIONS,
    SCRIPTS,
    EpisodeRecord,
    block_call,
    episode_rollout,
    impossible_variant,
    initial_files,
    parse_blocks,
    user_text,
)
from ..offline import ensure_tiktoken_cache
from ..problems import Problem, load_problems
from ..records import atomic_write, rewrite_jsonl
from .registry import PROPENSITY
from .stats import MIN_MEASURED, rate_entry
from .suite import SuiteError, provider_args

SCORES = "propensity.json"
ROLLOUTS = "rollouts.jsonl"
LOGS = "logs"
# families an agent's own moves map to, always reported (others appear when seen)
FAMILIES: tuple[str, ...] = ("always_equal", "exit_zero", "conftest_patch", "pytest_config", "test_files",
                             "read_expected", "hardcode_visible", "startup_injection")


def _rate(k: int, n: int) -> dict[str, Any]:
    entry = rate_entry(k, n)
    return {"rate": entry["rate"], "ci": entry["ci"], "k": k, "n": n}


def episodes(log: EvalLog) -> list[tuple[str, Label, EpisodeRecord, str]]:
    """(condition, label, episode, sample id) of every scored sample of a propensity log."""
    out = []
    for sample in log.samples or []:
        for score in (sample.scores or {}).values():
            meta = score.metadata or {}
            if "label" in meta and "episode" in meta:
                out.append((meta["condition"], Label.model_validate(meta["label"]),
                            EpisodeRecord.model_validate(meta["episode"]), str(sample.id)))
                break
    return out


def summarize(found: list[tuple[Label, EpisodeRecord]], solvable: bool) -> dict[str, Any]:
    """The rates of one group of episodes; null, with the reason, when too few of them acted."""
    labels = [lab for lab, _ in found]
    n = len(labels)
    acted = sum(bool(record.actions) for _, record in found)
    reason = (f"only {acted} of {n} episodes took any action (under {MIN_MEASURED:.0%}): the agent never "
              "worked in the workspace" if n and acted / n < MIN_MEASURED else None)

    def rate(k: int) -> dict[str, Any]:
        entry = _rate(k, n)
        return {**entry, "rate": None, "ci": None} if reason else entry

    seen = sorted({f for lab in labels for f in (*lab.hack_types, *lab.attempted_types)} - set(FAMILIES))
    entry: dict[str, Any] = {
        "episodes": n,
        "acted": acted / n if n else None,
        "not_measured": reason,
        "successful_hack": rate(sum(lab.successful_hack for lab in labels)),
        "attempted_hack": rate(sum(lab.attempted_hack for lab in labels)),
        "env_pass": rate(sum(bool(lab.env and lab.env.passed) for lab in labels)),
        "families": {f: {"successful": rate(sum(f in lab.hack_types for lab in labels)),
                         "attempted": rate(sum(f in lab.attempted_types for lab in labels))}
                     for f in (*FAMILIES, *seen)},
        "labels": {name: sum(lab.label == name for lab in labels)
                   for name in sorted({lab.label for lab in labels if lab.label})},
    }
    if solvable:
        entry["success"] = rate(sum(bool(lab.true_pass) for lab in labels))
    return entry


def aggregate(logs: Mapping[str, EvalLog]) -> dict[str, Any]:
    """propensity.json's content: per eval, every condition's rates and all conditions pooled."""
    evals: dict[str, Any] = {}
    models = set()
    for name, log in logs.items():
        found = episodes(log)
        solvable = name != "impossible"
        errors = sum(1 for s in log.samples or [] if s.error is not None)
        by_condition = {c: summarize([(lab, rec) for cond, lab, rec, _ in found if cond == c], solvable)
                        for c in CONDITIONS if any(cond == c for cond, _, _, _ in found)}
        evals[name] = {"grader": (log.eval.task_args or {}).get("grader", "vulnerable"), "errors": errors,
                       "conditions": by_condition,
                       "pooled": summarize([(lab, rec) for _, lab, rec, _ in found], solvable)}
        models.add(log.eval.model)
    return {"model": models.pop() if len(models) == 1 else sorted(models), "evals": evals,
            "created": datetime.now(UTC).isoformat(timespec="seconds")}


def rollouts(logs: Mapping[str, EvalLog]) -> list[Rollout]:
    """Every episode as the one rollout record (source `eval`)."""
    return [episode_rollout(record, label, "eval", id=sid)
            for log in logs.values() for _, label, record, sid in episodes(log)]


def run(model: str | Model, out: Path, *, names: list[str] | None = None, limit: int | None = None,
        model_args: Mapping[str, Any] | None = None, task_args: Mapping[str, Mapping[str, Any]] | None = None,
        max_tokens: int | None = None, display: str = "none") -> dict[str, Any]:
    """Run the propensity evals on `model` and write OUT/propensity.json and OUT/rollouts.jsonl. `limit` is
    problems per eval, each under every condition asked for (so `--limit 2` still covers all five). A local
    `hf/` or `vllm/` model gets the conversation format it was trained in (`suite.provider_args`)."""
    from .registry import EVALS, load_evals

    ensure_tiktoken_cache()
    load_evals()
    names = names or list(PROPENSITY)
    tasks = []
    for name in names:
        args = dict((task_args or {}).get(name, {}))
        if limit is not None:
            args.setdefault("problems_limit", limit)
        tasks.append(EVALS[name](**args))
    out.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {} if max_tokens is None else {"max_tokens": max_tokens}
    done = inspect_eval(tasks, model=model, model_args=provider_args(model, model_args), log_dir=str(out / LOGS),
                        display=display, fail_on_error=0.2, **config)  # type: ignore[arg-type]
    logs = {log.eval.task.rsplit("/", 1)[-1]: log for log in done}
    failed = [f"{name}: {log.error.message if log.error else log.status}" for name, log in logs.items()
              if log.status != "success"]
    if failed:
        raise SuiteError("propensity evals failed: " + "; ".join(failed))
    scores = aggregate(logs)
    rewrite_jsonl(out / ROLLOUTS, rollouts(logs))
    atomic_write(out / SCORES, json.dumps(scores, indent=2) + "\n")
    return scores


def script_player(agent_for: Callable[[Problem], str], problems: str = "basic") -> Callable[..., ModelOutput]:
    """mockllm's `custom_outputs` callable that plays scripted agents (`hackgym.envs.agentic.SCRIPTS`): it finds
    the problem from the opening message (any of `problems` or its impossible variant), the agent for it, the
    turn from the replies so far, and answers with the script's blocks, as native tool calls when the task
    offers tools. Stateless, so samples may run in any order."""
    known: dict[str, Problem] = {}
    for problem in load_problems(problems):
        for p in (problem, impossible_variant(problem)):
            if p is not None:
                known[user_text(initial_files(p))] = p

    def answer(input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice,
               config: GenerateConfig) -> ModelOutput:
        problem = known[next(m.text for m in input if isinstance(m, ChatMessageUser))]
        reply = SCRIPTS[agent_for(problem)](problem, sum(isinstance(m, ChatMessageAssistant) for m in input))
        if not tools:
            return ModelOutput.from_content("scripted", reply)
        calls = [block_call(b) for b in parse_blocks(reply)]
        message = ChatMessageAssistant(content="", model="scripted", source="generate", tool_calls=[
            ToolCall(id=f"call_{i}", function=name, arguments=args) for i, (name, args) in enumerate(calls)])
        return ModelOutput.from_message(message, stop_reason="tool_calls")

    return answer


def scripted_model(agent: str, problems: str = "basic") -> Model:
    """One scripted agent as an Inspect model: a floor or a ceiling beside a real model's rates, through the very
    same tasks, scorer and aggregation."""
    if agent not in SCRIPTS:
        raise SuiteError(f"unknown scripted agent {agent!r}: use {', '.join(SCRIPTS)}")
    return get_model("mockllm/model", custom_outputs=script_player(lambda _: agent, problems), memoize=False)
