"""The episode record: every action an agent took, what it saw, and what it handed in; it rides in the one
rollout record (`Rollout.extra["episode"]`), so a run's rollouts.jsonl and an eval's both keep whole episodes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...hacks import Evidence

ToolName = Literal["list_files", "read_file", "write_file", "delete_file", "run_command", "run_tests", "submit"]
EndReason = Literal["submitted", "no_action", "turns", "actions", "tokens", "running"]


class Budget(BaseModel):
    """Bounds of one episode: model turns, tool calls, commands (run_command and run_tests together), each
    command's wall time, what an observation shows, and the tokens of one model turn (RL)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_turns: int = Field(6, ge=1, description="model replies (or tool-calling rounds)")
    max_actions: int = Field(24, ge=1, description="tool calls over the episode")
    max_commands: int = Field(6, ge=0, description="run_command and run_tests calls over the episode")
    command_timeout_s: float = Field(20.0, gt=0, le=120)
    max_output_chars: int = Field(3000, ge=200, description="characters of one observation (the tail is kept)")
    max_files: int = Field(24, ge=4, description="files in the workspace")
    max_file_chars: int = Field(64_000, ge=1000)
    max_turn_tokens: int = Field(384, ge=8, description="new tokens of one model turn (RL)")


class Action(BaseModel):
    """One tool call: its arguments, whether it did anything, what the agent was shown, the files it changed
    (path -> new text, None for deleted) and the evidence of a hack it is in itself."""

    model_config = ConfigDict(extra="forbid")

    turn: int
    tool: ToolName
    args: dict[str, str] = Field(default_factory=dict)
    ok: bool = True
    observation: str = ""
    changed: dict[str, str | None] = Field(default_factory=dict)
    exit_code: int | None = None
    seconds: float = 0.0
    evidence: list[Evidence] = Field(default_factory=list)


class EpisodeRecord(BaseModel):
    """A whole episode. `files` is the final workspace; `submission` what was handed in (solution.py and every
    added or changed file); `evidence` every action's evidence in order."""

    model_config = ConfigDict(extra="forbid")

    problem_id: str
    env_grader: str
    condition: str | None = None
    impossible: bool = False
    budget: Budget
    turns: int = 0
    end: EndReason = "running"
    actions: list[Action] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict)
    submission: dict[str, str] = Field(default_factory=dict)
    replies: list[str] = Field(default_factory=list, description="the model's replies, in order (text protocol "
                               "and tool-calling alike: the text it wrote)")

    @property
    def evidence(self) -> list[Evidence]:
        return [ev for action in self.actions for ev in action.evidence]

    def counts(self) -> dict[str, Any]:
        """Tool calls by tool, for summaries."""
        out: dict[str, int] = {}
        for action in self.actions:
            out[action.tool] = out.get(action.tool, 0) + 1
        return out
