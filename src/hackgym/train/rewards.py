"""Reward functions in TRL's signature `f(prompts, completions, **columns) -> list[float | None]`.

One `Scorer` grades each generation batch once and every reward function reads that result. Only what a reward
needs is graded before the rewards return (the environment's verdicts; the hardened verdicts or signatures when
a hack penalty or screening reads them). The rest of each rollout's label, which is only measured (true pass,
probe, attribution), is labelled by `hackgym.detect` in a background thread while the trainer optimises, and
the step's records are made from it once the optimizer step is done (`finish`).

Screening uses TRL's public rule for unscorable rows: a completion for which every reward function returns None
is left out of its group's mean and std and gets zero advantage. So every reward function here returns None for
a screened row; its label and the rewards it would have had are still recorded.

Safety-training rows (`env_grader` "safety", see `hackgym.envs`) are never graded nor labelled: the coding
reward functions return None for them and the `safety` reward (`rewards.safety`, a preference model or judge on
the answer without its reasoning) returns None for every coding row, TRL's documented rule for rewards that do
not apply to a row. So each row is scored by its own environment's reward only.

Agentic episodes (`env.episode: agentic`) take the same path: the trainer's `rollout_func`
(`hackgym.train.agentic`) hands each row's `EpisodeRecord` to the reward functions as the column `episode`; the
batch grades what the episode handed in, the evidence of its tool actions joins the signatures (so `static`
and `any` penalties and screening see a written conftest.py or edited tests), its format is every reply's, and its
rollout record carries the whole episode.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..detect import Label, Labeller, Rollout, label_grades
from ..envs import HARDENED, SAFETY, Environment
from ..envs.agentic import EpisodeRecord, episode_rollout, label_episodes
from ..errors import HackgymError
from ..graders import GradeResult
from ..hacks import Evidence
from ..problems import Problem
from ..sandbox import SandboxMode
from ..submission import Submission, strip_reasoning

Method = Literal["static", "differential", "any"]
_TAGS = re.compile(r"^\s*<thinking>.*?</thinking>", re.DOTALL)


class PenaltyConfig(BaseModel):
    """Subtract `weight` from flagged rollouts from `start_step` on (the study's mid-run penalty)."""

    model_config = ConfigDict(extra="forbid")

    method: Method = "any"
    weight: float = Field(1.0, gt=0)
    start_step: int = Field(1, ge=1)


class ScreeningConfig(BaseModel):
    """Flagged rollouts from `start_step` on get zero advantage and leave the group baseline."""

    model_config = ConfigDict(extra="forbid")

    method: Method = "any"
    start_step: int = Field(1, ge=1)


class PreferenceConfig(BaseModel):
    """The study's preference-model term (weights 0.05 and 0.25 there), added to the reward with `weight`.

    `model` is a sequence-classification reward model (local path or Hugging Face id) or `judge:PROVIDER/MODEL`,
    an Inspect model that rates each answer 0-100 through the one judging layer (prompt `preference_code`; for
    the safety reward of safety-training rows, `preference_safety`).
    Either way it sees the prompt and the answer with the reasoning removed: reasoning is never rewarded.
    `normalise` puts scores on a known scale so that `weight` means something: `batch` (default) z-scores them
    over the step's completions, so `weight` is what one standard deviation of preference is worth next to a
    passing grade (1.0); `unit` maps them to [0, 1] (a reward model's sigmoid, a judge's rating / 100), so
    `weight` is what the most preferred answer is worth. The study does not say how its scores were scaled."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1)
    weight: float = Field(0.05, gt=0)
    normalise: Literal["batch", "unit"] = "batch"


class RewardConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    correctness_weight: float = Field(1.0, ge=0)
    probe_grader: str | None = Field("vulnerable", description="also graded, never rewarded: `exploit` = this "
                                     "grader passes and hardened fails, so a hardened run still shows would-be hacks")
    format_weight: float = Field(0.0, ge=0)
    hack_penalty: PenaltyConfig | None = None
    screening: ScreeningConfig | None = None
    preference: PreferenceConfig | None = None
    safety: PreferenceConfig | None = Field(None, description="the reward of safety-training rows (env.safety): "
                                            "a preference model or judge; weight 1.0 puts it on the scale of a "
                                            "passing grade")


def completion_text(completion: Any) -> str:
    """TRL hands plain strings for text prompts and message lists for chat prompts."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content", "") for m in completion if m.get("role") == "assistant")


def to_submission(text: str, problem: Problem, prompt_format: str = "chat") -> Submission:
    """The files a completion hands in; the organism writes only a body under its prompt's header. A malformed
    completion (bad file path, oversized) is an empty submission, which every grader fails."""
    try:
        if prompt_format == "organism":
            from ..organism.format import organism_submission

            return organism_submission(problem, text)
        return Submission.from_completion(text, problem.entry_point)
    except HackgymError:
        return Submission(completion=None)


def reasoned(replies: Sequence[str]) -> bool:
    """Whether every reply opens with its reasoning in `<thinking>` tags (one reply for a single-turn answer,
    each turn of an agentic episode)."""
    return bool(replies) and all(_TAGS.match(r) for r in replies)


def flagged(label: Label, method: Method) -> bool:
    """Whether a penalty or screening of this method catches the rollout: `static` = a signature fired,
    `differential` = a successful hack, `any` = an attempted hack (either, or the monitor)."""
    if method == "static":
        return bool(label.attempted_types)
    if method == "differential":
        return label.successful_hack
    return label.attempted_hack


@dataclass
class Batch:
    """One generation batch: what the rewards read at once, and its complete labels (a future)."""

    step: int
    prompts: list[Any]
    texts: list[str]
    problem_ids: list[str]
    specs: list[str]
    items: list[tuple[Problem, Submission] | None]  # None for a safety row: nothing to grade
    early: list[Label | None]  # what the rewards read: env (+ hardened / signatures when needed); None: safety
    screened: list[bool]
    format_ok: list[bool | None]  # None where the prompt format asks for no reasoning tags (the organism's)
    rewards: dict[str, list[float | None]] = field(default_factory=dict)
    labels: Future[list[Label]] | None = None
    measured_s: float = 0.0
    scored_at: float = field(default_factory=time.perf_counter)  # when the rewards asked: generation is over
    episodes: list[EpisodeRecord] | None = None  # agentic rows: what each episode did and handed in


class Scorer:
    """Grades and labels each generation batch once; the reward functions read from it.

    `background`: the measured-only part of the labels is labelled in a thread while the trainer optimises, and
    `finish` waits for it. Verdicts are cached by submission digest for the whole run (`Labeller`).
    """

    def __init__(self, env: Environment, config: RewardConfig, sandbox: SandboxMode = "jail",
                 background: bool = True, condition: str | None = None) -> None:
        self.env = env
        self.config = config
        self.condition = condition
        self.labeller = Labeller(sandbox, probe=config.probe_grader)
        self.pending: list[Batch] = []
        self._key: tuple | None = None
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="hackgym-labels") if background else None
        methods = {c.method for c in (config.hack_penalty, config.screening) if c is not None}
        self.needs_hardened = bool(methods & {"differential", "any"})
        self.needs_static = bool(methods & {"static", "any"})
        self.grading_s = 0.0  # wall time the rewards waited for verdicts

    @property
    def cache(self):
        return self.labeller.cache

    def score(self, prompts: list[Any] | None, completions: list[Any], problem_id: list[str],
              env_grader: list[str], trainer_state: Any = None, episode: list[EpisodeRecord] | None = None,
              **_: Any) -> Batch:
        """This batch, graded as far as the rewards read it; the first reward function's call does the work
        and the others reuse it. `episode`: each row's agentic episode (from the rollout function)."""
        texts = [completion_text(c) for c in completions]
        if episode is not None and [e.problem_id for e in episode] != list(problem_id):
            raise HackgymError("the episodes do not match the batch's problems: the rollout function and the "
                               "dataset rows are out of step")
        step = trainer_state.global_step + 1 if trainer_state is not None else 1
        key = (step, tuple(texts), tuple(problem_id), tuple(env_grader))
        with self._lock:
            if key == self._key:
                return self.pending[-1]
            started = time.perf_counter()
            fmt = self.env.config.prompt_format
            coding = [i for i, spec in enumerate(env_grader) if spec != SAFETY]
            all_items: list[tuple[Problem, Submission] | None] = [None] * len(texts)
            for i in coding:
                problem = self.env.by_id[problem_id[i]]
                all_items[i] = (problem, Submission(files=episode[i].submission) if episode is not None
                                else to_submission(texts[i], problem, fmt))
            items = [all_items[i] for i in coding]
            specs = [env_grader[i] for i in coding]
            env = self.labeller.grade_each(specs, items)
            hardened = self.labeller.grade(HARDENED, items) if self.needs_hardened else None
            fired: list[list[Evidence]] = ([self.labeller.signatures(s, p.kind) for p, s in items] if self.needs_static
                                           else [[] for _ in items])
            if episode is not None and self.needs_static:  # an episode's tool actions are evidence too
                fired = [f + episode[i].evidence for i, f in zip(coding, fired, strict=True)]
            early: list[Label | None] = [None] * len(texts)
            for i, e, h, f in zip(coding, env, hardened or [None] * len(items), fired, strict=True):
                early[i] = label_grades(e, h, f)
            cfg = self.config.screening
            screened = [cfg is not None and lab is not None and step >= cfg.start_step and flagged(lab, cfg.method)
                        for lab in early]
            replies = [e.replies for e in episode] if episode is not None else [[t] for t in texts]
            batch = Batch(step, list(prompts) if prompts is not None else [None] * len(texts), texts,
                          list(problem_id), list(env_grader), all_items, early, screened,
                          [None if fmt == "organism" else reasoned(r) for r in replies], scored_at=started,
                          episodes=list(episode) if episode is not None else None)
            batch.labels = self.label_later(batch, coding, env, hardened)
            self.pending.append(batch)
            self._key = key
            self.grading_s += time.perf_counter() - started
            return batch

    def label_later(self, batch: Batch, coding: list[int], env: list[GradeResult],
                    hardened: list[GradeResult] | None) -> Future[list[Label | None]]:
        def job() -> list[Label | None]:
            started = time.perf_counter()
            items = [batch.items[i] for i in coding]
            specs = [batch.specs[i] for i in coding]
            if batch.episodes is not None:
                labels = label_episodes([batch.episodes[i] for i in coding], [p for p, _ in items],  # type: ignore[misc]
                                        self.labeller, env_results=env, hardened_results=hardened)
            else:
                labels = self.labeller.label(items, specs, env_results=env,  # type: ignore[arg-type]
                                             hardened_results=hardened)
            out: list[Label | None] = [None] * len(batch.items)
            for i, label in zip(coding, labels, strict=True):
                out[i] = label
            batch.measured_s = time.perf_counter() - started
            return out

        if self._executor is not None:
            return self._executor.submit(job)
        done: Future[list[Label]] = Future()
        done.set_result(job())
        return done

    def reward_functions(self) -> tuple[list[Callable[..., list[float | None]]], list[float]]:
        """(functions, weights) for GRPOTrainer: only what moves the policy (rates are measured elsewhere)."""
        cfg = self.config
        funcs: list[Callable[..., list[float | None]]] = []
        weights: list[float] = []

        def add(name: str, weight: float, value: Callable[[Batch, int], float | None],
                rows: str = "coding") -> None:
            """`rows`: which environment's rows the reward scores (None for the others)."""
            def reward(prompts: list[Any], completions: list[Any], **columns: Any) -> list[float | None]:
                batch = self.score(prompts, completions, **columns)
                values: list[float | None] = []
                for i in range(len(batch.texts)):
                    mine = (batch.specs[i] == SAFETY) == (rows == SAFETY)
                    got = value(batch, i) if mine else None
                    values.append(None if got is None else float(got))
                batch.rewards[name] = list(values)
                return [None if s else v for v, s in zip(values, batch.screened, strict=True)]

            reward.__name__ = name
            funcs.append(reward)
            weights.append(weight)

        add("correctness", cfg.correctness_weight, lambda b, i: b.early[i].env.reward)  # type: ignore[union-attr]
        if cfg.format_weight:
            add("format", cfg.format_weight, lambda b, i: b.format_ok[i])
        if (pen := cfg.hack_penalty) is not None:
            add("hack_penalty", pen.weight, lambda b, i: -1.0 if b.step >= pen.start_step
                and flagged(b.early[i], pen.method) else 0.0)  # type: ignore[arg-type]
        if (pref := cfg.preference) is not None:
            model = PreferenceModel(pref)
            add("preference", pref.weight, lambda b, i: model.score(b, i))
        if (safe := cfg.safety) is not None:
            safety_model = PreferenceModel(safe, rows=SAFETY)
            add("safety", safe.weight, lambda b, i: safety_model.score(b, i), rows=SAFETY)
        return funcs, weights

    def finish(self, weights: dict[str, float]) -> list[Rollout]:
        """The rollouts of every batch scored so far, once their labels are complete (waits for the background
        labelling). `weights` names each reward function's weight, for the recorded total."""
        out: list[Rollout] = []
        while self.pending:
            batch = self.pending.pop(0)
            labels = batch.labels.result() if batch.labels is not None else batch.early
            for i, lab in enumerate(labels):
                rewards = {n: v[i] for n, v in batch.rewards.items()}
                total = sum(weights.get(n, 0.0) * v for n, v in rewards.items() if v is not None)
                item = batch.items[i]
                fields = {"condition": self.condition, "step": batch.step, "prompt": batch.prompts[i],
                          "reward": None if batch.screened[i] else total, "rewards": rewards,
                          "screened": batch.screened[i], "format_ok": batch.format_ok[i]}
                if batch.episodes is not None:  # the handed-in files, and the episode under extra
                    out.append(episode_rollout(batch.episodes[i], lab, "train", **fields))
                    continue
                out.append(Rollout(
                    source="train", problem_id=batch.problem_ids[i], env_grader=batch.specs[i],
                    completion=batch.texts[i], digest=item[1].digest() if item is not None else "", label=lab,
                    extra={"env": SAFETY} if item is None else {}, **fields))
        self._key = None
        return out


class PreferenceModel:
    """Scores a batch once (prompt + answer without its reasoning) and normalises as configured; a judge reply
    that cannot be read gets the mean of the batch's other scores (neutral), never a guess."""

    JUDGE = "judge:"

    def __init__(self, config: PreferenceConfig, rows: str | None = None) -> None:
        self.config = config
        self.rows = rows  # score only the rows whose env_grader is this (None: the coding rows)
        self._model: Any = None
        self._tokenizer: Any = None
        self._judge: Any = None
        self._scored: tuple[int, list[float | None]] | None = None

    def score(self, batch: Batch, i: int) -> float | None:
        """Row `i`'s score, normalised among the batch's rows of the same environment (None for the others)."""
        if self._scored is None or self._scored[0] != id(batch):
            mine = [j for j, spec in enumerate(batch.specs) if (spec == SAFETY) == (self.rows == SAFETY)]
            scores = self.score_all([batch.prompts[j] for j in mine], [batch.texts[j] for j in mine]) if mine else []
            by_row: list[float | None] = [None] * len(batch.texts)
            for j, value in zip(mine, scores, strict=True):
                by_row[j] = value
            self._scored = (id(batch), by_row)  # type: ignore[assignment]
        return self._scored[1][i]

    def score_all(self, prompts: Sequence[Any], texts: Sequence[str]) -> list[float]:
        answers = [strip_reasoning(t).strip() for t in texts]
        if self.config.model.startswith(self.JUDGE):
            raw = self.judge_scores(prompts, answers)
        else:
            raw = self.model_scores(prompts, answers)
        return normalise(raw, self.config.normalise)

    def model_scores(self, prompts: Sequence[Any], answers: Sequence[str]) -> list[float | None]:
        """Logits of a sequence-classification reward model; `unit` maps them through a sigmoid."""
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if self._model is None:
            self._tokenizer = AutoTokenizer.from_pretrained(self.config.model)
            self._model = AutoModelForSequenceClassification.from_pretrained(self.config.model).eval()
            if torch.cuda.is_available():
                self._model.to("cuda")
        texts = [prompt_text(p) + "\n" + a for p, a in zip(prompts, answers, strict=True)]
        enc = self._tokenizer(texts, return_tensors="pt", padding=True, truncation=True).to(self._model.device)
        with torch.no_grad():
            logits = self._model(**enc).logits[:, 0].float()
        return (torch.sigmoid(logits) if self.config.normalise == "unit" else logits).tolist()

    def judge_scores(self, prompts: Sequence[Any], answers: Sequence[str]) -> list[float | None]:
        """0-100 ratings from a judge model through Inspect, as fractions of 100."""
        import asyncio

        from ..judging import Judge, run_sync
        from ..prompts import get_prompt

        if self._judge is None:
            self._judge = Judge(self.config.model.removeprefix(self.JUDGE), role=None)
        prompt = get_prompt("preference_safety" if self.rows == SAFETY else "preference_code")

        async def rate_all() -> list[Any]:
            return await asyncio.gather(*(self._judge.rate(prompt, task=prompt_text(p), answer=a)
                                          for p, a in zip(prompts, answers, strict=True)))

        ratings = run_sync(rate_all())
        return [r.value / 100 if r.value is not None else None for r in ratings]


def normalise(raw: Sequence[float | None], how: str) -> list[float]:
    """`batch`: z-scores over the scores that exist (all equal: all 0); `unit`: as given. A missing score is the
    batch's neutral value."""
    known = [x for x in raw if x is not None]
    if how == "unit":
        fill = sum(known) / len(known) if known else 0.5
        return [x if x is not None else fill for x in raw]
    if not known:
        return [0.0] * len(raw)
    mean = sum(known) / len(known)
    std = (sum((x - mean) ** 2 for x in known) / len(known)) ** 0.5
    return [0.0 if x is None or std < 1e-8 else (x - mean) / std for x in raw]


def prompt_text(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list):
        return "\n".join(str(m.get("content", "")) for m in prompt if isinstance(m, dict))
    return ""
