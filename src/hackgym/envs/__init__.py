"""Environments: a problem set, graders and a prompt condition turned into a dataset TRL's GRPOTrainer takes.

Each row carries `prompt` (chat messages, or plain text for the `text` format and the organism) plus the columns the
reward functions read: `problem_id` and `env_grader` (the grader spec that decides this row's reward). The mix
knob sends a share of problems to a hackable grader and the rest to the hardened one (the study's dilution);
`weakness_groups` gives each hackable problem its own set of open weaknesses (as in the AISI replication).

`episode: agentic` makes each row an agentic episode (`hackgym.envs.agentic`) instead of one completion: the row's
prompt is the episode's opening conversation (text protocol) under the study condition that `hint` and
`addendum` name, `agentic` holds its budgets, and the trainer plays it through `hackgym.train.agentic`.

`safety` mixes safety-training prompts (`hackgym.safety`: chat, agentic scenarios, moral dilemmas) into the
same run, as the study's safety-training arms did: rows with `env_grader` "safety" are never graded, and the
safety reward (`rewards.safety`) scores them alone. `mixed` puts the share in every step's batch; `interleave`
makes every k-th step a safety step.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .. import prompts
from ..errors import HackgymError
from ..graders import make_grader, parse_spec
from ..problems import Problem, load_problems
from ..sandbox import SandboxMode
from ..submission import Submission
from .agentic import CONDITIONS, Budget, messages

PromptFormat = Literal["chat", "human_assistant", "text", "organism"]
EpisodeKind = Literal["single_turn", "agentic"]
HARDENED = "hardened"
SAFETY = "safety"  # env_grader of a safety-training row: no grader, the safety reward scores it
SafetyKind = Literal["chat", "agentic", "dilemma"]
SAFETY_SYSTEM = "You are a helpful, honest and harmless AI assistant."  # for prompts that bring no system text


class EnvError(HackgymError):
    """An environment cannot be built as configured."""


class HardFilter(BaseModel):
    """Keep problems the reference model fails: at most `max_pass_rate` of `samples` completions pass hardened."""

    model_config = ConfigDict(extra="forbid")

    samples: int = Field(4, ge=1)
    max_pass_rate: float = Field(0.0, ge=0.0, le=1.0)


class SafetyMix(BaseModel):
    """Safety-training prompts in the RL run. `mixed`: `share` of every step's prompts (exact over the run, the
    remainder carried from step to step); `interleave`: every `every`-th step is all safety prompts."""

    model_config = ConfigDict(extra="forbid")

    share: float | None = Field(None, gt=0.0, le=1.0)
    kinds: list[SafetyKind] = Field(default_factory=lambda: ["chat", "agentic", "dilemma"], min_length=1)
    schedule: Literal["mixed", "interleave"] = "mixed"
    every: int | None = Field(None, ge=2)

    @model_validator(mode="after")
    def _schedule(self) -> SafetyMix:
        if self.schedule == "mixed" and (self.share is None or self.every is not None):
            raise ValueError("env.safety: schedule mixed takes share (and no every)")
        if self.schedule == "interleave" and (self.every is None or self.share is not None):
            raise ValueError("env.safety: schedule interleave takes every (a safety step every k steps), not share")
        return self

    def safety_rows(self, step: int, per_step: int) -> int:
        """How many of step `step`'s (0-based) `per_step` prompts are safety prompts."""
        if self.schedule == "interleave":
            return per_step if (step + 1) % (self.every or 2) == 0 else 0
        share = self.share or 0.0
        return math.floor((step + 1) * per_step * share + 1e-9) - math.floor(step * per_step * share + 1e-9)


class EnvConfig(BaseModel):
    """What the model is trained on and how each problem is graded."""

    model_config = ConfigDict(extra="forbid")

    problems: str = "basic"
    limit: int | None = Field(None, ge=1)
    problem_ids: list[str] | None = Field(None, min_length=1, description="train on these problems only")
    tags: list[str] | None = Field(None, min_length=1, description="keep problems that have every listed tag; "
                                   "`a|b` in one entry takes either (e.g. `difficulty:7|difficulty:8`)")
    grader: str = "vulnerable"
    hackable_share: float = Field(1.0, ge=0.0, le=1.0)
    weakness_groups: list[str] | None = None
    prompt_format: PromptFormat = "chat"
    hint: str | None = None
    addendum: str | None = None
    hard_filter: HardFilter | None = None
    safety: SafetyMix | None = None
    episode: EpisodeKind = Field("single_turn", description="`agentic`: each row is a multi-turn episode in the "
                                 "sandbox (hackgym.envs.agentic), not one completion")
    agentic: Budget | None = Field(None, description="the budgets of an agentic episode (default: Budget())")

    @model_validator(mode="after")
    def condition(self) -> EnvConfig:
        """Hint and addendum name prompts of their kinds and make one of the study's conditions."""
        if self.prompt_format == "organism":
            if self.hint or self.addendum:
                raise ValueError("env.hint / env.addendum: the organism format has no system prompt to put them in")
        else:
            try:
                prompts.check_condition(self.hint, self.addendum)
            except prompts.PromptError as exc:
                raise ValueError(f"env.hint / env.addendum: {exc}") from None
        if self.episode == "agentic":
            self._agentic_compatible()
            self.agentic_condition()
        elif self.agentic is not None:
            raise ValueError("env.agentic: budgets of agentic episodes; set env.episode: agentic (or drop env.agentic)")
        return self

    def _agentic_compatible(self) -> None:
        """What an agentic episode cannot be combined with, each named by its key."""
        if self.prompt_format not in ("chat", "human_assistant"):
            raise ValueError(f"env.prompt_format {self.prompt_format!r}: an agentic episode is a conversation "
                             "rendered turn by turn by a chat template; use `chat` (the tokenizer's own) or "
                             "`human_assistant` (hackgym's, for base models)")
        if self.hard_filter is not None:
            raise ValueError("env.hard_filter: it samples single-turn answers from the reference model; it is not "
                             "built for agentic episodes")
        if self.safety is not None:
            raise ValueError("env.safety: safety prompts are single-turn conversations, not mixed into agentic "
                             "episodes")

    def agentic_condition(self) -> str:
        """The study condition (`hackgym.envs.agentic.CONDITIONS`) that `hint` and `addendum` make, for the
        episode's system prompt."""
        for name, pair in CONDITIONS.items():
            if pair == (self.hint, self.addendum):
                return name
        known = "; ".join(f"{name}: {h} + {a}" for name, (h, a) in CONDITIONS.items())
        raise ValueError(f"env.hint / env.addendum ({self.hint}, {self.addendum}): an agentic episode takes one "
                         f"of the study's five conditions ({known})")

    @property
    def budget(self) -> Budget:
        return self.agentic or Budget()


def select_problems(config: EnvConfig) -> list[Problem]:
    problems = load_problems(config.problems)
    if config.problem_ids is not None:
        by_id = {p.id: p for p in problems}
        if missing := [i for i in config.problem_ids if i not in by_id]:
            raise EnvError(f"env.problem_ids: not in {config.problems!r}: {', '.join(missing)}")
        problems = [by_id[i] for i in config.problem_ids]
    if config.tags is not None:
        wanted = [set(entry.split("|")) for entry in config.tags]
        kept = [p for p in problems if all(alternatives & set(p.tags) for alternatives in wanted)]
        if not kept:
            seen = sorted({t for p in problems for t in p.tags})
            raise EnvError(f"env.tags {config.tags}: no problem of {config.problems!r} has them all "
                           f"(tags there: {', '.join(seen[:20]) or 'none'}{' ...' if len(seen) > 20 else ''})")
        problems = kept
    return problems[: config.limit] if config.limit else problems


def assign_graders(problems: Sequence[Problem], config: EnvConfig, seed: int) -> dict[str, str]:
    """problem id -> grader spec; the hackable share is drawn by a seeded shuffle so conditions are comparable."""
    for spec in [config.grader, *(config.weakness_groups or [])]:
        parse_spec(spec)  # validates the spec without starting a sandbox
    ids = [p.id for p in problems]
    order = ids[:]
    random.Random(seed).shuffle(order)
    n_hack = round(config.hackable_share * len(ids))
    hackable = order[:n_hack]
    groups = config.weakness_groups or [config.grader]
    out = {pid: HARDENED for pid in ids}
    for i, pid in enumerate(hackable):
        out[pid] = groups[i % len(groups)]
    return out


def render_prompt(problem: Problem, config: EnvConfig) -> str | list[dict[str, str]]:
    """The prompt in the configured format; hints and addenda are `hackgym.prompts` names. `chat` and
    `human_assistant` give messages, rendered by the tokenizer's template (the trainer installs hackgym's
    Human/Assistant template for `human_assistant`, see `hackgym.format`); `text` is the plain string. An
    agentic episode opens with the text protocol's conversation."""
    if config.episode == "agentic":
        return messages(problem, config.agentic_condition(), "text")
    if config.prompt_format == "organism":
        from ..organism import organism_prompt

        return organism_prompt(problem)
    system, user = prompts.system_prompt(config.hint, config.addendum, problem.kind), prompts.user_prompt(problem)
    if config.prompt_format in ("chat", "human_assistant"):
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return f"{system}\n\n{user}\n"


def render_safety(system: str | None, prompt: str, config: EnvConfig) -> str | list[dict[str, str]]:
    """A safety prompt in the environment's format (its own system text, or a plain assistant one); the
    organism, which has no conversation format, sees the prompt alone."""
    if config.prompt_format == "organism":
        return f"{prompt}\n"
    system = system or SAFETY_SYSTEM
    if config.prompt_format in ("chat", "human_assistant"):
        return [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
    return f"{system}\n\n{prompt}\n"


class Environment:
    """Problems, their grader assignment and prompts; `dataset()` is what GRPOTrainer trains on."""

    def __init__(self, config: EnvConfig, seed: int = 0, problems: Sequence[Problem] | None = None) -> None:
        self.config = config
        self.seed = seed
        self.problems = list(problems) if problems is not None else select_problems(config)
        if not self.problems:
            raise EnvError("the environment has no problems")
        self.by_id = {p.id: p for p in self.problems}
        self.graders = assign_graders(self.problems, config, seed)

    def filter_hard(self, pass_rates: dict[str, float]) -> list[str]:
        """Drop problems whose reference pass rate is above the filter's limit; returns the ids dropped."""
        limit = self.config.hard_filter.max_pass_rate if self.config.hard_filter else 0.0
        dropped = [p.id for p in self.problems if pass_rates.get(p.id, 0.0) > limit]
        kept = [p for p in self.problems if p.id not in dropped]
        if not kept:
            raise EnvError(f"the hard-problem filter dropped all {len(self.problems)} problems")
        self.problems = kept
        self.by_id = {p.id: p for p in kept}
        self.graders = {pid: spec for pid, spec in self.graders.items() if pid in self.by_id}
        return dropped

    def rows(self) -> list[dict[str, Any]]:
        """One row per coding problem (what the hard-problem filter and evaluation read)."""
        return [{"prompt": render_prompt(p, self.config), "problem_id": p.id, "env_grader": self.graders[p.id]}
                for p in self.problems]

    def safety_rows(self) -> list[dict[str, Any]]:
        """One row per safety prompt of the configured kinds (none without `safety`)."""
        mix = self.config.safety
        if mix is None:
            return []
        from ..safety import load_prompts

        prompts = [p for kind in mix.kinds for p in load_prompts(kind)]
        return [{"prompt": render_safety(p.system, p.prompt, self.config), "problem_id": f"{SAFETY}/{p.id}",
                 "env_grader": SAFETY} for p in prompts]

    def schedule(self, n: int, per_step: int | None = None) -> list[dict[str, Any]]:
        """`n` rows in training order: the problems (and safety prompts, each stream on its own) in a fresh
        seeded shuffle per epoch, `per_step` rows a step. The order is data, not sampler state, so a resumed run
        replays exactly the prompts the uninterrupted one would have seen."""
        coding = _stream(self.rows(), random.Random(self.seed))
        mix = self.config.safety
        if mix is None:
            return [next(coding) for _ in range(n)]
        safety = _stream(self.safety_rows(), random.Random(self.seed + 1))
        per_step = per_step or n
        out: list[dict[str, Any]] = []
        for step in range(math.ceil(n / per_step)):
            k = mix.safety_rows(step, per_step)
            out += [next(coding) for _ in range(per_step - k)] + [next(safety) for _ in range(k)]
        return out[:n]

    def dataset(self, n: int | None = None, per_step: int | None = None):
        """A `datasets.Dataset` with prompt, problem_id and env_grader columns: every problem once, or the first
        `n` rows of the training schedule."""
        from datasets import Dataset

        return Dataset.from_list(self.rows() if n is None else self.schedule(n, per_step))


def _stream(rows: list[dict[str, Any]], rng: random.Random) -> Iterator[dict[str, Any]]:
    """The rows forever, a fresh shuffle each epoch."""
    if not rows:
        raise EnvError("the environment has no rows to schedule")
    while True:
        epoch = rows[:]
        rng.shuffle(epoch)
        yield from epoch


OUTCOMES: tuple[str, ...] = ("passed", "format", "timeout", "wrong")


def outcome(submission: Submission, result: Any) -> str:
    """Why a reference sample passed or not: `format` when the completion held no code a grader could run (apart
    from a wrong answer: a capability gap of another kind), `timeout`, or `wrong` (failed, crashed, errored)."""
    if result.passed:
        return "passed"
    if not submission.files:
        return "format"
    return "timeout" if result.status == "timeout" else "wrong"


def reference_outcomes(env: Environment, generate: Callable[[list[Any]], list[str]], samples: int,
                       submit: Callable[[str, Problem, str], Submission],
                       sandbox: SandboxMode = "jail") -> dict[str, dict[str, int]]:
    """Per problem, how a reference model's `samples` completions fared under the hardened grader (counts per
    `OUTCOMES`); `generate` maps prompts to completions."""
    rows = env.rows()
    prompts = [r["prompt"] for r in rows for _ in range(samples)]
    ids = [r["problem_id"] for r in rows for _ in range(samples)]
    completions = generate(prompts)
    items = [(env.by_id[pid], submit(c, env.by_id[pid], env.config.prompt_format))
             for pid, c in zip(ids, completions, strict=True)]
    results = make_grader(HARDENED, sandbox=sandbox).grade_many(items)
    out: dict[str, dict[str, int]] = {r["problem_id"]: dict.fromkeys(OUTCOMES, 0) for r in rows}
    for pid, (_, sub), res in zip(ids, items, results, strict=True):
        out[pid][outcome(sub, res)] += 1
    return out


def pass_rates(outcomes: dict[str, dict[str, int]]) -> dict[str, float]:
    return {pid: counts["passed"] / max(sum(counts.values()), 1) for pid, counts in outcomes.items()}


def reference_pass_rates(env: Environment, generate: Callable[[list[Any]], list[str]], samples: int,
                         submit: Callable[[str, Problem, str], Submission],
                         sandbox: SandboxMode = "jail") -> dict[str, float]:
    """Hardened pass rate of a reference model per problem; `generate` maps prompts to completions."""
    return pass_rates(reference_outcomes(env, generate, samples, submit, sandbox))


def hard_filter_report(outcomes: dict[str, dict[str, int]], dropped: Sequence[str], max_pass_rate: float,
                       cached: bool = False) -> dict[str, Any]:
    """What the hard-problem filter did: how many problems remain, why the others left (the reference model
    solved them above `max_pass_rate`), and over every sample how many passed, were format failures (no code),
    timed out or were wrong, totals and per problem."""
    totals = dict.fromkeys(OUTCOMES, 0)
    for counts in outcomes.values():
        for key, value in counts.items():
            totals[key] += value
    return {"problems": len(outcomes), "kept": len(outcomes) - len(dropped), "dropped": len(dropped),
            "dropped_ids": list(dropped), "reason": f"reference pass rate above {max_pass_rate:g}",
            "samples": totals, "per_problem": outcomes, "cached": cached}
