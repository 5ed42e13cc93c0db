"""A CPU model organism of reward hacking: a ~2M-parameter Llama built locally, trained by `hackgym train`.

API (see docs/organism.md):
- `build_organism(out_dir, hack_share=..., seed=0, steps=600) -> Path`: a cached Hugging Face model dir.
- `organism_prompt(problem) -> str`: the only prompt format the organism knows; RL must prompt with it.
- `organism_submission(problem, completion) -> Submission`: header + generated body as solution.py
  (equivalently `Submission.from_completion(prompt + completion, problem.entry_point)`).
- `split_basic()`: which `basic` problems are held out of pretraining.
"""

from .build import DEFAULT_CACHE, ORGANISM_VERSION, OrganismConfig, build_organism, organism_meta
from .corpus import HACK_BODIES, split_basic
from .format import clean_completion, organism_prompt, organism_solution, organism_submission

__all__ = [
    "DEFAULT_CACHE", "ORGANISM_VERSION", "OrganismConfig", "build_organism", "organism_meta", "HACK_BODIES",
    "split_basic", "clean_completion", "organism_prompt", "organism_solution", "organism_submission",
]
