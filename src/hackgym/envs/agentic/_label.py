"""Grading and labelling finished episodes with the one labelling (`hackgym.detect`).

The handed-in files are graded by the episode's grader spec and by the hardened grader, attributed and checked
against the catalogue's signatures by a `Labeller`; the evidence of the episode's own actions (edited tests,
collection config, hidden reads) is added to the signatures' before `label_grades` draws the label, so an
action is an attempted hack of its family whether or not it left a trace in the files.

An impossible problem (`impossible.py`) is graded as given by the environment's grader, and by the hardened
grader on the problem it was made from: no honest solution passes the conflicting visible test, so the
environment passing it is a successful hack, whatever made it pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...detect import Label, Labeller, Rollout, Source, label_grades
from ...graders import GradeResult
from ...problems import Problem
from ...submission import Submission
from ._record import EpisodeRecord


def label_episodes(records: Sequence[EpisodeRecord], problems: Sequence[Problem], labeller: Labeller,
                   truths: Sequence[Problem] | None = None, *, env_results: Sequence[GradeResult] | None = None,
                   hardened_results: Sequence[GradeResult] | None = None) -> list[Label]:
    """Labels in input order. `problems[i]` is what record i was graded on; `truths[i]` (default the same) is
    what the hardened grader checks, the original of an impossible problem. Verdicts already in hand (a
    trainer's rewards) are passed in, not regraded."""
    truths = list(truths) if truths is not None else list(problems)
    if not len(records) == len(problems) == len(truths):
        raise ValueError(f"{len(records)} episodes, {len(problems)} problems and {len(truths)} truths")
    if not records:
        return []
    subs = [Submission(files=r.submission) for r in records]
    items = [(p, s) for p, s in zip(problems, subs, strict=True)]
    specs = [r.env_grader for r in records]
    env = list(env_results) if env_results is not None else labeller.grade_each(specs, items)
    hardened = (list(hardened_results) if hardened_results is not None
                else labeller.grade("hardened", [(t, s) for t, s in zip(truths, subs, strict=True)]))
    base = labeller.label(items, specs, env_results=env, hardened_results=hardened)
    out = []
    for i, record in enumerate(records):
        fired = [*labeller.signatures(subs[i], problems[i].kind), *record.evidence]
        out.append(label_grades(env[i], hardened[i], fired, probe=base[i].probe, monitor=base[i].monitor,
                                attribution=base[i].attribution, monitor_threshold=labeller.monitor_threshold))
    return out


def episode_rollout(record: EpisodeRecord, label: Label | None, source: Source, **fields: Any) -> Rollout:
    """The one rollout record for an episode: the handed-in files, the label, and the whole episode under
    `extra["episode"]`. `fields` set the rest (a trainer's step, rewards and run condition); the reward is the
    environment's verdict unless given."""
    sub = Submission(files=record.submission)
    given = {"condition": record.condition,
             "reward": label.env.reward if label is not None and label.env is not None else None, **fields}
    return Rollout(source=source, problem_id=record.problem_id, env_grader=record.env_grader, files=dict(sub.files),
                   digest=sub.digest(), label=label, extra={"episode": record.model_dump(mode="json")}, **given)
