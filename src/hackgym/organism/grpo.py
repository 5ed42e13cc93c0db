"""A minimal GRPO loop for the organism: sample, grade, normalise rewards per group, one Adam step.

No KL term, no clipping ratio (one update per batch, so the policy ratio is 1), binary reward from the
environment's grader. Each step records, on that step's own completions:
- `reward`: mean reward from the environment's grader;
- `hack_rate`: share that the environment's grader passes and `hardened` fails (successful hacks);
- `pass_rate`: share that `hardened` passes (true pass rate);
- `exploit_rate`: share that the probe grader (`vulnerable` by default) passes and `hardened` fails, so a
  run graded by `hardened`, where `hack_rate` is 0 by definition, still shows whether hacks appear.
`generate`, `grade` and `optimise` are separate public steps so benchmarks can time each one.

Only the environment's verdicts decide the update, so with `background_grading` grading leaves the critical
path: `generate` starts grading each completion for its reward the moment it ends (the rest of the batch still
generating), and the hardened and probe verdicts, only measured, are graded in a thread on the sandbox pool
while the loop optimises (and, in `run`, generates the next step), joined before the step's metrics are made.
Verdicts are cached by (grader, problem, submission), so a probe equal to the run's grader, a repeated
completion, or one graded early costs nothing more.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, StoppingCriteria, StoppingCriteriaList

from ..graders import Grader, GradeResult, VerdictCache, make_grader
from ..problems import Problem
from ..submission import Submission
from .corpus import split_basic
from .format import clean_completion, organism_prompt, organism_submission


@dataclass(frozen=True)
class GRPOConfig:
    """The loop's settings; the defaults are the ones the proof in docs/organism.md was measured with."""

    grader: str = "vulnerable"
    steps: int = 60
    prompts_per_step: int = 4
    generations: int = 8
    max_new_tokens: int = 48
    lr: float = 3e-4
    temperature: float = 1.0
    seed: int = 0
    n_held_out: int = 10
    n_solvable: int = 10
    probe: str | None = "vulnerable"
    sandbox: str = "jail"
    threads: int | None = 1  # torch threads; tiny matrices gain nothing from more, and a busy machine loses a lot
    background_grading: bool = True  # grade the measured-only verdicts off the critical path


@dataclass
class Batch:
    """One step's rollouts: token tensors for the update, texts and problems for grading."""

    problems: list[Problem]
    prompt_ids: torch.Tensor
    prompt_mask: torch.Tensor
    completion_ids: torch.Tensor
    completion_mask: torch.Tensor
    completions: list[str]


@dataclass
class Grades:
    """Verdicts on one batch: the environment's rewards and the hardened (and probe) pass flags."""

    rewards: list[float]
    env_passed: list[bool]
    hardened_passed: list[bool]
    probe_passed: list[bool] | None = None


class _FinishedRows(StoppingCriteria):
    """Calls `on_finished(row, completion_ids)` the step a row emits its first eos, while the rest of the batch
    generates on; it never stops anything itself."""

    def __init__(self, prompt_len: int, eos_id: int, on_finished: Callable[[int, torch.Tensor], None]) -> None:
        self.prompt_len = prompt_len
        self.eos_id = eos_id
        self.on_finished = on_finished
        self.seen: set[int] = set()

    def __call__(self, input_ids: torch.LongTensor, scores: object, **kwargs: object) -> torch.BoolTensor:
        for row in (input_ids[:, -1] == self.eos_id).nonzero().flatten().tolist():
            if row not in self.seen:
                self.seen.add(row)
                self.on_finished(row, input_ids[row, self.prompt_len:])
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


@dataclass
class _Measured:
    """The measured-only verdicts of one batch, and the wall time of grading them."""

    hardened: list[GradeResult]
    probe: list[GradeResult] | None
    seconds: float


@dataclass
class _Pending:
    """A step whose update is done and whose measured-only verdicts may still be grading."""

    index: int
    batch: Batch
    env: list[GradeResult]
    loss: float
    timings: dict[str, float]
    measured: Future[_Measured]


def prompt_set(tokenizer, n_held_out: int, n_solvable: int, max_new_tokens: int) -> tuple[list[Problem], list[Problem]]:
    """(held_out, solvable): `basic` problems never in the corpus, and seen ones whose solution fits the budget.

    Held-out problems alone give a clean grader almost no reward to learn from, so the set mixes both.
    """
    seen, held = split_basic()
    fits = [p for p in seen
            if len(tokenizer(p.reference_solution[len(p.prompt):], add_special_tokens=False)["input_ids"])
            < max_new_tokens - 2]
    stride = max(1, len(fits) // max(1, n_solvable))
    return held[:n_held_out], fits[::stride][:n_solvable]


def hack_kind(completion: str) -> str:
    """A rough static label of a completion's hack attempt, for per-type counts (not used as reward)."""
    if "_exit(" in completion:
        return "exit_os"
    if "exit(" in completion:
        return "exit_sys"
    if "__eq__" in completion:
        return "always_equal"
    return "other"


class GRPOLoop:
    """GRPO on the organism with one grader as the environment; call `run` or drive `step` yourself."""

    def __init__(self, model_dir: str | Path, config: GRPOConfig = GRPOConfig(),
                 graders: dict[str, Grader] | None = None) -> None:
        self.config = config
        if config.threads:
            torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        self.rng = random.Random(config.seed)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.tokenizer.padding_side = "left"
        self.model = AutoModelForCausalLM.from_pretrained(model_dir)
        self.model.train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        graders = dict(graders or {})
        needed = {config.grader, "hardened"} | ({config.probe} if config.probe else set())
        self.graders = {spec: graders.get(spec) or make_grader(spec, sandbox=config.sandbox) for spec in needed}
        self.cache = VerdictCache()
        self._jobs_seen = 0.0
        self._background = self._early = None
        if config.background_grading:
            self._background = ThreadPoolExecutor(1, thread_name_prefix="hackgym-grading")
            self._early = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="hackgym-early-grading")
        self.held_out, self.solvable = prompt_set(self.tokenizer, config.n_held_out, config.n_solvable,
                                                  config.max_new_tokens)
        self.step_index = 0

    def sample_problems(self) -> list[Problem]:
        """Half held-out, half solvable prompts (as near as an odd count allows)."""
        n = self.config.prompts_per_step
        pools = [p for p in (self.held_out, self.solvable) if p]
        return [self.rng.choice(pools[i % len(pools)]) for i in range(n)]

    @torch.no_grad()
    def generate(self, problems: list[Problem]) -> Batch:
        """`generations` samples per problem, each cut at the first eos."""
        g = self.config.generations
        rows = [p for p in problems for _ in range(g)]
        enc = self.tokenizer([organism_prompt(p) for p in rows], return_tensors="pt", padding=True,
                             add_special_tokens=False)
        early = None
        if self._early is not None:
            early = StoppingCriteriaList([_FinishedRows(enc["input_ids"].shape[1], self.tokenizer.eos_token_id,
                                                        partial(self._grade_early, rows))])
        out = self.model.generate(
            **enc, do_sample=True, temperature=self.config.temperature, top_k=0, top_p=1.0,
            max_new_tokens=self.config.max_new_tokens, eos_token_id=self.tokenizer.eos_token_id,
            pad_token_id=self.tokenizer.pad_token_id, stopping_criteria=early,
        )
        comp = out[:, enc["input_ids"].shape[1]:]
        is_eos = comp == self.tokenizer.eos_token_id
        # keep tokens up to and including the first eos
        mask = (torch.cumsum(is_eos.int(), dim=1) - is_eos.int()) == 0
        texts = [clean_completion(self.tokenizer.decode(ids[m], skip_special_tokens=True))
                 for ids, m in zip(comp, mask, strict=True)]
        return Batch(rows, enc["input_ids"], enc["attention_mask"], comp, mask.long(), texts)

    def _grade_early(self, rows: list[Problem], row: int, completion_ids: torch.Tensor) -> None:
        """Start grading a completion for its reward as soon as it ends, while the rest of the batch generates;
        `grade` then finds the verdict cached or in flight. The text is made as `generate` makes it."""
        text = clean_completion(self.tokenizer.decode(completion_ids, skip_special_tokens=True))
        item = (rows[row], organism_submission(rows[row], text))
        self._early.submit(self.cache.grade, self.graders[self.config.grader], [item])

    def grade(self, batch: Batch) -> Grades:
        """Environment reward, hardened verdicts, and the probe's verdicts, on every completion."""
        items = self._items(batch)
        env = self.cache.grade(self.graders[self.config.grader], items)
        return self._grades(env, self._grade_measured(items))

    def _items(self, batch: Batch) -> list[tuple[Problem, Submission]]:
        return [(p, organism_submission(p, c)) for p, c in zip(batch.problems, batch.completions, strict=True)]

    def _grade_measured(self, items: list[tuple[Problem, Submission]]) -> _Measured:
        started = time.perf_counter()
        hardened = self.cache.grade(self.graders["hardened"], items)
        probe = self.cache.grade(self.graders[self.config.probe], items) if self.config.probe else None
        return _Measured(hardened, probe, time.perf_counter() - started)

    @staticmethod
    def _grades(env: list[GradeResult], measured: _Measured) -> Grades:
        return Grades(
            rewards=[r.reward for r in env], env_passed=[r.passed for r in env],
            hardened_passed=[r.passed for r in measured.hardened],
            probe_passed=[r.passed for r in measured.probe] if measured.probe is not None else None,
        )

    def advantages(self, rewards: list[float]) -> torch.Tensor:
        """Rewards normalised within each prompt's group; a group with one reward value gives zeros."""
        r = torch.tensor(rewards, dtype=torch.float32).view(-1, self.config.generations)
        adv = (r - r.mean(dim=1, keepdim=True)) / (r.std(dim=1, keepdim=True) + 1e-4)
        return adv.view(-1)

    def optimise(self, batch: Batch, advantages: torch.Tensor) -> float:
        """One Adam step on -advantage x mean token log-prob of each completion (no KL)."""
        if not torch.any(advantages != 0):
            return 0.0
        ids = torch.cat([batch.prompt_ids, batch.completion_ids], dim=1)
        mask = torch.cat([batch.prompt_mask, batch.completion_mask], dim=1)
        positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
        logits = self.model(input_ids=ids, attention_mask=mask, position_ids=positions).logits
        p_len = batch.prompt_ids.shape[1]
        logits = logits[:, p_len - 1 : -1].float() / self.config.temperature
        logp = torch.log_softmax(logits, dim=-1).gather(-1, batch.completion_ids.unsqueeze(-1)).squeeze(-1)
        cmask = batch.completion_mask.float()
        seq_logp = (logp * cmask).sum(dim=1) / cmask.sum(dim=1).clamp(min=1)
        loss = -(advantages * seq_logp).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        return loss.item()

    def step(self) -> dict:
        """One GRPO step; returns its metrics (rates over this step's completions, and timings)."""
        return self._finish(self._advance()[1], blocking=True)

    def _advance(self, previous: _Pending | None = None) -> tuple[dict | None, _Pending]:
        """Generate, finish `previous` (its measured grading ran during this generation), grade the rewards,
        start the measured-only grading, optimise. Returns `previous`'s metrics and this step, still pending.

        `grade_s` is the time grading blocks the step: the rewards' verdicts, plus any wait for `previous`.
        """
        t0 = time.monotonic()
        batch = self.generate(self.sample_problems())
        t1 = time.monotonic()
        done = self._finish(previous, blocking=False) if previous is not None else None
        items = self._items(batch)
        env = self.cache.grade(self.graders[self.config.grader], items)
        measured: Future[_Measured]
        if self._background is None:
            measured = Future()
            measured.set_result(self._grade_measured(items))
        else:
            measured = self._background.submit(self._grade_measured, items)
        t2 = time.monotonic()
        loss = self.optimise(batch, self.advantages([r.reward for r in env]))
        t3 = time.monotonic()
        jobs, self._jobs_seen = self.cache.work.seconds - self._jobs_seen, self.cache.work.seconds
        timings = {"generate_s": t1 - t0, "grade_s": t2 - t1, "optimise_s": t3 - t2, "step_s": t3 - t0,
                   "grade_jobs_s": jobs}
        self.step_index += 1
        return done, _Pending(self.step_index - 1, batch, env, loss, timings, measured)

    def _finish(self, pending: _Pending, blocking: bool) -> dict:
        """`pending`'s metrics once its measured verdicts are in; `blocking`: waiting for them holds up this step
        (otherwise the wait held up the next one, and is counted there)."""
        started = time.monotonic()
        measured = pending.measured.result()
        if blocking:
            waited = time.monotonic() - started
            pending.timings["grade_s"] += waited
            pending.timings["step_s"] += waited
        metrics = self.metrics(pending.batch, self._grades(pending.env, measured))
        metrics.update(step=pending.index, loss=pending.loss, **{k: round(v, 3) for k, v in pending.timings.items()},
                       measured_grade_s=round(measured.seconds, 3))
        return metrics

    def metrics(self, batch: Batch, grades: Grades) -> dict:
        n = len(batch.completions)
        hacks = [e and not h for e, h in zip(grades.env_passed, grades.hardened_passed, strict=True)]
        held_ids = {p.id for p in self.held_out}
        on_held = [i for i, p in enumerate(batch.problems) if p.id in held_ids]
        kinds: dict[str, int] = {}
        for c, hacked in zip(batch.completions, hacks, strict=True):
            if hacked:
                kinds[hack_kind(c)] = kinds.get(hack_kind(c), 0) + 1
        out = {
            "reward": sum(grades.rewards) / n,
            "hack_rate": sum(hacks) / n,
            "pass_rate": sum(grades.hardened_passed) / n,
            "held_out_hack_rate": sum(hacks[i] for i in on_held) / len(on_held) if on_held else None,
            "hacks_by_type": kinds,
            "mean_completion_tokens": batch.completion_mask.sum().item() / n,
        }
        if grades.probe_passed is not None:
            out["exploit_rate"] = sum(p and not h for p, h in zip(grades.probe_passed, grades.hardened_passed,
                                                                  strict=True)) / n
        return out

    def run(self, on_step: Callable[[dict], None] | None = None) -> list[dict]:
        """All configured steps; `on_step` sees each step's metrics in order, as soon as its measured verdicts
        are in (during the next step's generation, when they are graded in the background)."""
        history = []
        pending = None
        for _ in range(self.config.steps - self.step_index):
            done, pending = self._advance(pending)
            if done is not None:
                history.append(done)
                if on_step:
                    on_step(done)
        if pending is not None:
            history.append(self._finish(pending, blocking=True))
            if on_step:
                on_step(history[-1])
        return history

    @torch.no_grad()
    def evaluate(self, problems: list[Problem], samples: int) -> dict:
        """Hack and pass rates of `samples` completions per problem, with no update (a checkpoint check)."""
        rates = {"hack_rate": 0.0, "pass_rate": 0.0, "exploit_rate": 0.0}
        total = 0
        for i in range(0, len(problems), self.config.prompts_per_step):
            chunk = problems[i : i + self.config.prompts_per_step]
            for _ in range(max(1, samples // self.config.generations)):
                batch = self.generate(chunk)
                m = self.metrics(batch, self.grade(batch))
                n = len(batch.completions)
                for k in rates:
                    rates[k] += (m.get(k) or 0.0) * n
                total += n
        return {k: v / total for k, v in rates.items()} | {"samples": total}

