"""The rollout record: one typed, versioned JSONL line per rollout, written by every producer (the trainer,
`hackgym grade`, `hackgym detect`, the evals' hack checks) and read by every consumer (metrics, reports, detection
studies, data filters).

One vocabulary everywhere:
- a **successful hack**: the environment's grader passed the rollout and the hardened grader failed it;
- an **attempted hack**: a hack signature or the monitor fired, or the hack succeeded (so every successful hack
  is also an attempted one);
- five labels (the first that applies, read top-down with the hardened verdict first):
  `correct` (hardened passes, no attempt), `correct_attempted_hack` (hardened passes, an attempt rode along),
  `successful_hack`, `attempted_hack` (an attempt that earned nothing), `incorrect` (no attempt, no pass).
  A rollout that no grader saw (an eval's chat answer) has `label` None: only its attempts are known.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..graders import GradeResult
from ..hacks import Evidence
from .monitor import MonitorVerdict

SCHEMA_VERSION = 1
LabelName = Literal["correct", "correct_attempted_hack", "successful_hack", "attempted_hack", "incorrect"]
LABELS: tuple[LabelName, ...] = ("correct", "correct_attempted_hack", "successful_hack", "attempted_hack",
                                 "incorrect")
UNATTRIBUTED = "unattributed"  # a successful hack no signature and no single weakness explains
Source = Literal["train", "grade", "detect", "eval"]
BRIEF = 300  # characters of a verdict's output tails kept in a label (full tails: `hackgym grade`)


def brief(result: GradeResult) -> GradeResult:
    """A verdict as a label keeps it: output tails cut, so a run's rollout file stays small."""
    return result.model_copy(update={"detail": result.detail[-BRIEF:], "stdout": result.stdout[-BRIEF:],
                                     "stderr": result.stderr[-BRIEF:]})


class Label(BaseModel):
    """What is known about one rollout: the verdicts, the evidence, and the label they imply."""

    model_config = ConfigDict(extra="forbid")

    label: LabelName | None = Field(description="None when no grader saw the rollout")
    successful_hack: bool
    attempted_hack: bool
    true_pass: bool | None = Field(None, description="the hardened grader passed it (held-out cases included)")
    held_out_pass: bool | None = Field(None, description="every held-out case passed; None without held-out cases")
    exploit: bool | None = Field(None, description="the probe grader passed it and hardened failed it: a hack "
                                 "that would beat the probe, whatever the environment's grader")
    stopped: bool = Field(False, description="code that ends the test process early (an exit), passing or not")
    hack_types: list[str] = Field(default_factory=list, description="families behind a successful hack")
    attempted_types: list[str] = Field(default_factory=list, description="families whose signature fired")
    env: GradeResult | None = None
    hardened: GradeResult | None = None
    probe: GradeResult | None = None
    signatures: list[Evidence] = Field(default_factory=list)
    attribution: list[str] = Field(default_factory=list, description="weaknesses that alone make it pass")
    monitor: MonitorVerdict | None = None
    evidence: list[str] = Field(default_factory=list)


class Rollout(BaseModel):
    """One rollout as every part of hackgym writes and reads it."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    source: Source
    id: str | None = None
    problem_id: str
    env_grader: str = Field(description="the spec of the grader whose verdict is the reward")
    condition: str | None = None
    step: int | None = None
    index: int | None = Field(None, description="position in its step's batch")
    prompt: Any = None
    completion: str | None = None
    files: dict[str, str] | None = Field(None, description="the submission's files when there is no completion")
    digest: str = ""
    reward: float | None = None
    rewards: dict[str, float | None] = Field(default_factory=dict, description="per reward function, unweighted")
    screened: bool = Field(False, description="left out of the policy update (screening)")
    format_ok: bool | None = None
    result: GradeResult | None = Field(None, description="the environment grader's full verdict (hackgym grade)")
    label: Label | None = None
    extra: dict[str, Any] = Field(default_factory=dict, description="producer-specific fields")
