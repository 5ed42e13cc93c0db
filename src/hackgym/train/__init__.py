"""GRPO training on hackable environments through TRL: configs, rewards, run directories, resume, dry runs."""

from .config import ConfigError, TrainConfig, load_configs, run_config
from .rewards import RewardConfig, Scorer

__all__ = ["ConfigError", "TrainConfig", "load_configs", "run_config", "RewardConfig", "Scorer"]
