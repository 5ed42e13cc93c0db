"""The supervised stage's records: one training example a line in the run's train.jsonl, and the data counts.

An example is a conversation split where generation starts: `prompt` (system and user turns) and `completion`
(the assistant turn, reasoning inside it), in TRL's conversational prompt-completion shape. Which text that
becomes is the format's business (`hackgym.format`), never the record's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["format", "hack", "rollout"]


class Example(BaseModel):
    """One supervised example and where it came from."""

    model_config = ConfigDict(extra="forbid")

    source: Source = Field(description="format: a reference-solution transcript; hack: a catalogue exploit; "
                           "rollout: an episode of an earlier run")
    problem_id: str
    prompt: list[dict[str, str]] = Field(min_length=1)
    completion: list[dict[str, str]] = Field(min_length=1)
    hack: str | None = Field(None, description="the catalogue hack shown (contamination only)")
    rollout: dict[str, Any] = Field(default_factory=dict, description="the episode's run, step, index, label")

    @property
    def completion_text(self) -> str:
        return "".join(m["content"] for m in self.completion)

    @property
    def system(self) -> str | None:
        return next((m["content"] for m in self.prompt if m["role"] == "system"), None)


class DataStats(BaseModel):
    """What went into the training set and what each filter took out (data_stats.json)."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    examples: int = Field(description="examples in train.jsonl")
    hack_examples: int = Field(0, description="examples whose answer shows a hack (contamination arm)")
    problems: int = Field(0, description="distinct problems among the examples")
    input_episodes: int | None = Field(None, description="rollouts read (filter_distill, recontextualize)")
    removed: dict[str, int] = Field(default_factory=dict, description="episodes each filter removed, each "
                                    "counted by the first filter that caught it, in the order listed")
    skipped_problems: list[str] = Field(default_factory=list, description="problems the layout cannot show")
    system_prompt_refs: list[str] = Field(default_factory=list, description="prompt assets of the system prompt")
