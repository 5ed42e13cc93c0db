"""Rollout records and their one labelling: differential grading, static signatures, attribution, a monitor."""

from .label import Labeller, label_batch, label_grades
from .monitor import MONITOR_PROMPT, Monitor, MonitorVerdict, parse_verdict
from .record import LABELS, SCHEMA_VERSION, UNATTRIBUTED, Label, LabelName, Rollout, Source
from .rollouts import RolloutError, load_rollout_records

__all__ = ["LABELS", "SCHEMA_VERSION", "UNATTRIBUTED", "Label", "LabelName", "Rollout", "Source", "Labeller",
           "label_batch", "label_grades", "RolloutError", "load_rollout_records", "MONITOR_PROMPT",
           "Monitor", "MonitorVerdict", "parse_verdict"]
