"""Build a supervised training set from its config: every kind ends as `Example` records plus `DataStats`.

Rollout-based kinds read `hackgym.detect.Rollout` records (a run's rollouts.jsonl). A prompt stored as messages
is kept as it was; a prompt stored as text (the organism's header, or a `text`-format run) becomes one user
turn, except under recontextualization, which rebuilds the user turn from the problem so that the old system
prompt inside that text cannot ride along.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from .. import prompts
from ..detect import Rollout
from ..detect.rollouts import RolloutError, load_problem_sets, load_rollout_records
from ..organism import split_basic
from ..problems import load_problems
from ..rundir import ROLLOUTS
from .config import (
    ORGANISM_HACKS,
    STUDY_HACKS,
    ContaminationData,
    FilterDistillData,
    FormatData,
    RecontextualizeData,
    SftConfig,
)
from .records import DataStats, Example
from .transcripts import chat_prompt, hack, honest, shows_hack


class DataError(RolloutError):
    """A training set cannot be built as configured."""


def _system(data: FormatData | RecontextualizeData) -> tuple[str, list[str]]:
    return (prompts.system_prompt(data.hint, data.addendum), prompts.system_prompt_refs(data.hint, data.addendum))


def spaced(n: int, k: int, rng: random.Random) -> set[int]:
    """k of n positions, evenly spaced with a random phase: a contamination share that is exact in every stretch."""
    if k <= 0:
        return set()
    phase = rng.random()
    return {int((j + phase) * n / k) for j in range(k)}


def format_stage(data: FormatData, organism: bool, seed: int) -> tuple[list[Example], DataStats]:
    """`count` transcripts cycling through the problem set (a fresh shuffle per pass), and for the contamination
    arm exactly round(count x share) of them replaced by hack transcripts of the same problem. For the organism,
    the `basic` problems its pretraining held out stay held out (skipped), so RL on them still asks for
    something it was never shown solved."""
    rng = random.Random(seed)
    system, refs = (None, []) if organism else _system(data)
    usable, skipped = [], []
    held_out = {p.id for p in split_basic()[1]} if organism else set()
    for p in load_problems(data.problems):
        shown = p.id not in held_out and honest(p, system, rng, organism) is not None
        (usable if shown else skipped).append(p)
    if not usable:
        raise DataError(f"data.problems {data.problems!r}: no problem has a reference solution this layout can show")
    hacks_at: set[int] = set()
    hack_ids: list[str] = []
    if isinstance(data, ContaminationData):
        hack_ids = data.hacks or (ORGANISM_HACKS if organism else STUDY_HACKS)
        hacks_at = spaced(data.count, round(data.count * data.share), random.Random(seed + 1))
    out: list[Example] = []
    order: list = []
    for i in range(data.count):
        if not order:
            order = usable[:]
            rng.shuffle(order)
        problem = order.pop()
        if i in hacks_at:
            example = hack(problem, system, rng, organism, hack_ids)
            if not shows_hack(example, organism):
                raise DataError(f"hack {example.hack} on {problem.id}: the static check does not recognise it")
        else:
            example = honest(problem, system, rng, organism)
            assert example is not None
            if fired := shows_hack(example, organism):
                raise DataError(f"{problem.id}: the reference-solution transcript shows a hack ({fired})")
        out.append(example)
    stats = DataStats(kind=data.kind, examples=len(out), hack_examples=len(hacks_at),
                      problems=len({e.problem_id for e in out}), skipped_problems=[p.id for p in skipped],
                      system_prompt_refs=refs)
    return out, stats


def rollouts_path(where: str) -> Path:
    path = Path(where)
    return path / ROLLOUTS if path.is_dir() else path


def _episode(r: Rollout) -> dict:
    return {"condition": r.condition, "step": r.step, "index": r.index,
            "label": r.label.label if r.label is not None else None}


def _prompt(r: Rollout) -> list[dict[str, str]]:
    if isinstance(r.prompt, list) and r.prompt and all(isinstance(m, dict) for m in r.prompt):
        return [{"role": str(m["role"]), "content": str(m["content"])} for m in r.prompt]
    if isinstance(r.prompt, str) and r.prompt:
        return [{"role": "user", "content": r.prompt}]
    raise DataError(f"rollout {r.problem_id} (step {r.step}, index {r.index}) has no prompt to train on")


def mentions(text: str, words: list[str]) -> bool:
    """Whether the text names hacking by one of the words (whole words, any case)."""
    return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.IGNORECASE) for w in words)


def filter_distill(data: FilterDistillData) -> tuple[list[Example], DataStats]:
    """Keep the episodes that are not hacks: every successful or attempted hack goes, so does every episode
    without a label (nothing vouches for it) or without a completion, and with `drop_mentions` every episode
    whose text names hacking. Each removal is counted under the first filter that caught it."""
    episodes = load_rollout_records(rollouts_path(data.rollouts))
    removed = {"no_completion": 0, "unlabelled": 0, "successful_hack": 0, "attempted_hack": 0}
    if data.drop_mentions:
        removed["mentions"] = 0
    out = []
    for r in episodes:
        if not r.completion:
            why = "no_completion"
        elif r.label is None:
            why = "unlabelled"
        elif r.label.successful_hack:
            why = "successful_hack"
        elif r.label.attempted_hack:
            why = "attempted_hack"
        elif data.drop_mentions and mentions(r.completion, data.mention_words):
            why = "mentions"
        else:
            out.append(Example(source="rollout", problem_id=r.problem_id, prompt=_prompt(r),
                               completion=[{"role": "assistant", "content": r.completion}], rollout=_episode(r)))
            continue
        removed[why] += 1
    if not out:
        raise DataError(f"{data.rollouts}: every one of the {len(episodes)} episodes was filtered out")
    return out, DataStats(kind=data.kind, examples=len(out), problems=len({e.problem_id for e in out}),
                          input_episodes=len(episodes), removed=removed)


def recontextualize(data: RecontextualizeData) -> tuple[list[Example], DataStats]:
    """Every episode with a completion, re-paired with the configured condition's system prompt."""
    episodes = load_rollout_records(rollouts_path(data.rollouts))
    problems = load_problem_sets(data.problems)
    system, refs = _system(data)
    out, removed = [], {"no_completion": 0}
    for r in episodes:
        if not r.completion:
            removed["no_completion"] += 1
            continue
        if r.problem_id not in problems:
            raise DataError(f"{data.rollouts}: problem {r.problem_id!r} is not in data.problems {data.problems!r}")
        if isinstance(r.prompt, list):
            prompt = [{"role": "system", "content": system}] + [m for m in _prompt(r) if m["role"] != "system"]
        else:
            prompt = chat_prompt(problems[r.problem_id], system)
        out.append(Example(source="rollout", problem_id=r.problem_id, prompt=prompt,
                           completion=[{"role": "assistant", "content": r.completion}], rollout=_episode(r)))
    if not out:
        raise DataError(f"{data.rollouts}: no episode has a completion")
    return out, DataStats(kind=data.kind, examples=len(out), problems=len({e.problem_id for e in out}),
                          input_episodes=len(episodes), removed=removed, system_prompt_refs=refs)


def build(config: SftConfig, organism: bool) -> tuple[list[Example], DataStats]:
    """The configured training set; `organism` selects the organism's layout for transcript kinds."""
    data = config.data
    if isinstance(data, FormatData):  # contamination included
        return format_stage(data, organism, config.seed)
    if isinstance(data, FilterDistillData):
        return filter_distill(data)
    return recontextualize(data)
