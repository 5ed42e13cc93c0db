"""Supervised runs on TRL's SFTTrainer: `train()`, `resume()` and `dry_run()`, in a run directory like `train`'s.

```
RUN_DIR/config.yaml       the resolved config
RUN_DIR/train.jsonl       the training set (`Example` records), built once; a resumed run reads it back
RUN_DIR/data_stats.json   what went in and what each filter removed
RUN_DIR/metrics.jsonl     one record per logged optimizer step (loss, learning rate, grad norm)
RUN_DIR/checkpoints/checkpoint-N/COMPLETE
```

Examples are tokenized here, not by TRL: the prompt (rendered with the generation prompt) and the completion
are tokenized apart, exactly as GRPO and Inspect see them at inference, where the prompt is tokenized alone and
the completion is generated after it. Tokenizing the joined text instead lets tokens merge across the boundary
(the organism's header ends in a newline and its body starts with indentation), so the model would be trained
on a prompt it is never shown. The format's template is installed on the tokenizer, so every checkpoint carries
it and `hackgym.format.model_args(checkpoint)` evaluates in the layout it was trained in.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import format as formats
from ..records import atomic_write, read_jsonl
from ..rundir import CHECKPOINTS, METRICS, RunDir, RunDirError
from ..train import model as models
from ..train.config import ConfigError
from .config import SftConfig, dump, validate
from .data import build
from .records import DataStats, Example

TRAIN = "train.jsonl"
STATS = "data_stats.json"
Progress = Callable[[dict[str, Any]], None]


def tokenize(tokenizer: Any, form: formats.Format, example: Example) -> dict[str, list[int]]:
    """input_ids and completion_mask with prompt and completion tokenized apart (see the module docstring)."""
    prompt = form.render(tokenizer, example.prompt, add_generation_prompt=True)
    full = form.render(tokenizer, example.prompt + example.completion)
    if not full.startswith(prompt):
        raise formats.FormatError(f"format {form.kind}: the prompt with its generation prompt is not where the "
                                  f"rendered conversation starts ({example.problem_id}); this template cannot "
                                  "be trained prompt-then-completion")
    p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    c = tokenizer(full[len(prompt):], add_special_tokens=False)["input_ids"]
    return {"input_ids": p + c, "completion_mask": [0] * len(p) + [1] * len(c)}


def is_organism(config: SftConfig, path: str) -> bool:
    return config.format == "organism" or (config.format == "auto" and formats.is_organism(path))


def recorder_class():
    from transformers import TrainerCallback

    class SftRecorder(TrainerCallback):
        """Append-only step records and COMPLETE markers, through the Trainer's public callback events."""

        def __init__(self, run: RunDir, progress: Progress | None) -> None:
            self.run = run
            self.progress = progress
            self.written = max((m["step"] for m in run.metrics()), default=0)

        def on_log(self, args, state, control, logs=None, **kwargs):
            step = state.global_step
            if not logs or step <= self.written or "loss" not in logs or not state.is_world_process_zero:
                return
            rec = {"step": step, **{k: v for k, v in logs.items() if isinstance(v, int | float)}}
            self.run.append(METRICS, [rec])
            self.written = step
            if self.progress:
                self.progress(rec)

        def on_save(self, args, state, control, **kwargs):
            folder = self.run.checkpoints / f"checkpoint-{state.global_step}"
            if state.is_world_process_zero and folder.is_dir():
                self.run.mark_complete(folder)

    return SftRecorder


def sft_args(config: SftConfig, run: RunDir):
    from trl import SFTConfig

    s, b = config.sft, config.backend
    return SFTConfig(
        output_dir=str(run.path / CHECKPOINTS), seed=config.seed, data_seed=config.seed,
        num_train_epochs=s.epochs, max_steps=s.max_steps or -1, learning_rate=s.learning_rate,
        lr_scheduler_type=s.lr_scheduler, warmup_steps=s.warmup if s.warmup < 1 else int(s.warmup), per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=s.gradient_accumulation_steps, max_length=s.max_length,
        weight_decay=s.weight_decay, max_grad_norm=s.max_grad_norm, completion_only_loss=True,
        logging_steps=1, save_strategy="steps", save_steps=config.save_every,
        save_total_limit=config.keep_checkpoints, report_to=b.report_to, disable_tqdm=True,
        use_cpu=b.device == "cpu", bf16=b.bf16, gradient_checkpointing=b.gradient_checkpointing,
        dataloader_num_workers=0, dataset_num_proc=None,
    )


def build_trainer(config: SftConfig, run: RunDir, cache: Path, progress: Progress | None = None,
                  model_dir: str | None = None):
    """TRL's SFTTrainer on the run's train.jsonl, tokenized in the configured format; `model_dir` overrides
    the model (dry runs use a tiny one)."""
    import torch
    from datasets import Dataset
    from transformers import PrinterCallback
    from trl import SFTTrainer

    if config.backend.torch_threads:
        torch.set_num_threads(config.backend.torch_threads)
    mconf = config.model if model_dir is None else config.model.model_copy(update={"path": model_dir,
                                                                                   "gguf_file": None})
    path = models.resolve(mconf, cache)
    model, tokenizer = models.load(mconf, cache, config.backend.device)
    tokenizer.padding_side = "right"
    form = formats.for_tokenizer(tokenizer, "organism" if is_organism(config, path) else config.format)
    form.install(tokenizer)
    examples = [Example.model_validate(r) for r in read_jsonl(run.path / TRAIN)]
    rows = [tokenize(tokenizer, form, e) for e in examples]
    if lost := sum(1 for r in rows if r["completion_mask"][: config.sft.max_length].count(1) == 0):
        message = (f"{lost} of {len(rows)} examples have a prompt of sft.max_length ({config.sft.max_length}) tokens "
                   "or more, so nothing of their completion would be trained on")
        if lost == len(rows):
            raise ConfigError(message + ": raise sft.max_length")
        warnings.warn(message + " (TRL drops them)", stacklevel=2)
    trainer = SFTTrainer(model=model, args=sft_args(config, run), train_dataset=Dataset.from_list(rows),
                         processing_class=tokenizer, peft_config=models.peft_config(mconf),
                         callbacks=[recorder_class()(run, progress)])
    trainer.remove_callback(PrinterCallback)
    return trainer


def prepare(config: SftConfig, out: Path, cache: Path, model_dir: str | None = None) -> tuple[RunDir, DataStats]:
    """Create the run directory and write its training set and counts."""
    run = RunDir(out)
    if (run.path / TRAIN).exists():
        raise RunDirError(f"{run.path} already holds a run: use --resume {run.path} or another output_dir")
    mconf = config.model if model_dir is None else config.model.model_copy(update={"path": model_dir})
    organism = is_organism(config, models.resolve(mconf, cache))
    examples, stats = build(config, organism)
    run.create(dump(config))
    run.append(TRAIN, examples)
    atomic_write(run.path / STATS, stats.model_dump_json(indent=2) + "\n")
    return run, stats


def train(config: SftConfig, out: Path | None, cache: Path, progress: Progress | None = None,
          model_dir: str | None = None) -> RunDir:
    """A fresh run into `out` (default the config's run directory)."""
    run, _ = prepare(config, out or config.run_dir, cache, model_dir)
    build_trainer(config, run, cache, progress, model_dir).train()
    return run


def resume(path: Path, cache: Path, progress: Progress | None = None) -> RunDir:
    """Continue after a crash from the newest complete checkpoint, on the training set the run was built with."""
    run = RunDir(path)
    config = validate(run.config_dict(), str(run.path / "config.yaml"))
    if not (run.path / TRAIN).is_file():
        raise RunDirError(f"{run.path} has no {TRAIN}: it is not a `hackgym sft` run")
    checkpoint, step = run.latest_checkpoint()
    run.truncate(step)
    trainer = build_trainer(config, run, cache, progress)
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    return run


def dry_run(config: SftConfig, cache: Path) -> dict[str, Any]:
    """Validation, the training set built in full, then two CPU steps on a tiny random model of the config's
    architecture (no download)."""
    from ..train.tiny import build_tiny_model

    arch = models.architecture(config.model, cache)
    organism = config.model.path.startswith("organism:") or config.format == "organism"
    small = config.model_copy(deep=True, update={"save_every": 1, "format": "organism" if organism else "auto"})
    small.sft = small.sft.model_copy(update={"max_steps": 2, "batch_size": 2, "gradient_accumulation_steps": 1})
    small.backend = small.backend.model_copy(update={"device": "cpu", "bf16": False, "report_to": "none",
                                                     "gradient_checkpointing": False})
    with tempfile.TemporaryDirectory(prefix="hackgym-sft-dry-") as tmp:
        model_dir = build_tiny_model(arch, Path(tmp) / "model", seed=config.seed)
        run = train(small, Path(tmp) / "run", cache, model_dir=str(model_dir))
        stats = json.loads((run.path / STATS).read_text())
        metrics = run.metrics()
        complete = len(run.complete_checkpoints())
    if len(metrics) != 2 or complete < 1:
        raise RuntimeError(f"dry run wrote {len(metrics)} metric records and {complete} checkpoints (want 2, >= 1)")
    return {"architecture": arch, "lora": config.model.lora is not None, "stats": stats, "loss": metrics[-1]["loss"]}

