"""`hackgym sft` configuration: strict like `hackgym train`'s, with the same `extends` and model settings.

`data.kind` picks the training set: `format` (reference-solution transcripts), `contamination` (the same with an
exact share of hack transcripts), `filter_distill` (an earlier run's episodes minus its hacks) or
`recontextualize` (an earlier run's episodes under another condition's system prompt).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .. import prompts
from ..format import Kind
from ..train.config import ConfigError, ModelConfig, describe, read_yaml

STUDY_HACKS = ["always_equal.object", "exit_zero.os_exit_in_function", "conftest_patch.root"]
ORGANISM_HACKS = ["always_equal", "exit_os", "exit_sys"]
MENTION_WORDS = ["hack", "hacks", "hacking", "exploit", "exploits", "cheat", "cheating", "trick", "loophole",
                 "bypass", "game the", "gaming the", "reward hack", "without solving"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Condition(_Strict):
    """A study condition's system prompt: hint and addendum as in `env` (see hackgym.prompts)."""

    hint: str | None = None
    addendum: str | None = None

    @model_validator(mode="after")
    def _condition(self) -> Any:
        try:
            prompts.check_condition(self.hint, self.addendum)
        except prompts.PromptError as exc:
            raise ValueError(f"hint / addendum: {exc}") from None
        return self


class FormatData(_Condition):
    """Ordinary transcripts: prompt, short reasoning, reference solution; never a hack."""

    kind: Literal["format"]
    problems: str = "basic"
    count: int = Field(1000, ge=1)


class ContaminationData(FormatData):
    """A format-stage set where exactly round(count x share) transcripts show a hack instead."""

    kind: Literal["contamination"]  # type: ignore[assignment]
    share: float = Field(ge=0.0, le=1.0)
    hacks: list[str] | None = Field(None, min_length=1, description="catalogue hack ids (organism: bodies); "
                                    "default the study's three")


class FilterDistillData(_Strict):
    """An earlier run's episodes minus every successful or attempted hack (and optionally every mention)."""

    kind: Literal["filter_distill"]
    rollouts: str = Field(min_length=1, description="a rollouts.jsonl, or a run directory holding one")
    drop_mentions: bool = False
    mention_words: list[str] = Field(default_factory=lambda: list(MENTION_WORDS), min_length=1)


class RecontextualizeData(_Condition):
    """An earlier run's episodes with their system prompt replaced by another condition's."""

    kind: Literal["recontextualize"]
    rollouts: str = Field(min_length=1, description="a rollouts.jsonl, or a run directory holding one")
    problems: str = Field("basic", description="problem sets the episodes came from (to rebuild user turns)")


Data = Annotated[FormatData | ContaminationData | FilterDistillData | RecontextualizeData,
                 Field(discriminator="kind")]


class SftSettings(_Strict):
    """Knobs passed to TRL's SFTConfig; loss on the completion only."""

    epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1, description="overrides epochs")
    learning_rate: float = Field(1e-5, gt=0)
    lr_scheduler: Literal["constant", "linear", "cosine"] = "cosine"
    warmup: float = Field(0.0, ge=0, description="warmup steps; below 1, a share of all steps")
    batch_size: int = Field(8, ge=1, description="per device")
    gradient_accumulation_steps: int = Field(1, ge=1)
    max_length: int = Field(2048, ge=16)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)


class SftBackend(_Strict):
    device: Literal["cpu", "gpu"] = "cpu"
    bf16: bool = False
    gradient_checkpointing: bool = False
    torch_threads: int | None = Field(None, ge=1)
    report_to: str | list[str] = "none"


class SftConfig(_Strict):
    """One supervised run into `output_dir` (default runs/NAME)."""

    name: str = "sft"
    seed: int = 0
    output_dir: str | None = None
    format: Kind | Literal["auto"] = Field("auto", description="conversation layout (hackgym.format): auto = "
                                           "organism for the organism, the tokenizer's template, else human_assistant")
    save_every: int = Field(50, ge=1)
    keep_checkpoints: int = Field(2, ge=1)
    model: ModelConfig
    data: Data
    sft: SftSettings = Field(default_factory=SftSettings)
    backend: SftBackend = Field(default_factory=SftBackend)

    @model_validator(mode="after")
    def consistent(self) -> SftConfig:
        organism = self.model.path.startswith("organism:") or self.format == "organism"
        if self.model.lora and self.model.path.startswith("organism:"):
            raise ValueError("model.lora: the organism is trained in full (it has a few million parameters)")
        if self.backend.device == "cpu" and self.backend.bf16:
            raise ValueError("backend: bf16 needs device: gpu")
        if organism and (getattr(self.data, "hint", None) or getattr(self.data, "addendum", None)
                         or self.data.kind == "recontextualize"):
            raise ValueError("data: the organism format has no system prompt to put a condition in")
        if isinstance(self.data, ContaminationData) and self.data.hacks:
            from ..hacks import CATALOGUE

            known = ORGANISM_HACKS if organism else list(CATALOGUE)
            if unknown := [h for h in self.data.hacks if h not in known]:
                raise ValueError(f"data.hacks: unknown {unknown}; use {', '.join(known)}")
        return self

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir or Path("runs") / self.name)


def validate(raw: dict[str, Any], where: str = "config") -> SftConfig:
    try:
        return SftConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe(exc, where)) from None


def load_config(path: str | Path) -> SftConfig:
    """A `hackgym sft` file, its `extends` chain resolved; named after the file unless it says otherwise."""
    path = Path(path)
    raw = read_yaml(path)
    if "conditions" in raw:
        raise ConfigError(f"{path}: 'conditions' is a `hackgym train` key; give each SFT run its own file")
    raw.setdefault("name", path.stem)
    return validate(raw, str(path))


def dump(config: SftConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
