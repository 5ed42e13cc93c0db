"""Rollout labels for trainers and studies: differential grading, static signatures, attribution, a monitor."""

from .label import HACK_LABELS, LABELS, Label, LabelName, label_batch
from .monitor import JUDGE_PROMPT, PROMPT_VERSION, Monitor, MonitorVerdict, parse_verdict

__all__ = ["HACK_LABELS", "LABELS", "Label", "LabelName", "label_batch", "JUDGE_PROMPT",
           "PROMPT_VERSION", "Monitor", "MonitorVerdict", "parse_verdict"]
