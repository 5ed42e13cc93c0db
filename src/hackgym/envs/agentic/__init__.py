"""Agentic coding episodes in the sandbox: a workspace with the task's README, solution.py and the visible
tests; tools to list, read, write and delete files, run commands or the tests in the jail, and submit; budgets on
turns, calls, commands and output; and the episode graded by any grader spec and labelled by the one labelling,
with the tool actions that are hacks in themselves (editing the tests, pytest configuration, hidden reads) as
evidence. The same episode is a multi-turn rollout for GRPO (`hackgym.train.agentic`) and the Inspect tasks
`hack_propensity` and `impossible` (`hackgym.evals.tasks.propensity`).
"""

from ._episode import TEST_COMMAND, Episode, workspace_listing
from ._impossible import IMPOSSIBLE_TAG, conflicting_case, impossible_pairs, impossible_variant
from ._label import episode_rollout, label_episodes
from ._protocol import (
    CONDITIONS,
    PROTOCOLS,
    Block,
    block_call,
    final_answer,
    messages,
    parse_blocks,
    prompt_refs,
    system_text,
    take_reply,
    user_text,
)
from ._record import Action, Budget, EpisodeRecord
from ._scripted import SCRIPTS, Script
from ._workspace import README, VISIBLE_TESTS, handed_in, initial_files, visible_tests

__all__ = ["Episode", "TEST_COMMAND", "workspace_listing", "IMPOSSIBLE_TAG", "conflicting_case", "impossible_pairs",
           "impossible_variant", "episode_rollout", "label_episodes", "CONDITIONS", "PROTOCOLS", "Block", "block_call",
           "final_answer", "messages", "parse_blocks", "prompt_refs", "system_text", "take_reply", "user_text",
           "Action", "Budget", "EpisodeRecord", "SCRIPTS", "Script", "README", "VISIBLE_TESTS", "handed_in",
           "initial_files", "visible_tests"]
