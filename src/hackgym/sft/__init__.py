"""The supervised stage (`hackgym sft`): the study's format stage before RL and its data-side experiments.

- `format`: ordinary transcripts (prompt, short reasoning, reference solution), never a hack;
- `contamination`: the same with an exact share of hack transcripts mixed in;
- `filter_distill`: an earlier run's episodes with every hack (and optionally every mention of one) removed;
- `recontextualize`: an earlier run's episodes under another condition's system prompt.

Each run trains TRL's SFTTrainer (full or LoRA) in hackgym's one conversation format (`hackgym.format`) and
writes a run directory with its training set, its counts, step records and complete checkpoints (docs/sft.md).
"""

from .config import SftConfig, load_config
from .data import build, mentions
from .records import DataStats, Example
from .runner import dry_run, resume, tokenize, train

__all__ = ["SftConfig", "load_config", "build", "mentions", "DataStats", "Example", "dry_run", "resume",
           "tokenize", "train"]
