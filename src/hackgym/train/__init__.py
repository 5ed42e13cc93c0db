"""GRPO training on hackable environments through TRL: configs, rewards, run directories, resume, dry runs."""

from .config import ConfigError, TrainConfig, load_configs
from .rewards import RewardConfig, Scorer, step_metrics
from .rundir import RunDir

__all__ = ["ConfigError", "TrainConfig", "load_configs", "RewardConfig", "Scorer", "step_metrics", "RunDir"]
