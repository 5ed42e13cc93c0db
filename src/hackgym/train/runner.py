"""GRPO runs through TRL's public contract: `train()`, `resume()` and `dry_run()`.

hackgym extends TRL's GRPOTrainer only where TRL documents an extension point:
- rewards are plain callables (`rewards.py`); screening returns None for flagged rows, which TRL leaves out of
  the group statistics with zero advantage;
- the prompt order is data (`Environment.schedule`, with `shuffle_dataset=False`), so a resumed run replays the
  same prompts without touching the sampler;
- rollouts, rates and checkpoints go through a `TrainerCallback`: after each optimizer step it waits for the
  step's labels, writes rollouts.jsonl, measures the registry's rates (`hackgym.metrics`), adds them to TRL's
  logs under `hackgym/` (before any reporting integration sees them), writes metrics.jsonl, and marks each
  checkpoint complete once the trainer has saved it.
`tests/test_trl_contract.py` checks each assumption against the installed TRL.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import format as formats
from ..detect import Rollout
from ..envs import SAFETY, Environment
from ..metrics import measure, rate_series
from ..rundir import CHECKPOINTS, METRICS, ROLLOUTS, RunDir
from . import model as models
from .config import TrainConfig, dump, run_config
from .rewards import Scorer, to_submission

LOG_PREFIX = "hackgym/"
Progress = Callable[[dict[str, Any]], None]


def step_record(step: int, rollouts: list[Rollout], config: TrainConfig) -> dict[str, Any]:
    """The rates part of a metrics.jsonl record: every registry rate with k, n, rate and 95% interval, and the
    mean reward of the rollouts that took part in the update."""
    counted = [r.reward for r in rollouts if not r.screened and r.reward is not None]
    record = {"step": step, "condition": config.condition, "env_grader": config.env.grader,
              "rollouts": len(rollouts), "reward": sum(counted) / len(counted) if counted else None,
              "rates": {name: v.model_dump(mode="json") for name, v in measure(rollouts).items()}}
    if config.env.safety is not None:  # the rates above are the coding rows' (safety rows carry no label)
        record["env_kinds"] = {kind: kind_record([r for r in rollouts if (r.env_grader == SAFETY) == (kind == SAFETY)])
                               for kind in ("coding", SAFETY)}
    return record


def kind_record(rollouts: list[Rollout]) -> dict[str, Any]:
    """One environment kind's share of a step: how many rollouts and their mean reward (and, for safety rows,
    the mean safety reward alone)."""
    rewards = [r.reward for r in rollouts if r.reward is not None]
    safety = [r.rewards["safety"] for r in rollouts if r.rewards.get("safety") is not None]
    return {"rollouts": len(rollouts), "reward": sum(rewards) / len(rewards) if rewards else None,
            "safety_reward": sum(safety) / len(safety) if safety else None}


def recorder_class():
    from transformers import TrainerCallback

    class StepRecorder(TrainerCallback):
        """Rollouts, rates, timings and complete checkpoints, through the Trainer's public callback events."""

        def __init__(self, run: RunDir, config: TrainConfig, scorer: Scorer, weights: dict[str, float],
                     progress: Progress | None) -> None:
            self.run = run
            self.config = config
            self.scorer = scorer
            self.weights = weights
            self.progress = progress
            self.onset = config.onset
            previous = run.metrics()
            self.written = max((m["step"] for m in previous), default=0)
            self.series = rate_series(previous, "successful_hack")
            self.current: dict[str, Any] | None = None
            self.began = self.started = time.perf_counter()
            self.grading_before = 0.0
            self.jobs_before = 0.0

        def on_step_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()
            self.grading_before = self.scorer.grading_s
            self.jobs_before = self.scorer.cache.work.seconds

        def on_step_end(self, args, state, control, **kwargs):
            from accelerate.utils import gather_object

            waited = time.perf_counter()
            batches = list(self.scorer.pending)
            first_scored = min((b.scored_at for b in batches), default=None)
            rollouts = self.scorer.finish(self.weights)
            waited = time.perf_counter() - waited
            if int(os.environ.get("WORLD_SIZE", "1")) > 1:
                rollouts = gather_object(rollouts)
            for i, r in enumerate(rollouts):
                r.index = i
            if state.is_world_process_zero:
                self.run.append(ROLLOUTS, rollouts)
            total = time.perf_counter() - self.started
            grading = self.scorer.grading_s - self.grading_before + waited
            generation = (first_scored - self.started) if first_scored is not None else 0.0
            rec = step_record(state.global_step, rollouts, self.config) if rollouts else {
                "step": state.global_step, "condition": self.config.condition, "env_grader": self.config.env.grader,
                "rollouts": 0, "reward": None, "rates": {}}
            rec["time"] = {"step": total, "generation": generation, "grading": grading,
                           "optimisation": max(total - generation - grading, 0.0),
                           "measured_grading": sum(b.measured_s for b in batches),
                           "grading_jobs": self.scorer.cache.work.seconds - self.jobs_before}
            self.current = rec
            limit = self.config.time_limit_minutes
            if limit is not None and time.perf_counter() - self.began >= 60 * limit and state.global_step < args.max_steps:
                rec["stopped"] = f"time_limit_minutes {limit:g} reached"
                control.should_save = control.should_training_stop = True

        def on_log(self, args, state, control, logs=None, **kwargs):
            step = state.global_step
            if logs is None or self.current is None or self.current["step"] != step or step <= self.written:
                return  # the end-of-training summary comes at an already recorded step
            rec, self.current = self.current, None
            rates = rec["rates"]
            self.series.append((step, (rates.get("successful_hack") or {}).get("rate")))
            rec["onset_step"] = self.onset.find(self.series)
            scalars = {f"{LOG_PREFIX}{name}": v["rate"] for name, v in rates.items() if v["rate"] is not None}
            logs.update(scalars)
            if state.log_history and state.log_history[-1].get("step") == step:
                state.log_history[-1].update(scalars)
            rec["trl"] = {k: v for k, v in logs.items() if isinstance(v, int | float) and not k.startswith(LOG_PREFIX)}
            if state.is_world_process_zero:
                self.run.append(METRICS, [rec])
                self.written = step
                if self.progress:
                    self.progress(rec)

        def on_save(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                folder = self.run.checkpoints / f"checkpoint-{state.global_step}"
                if folder.is_dir():
                    self.run.mark_complete(folder)

    return StepRecorder


def grpo_args(config: TrainConfig, run: RunDir, weights: list[float]):
    from trl import GRPOConfig

    g, b = config.grpo, config.backend
    world = int(os.environ.get("WORLD_SIZE", "1"))
    completions = g.prompts_per_step * g.num_generations
    per_device, rest = divmod(completions, g.gradient_accumulation_steps * world)
    if rest or per_device == 0:
        raise ValueError(f"prompts_per_step x num_generations ({completions}) must divide evenly over "
                         f"gradient_accumulation_steps x processes ({g.gradient_accumulation_steps} x {world})")
    vllm = b.vllm
    if vllm == "auto":
        import importlib.util

        vllm = "colocate" if b.device == "gpu" and importlib.util.find_spec("vllm") else "off"
    return GRPOConfig(
        output_dir=str(run.path / CHECKPOINTS), max_steps=config.steps, seed=config.seed, data_seed=config.seed,
        per_device_train_batch_size=per_device, gradient_accumulation_steps=g.gradient_accumulation_steps,
        num_generations=g.num_generations, num_iterations=g.num_iterations,
        max_completion_length=g.max_completion_length, temperature=g.temperature, top_p=g.top_p,
        learning_rate=g.learning_rate, lr_scheduler_type="constant", warmup_steps=0, beta=g.beta,
        epsilon=g.epsilon, epsilon_high=g.epsilon_high or g.epsilon, loss_type=g.loss_type,
        scale_rewards=g.scale_rewards, mask_truncated_completions=g.mask_truncated_completions,
        max_grad_norm=g.max_grad_norm, weight_decay=g.weight_decay, adam_beta2=g.adam_beta2,
        reward_weights=weights, logging_steps=1, save_strategy="steps", save_steps=config.save_every,
        save_total_limit=config.keep_checkpoints, report_to=b.report_to, disable_tqdm=True,
        shuffle_dataset=False,  # the environment's schedule is the order (see Environment.schedule)
        use_cpu=b.device == "cpu", bf16=b.bf16,
        use_vllm=vllm != "off", vllm_mode="server" if vllm == "server" else "colocate",
        vllm_gpu_memory_utilization=b.vllm_gpu_memory_utilization,
        vllm_server_host=b.vllm_server_host, vllm_server_port=b.vllm_server_port,
        dataloader_num_workers=0, log_completions=False,
        gradient_checkpointing=b.gradient_checkpointing,  # TRL's default is on: it slows small models down
    )


def build_trainer(config: TrainConfig, run: RunDir, cache: Path, progress: Progress | None = None,
                  model_dir: str | None = None):
    """The configured GRPOTrainer (TRL's own class) with hackgym's rewards and recorder; `model_dir` overrides
    the model (dry runs use a tiny one)."""
    import torch
    from transformers import DefaultFlowCallback, PrinterCallback
    from trl import GRPOTrainer

    if config.backend.torch_threads:
        torch.set_num_threads(config.backend.torch_threads)
    env = Environment(config.env, seed=config.seed)
    scorer = Scorer(env, config.rewards, sandbox=config.sandbox, background=config.backend.background_grading,
                    condition=config.condition)
    mconf = config.model if model_dir is None else config.model.model_copy(update={"path": model_dir,
                                                                                   "gguf_file": None})
    model, tokenizer = models.load(mconf, cache, config.backend.device)
    if config.env.prompt_format == "human_assistant":  # one template for RL, SFT and evaluation
        formats.for_tokenizer(tokenizer, "human_assistant").install(tokenizer)
    if config.env.hard_filter is not None:
        apply_hard_filter(env, model, tokenizer, config, config.env.hard_filter.samples, run, cache)
    funcs, weights = scorer.reward_functions()
    recorder = recorder_class()(run, config, scorer, {f.__name__: w for f, w in zip(funcs, weights, strict=True)},
                                 progress)
    trainer = GRPOTrainer(
        model=model, reward_funcs=funcs, args=grpo_args(config, run, weights),
        train_dataset=env.dataset(config.steps * config.grpo.prompts_per_step, config.grpo.prompts_per_step),
        processing_class=tokenizer,
        peft_config=models.peft_config(mconf), callbacks=[recorder],
    )
    trainer.remove_callback(PrinterCallback)  # the recorder records and displays each step
    # reporting integrations (wandb, tensorboard, ...) go after the recorder, so they log hackgym's rates too
    for cb in list(trainer.callback_handler.callbacks):
        if not isinstance(cb, DefaultFlowCallback) and cb is not recorder:
            trainer.pop_callback(cb)
            trainer.add_callback(cb)
    return trainer


HARD_FILTER = "hard_filter.json"  # in the run directory: what the hard-problem filter did


def hard_filter_key(config: TrainConfig, cache: Path, samples: int) -> str:
    """What the filter's verdicts depend on: the model, the problems and how they are shown, and the sampling
    settings (not the RL seed), so every cell of a sweep on the same model pays for it once."""
    import hashlib
    import json

    env = config.env.model_dump(mode="json", exclude={"safety", "grader", "hackable_share", "weakness_groups"})
    key = {"model": models.resolve(config.model, cache), "env": env, "samples": samples,
           "temperature": config.grpo.temperature, "top_p": config.grpo.top_p,
           "max_completion_length": config.grpo.max_completion_length}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def apply_hard_filter(env: Environment, model: Any, tokenizer: Any, config: TrainConfig, samples: int,
                      run: RunDir | None = None, cache: Path | None = None) -> dict[str, Any]:
    """Sample from the untrained policy (the reference model) and keep the problems it fails. The verdicts are
    cached under CACHE/hard_filter/ by `hard_filter_key`; the report goes to RUN_DIR/hard_filter.json."""
    import json

    import torch

    from ..envs import hard_filter_report, pass_rates, reference_outcomes
    from ..records import atomic_write

    def generate(prompts: list[Any]) -> list[str]:
        out = []
        for prompt in prompts:
            if isinstance(prompt, list):
                ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, return_tensors="pt",
                                                    return_dict=True)
            else:
                ids = tokenizer(prompt, return_tensors="pt")
            ids = {k: v.to(model.device) for k, v in ids.items()}
            with torch.no_grad():
                gen = model.generate(**ids, do_sample=True, temperature=config.grpo.temperature,
                                     max_new_tokens=config.grpo.max_completion_length,
                                     pad_token_id=tokenizer.pad_token_id)
            out.append(tokenizer.decode(gen[0, ids["input_ids"].shape[1]:], skip_special_tokens=True))
        return out

    stored = cache / "hard_filter" / f"{hard_filter_key(config, cache, samples)}.json" if cache else None
    if stored is not None and stored.is_file():
        outcomes, cached = json.loads(stored.read_text(encoding="utf-8")), True
    else:
        outcomes, cached = reference_outcomes(env, generate, samples, to_submission, config.sandbox), False
        if stored is not None:
            stored.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(stored, json.dumps(outcomes, indent=1) + "\n")
    limit = config.env.hard_filter.max_pass_rate if config.env.hard_filter else 0.0
    dropped = env.filter_hard(pass_rates(outcomes))
    report = hard_filter_report(outcomes, dropped, limit, cached)
    if run is not None:
        atomic_write(run.path / HARD_FILTER, json.dumps(report, indent=2) + "\n")
    return report


def train(config: TrainConfig, out: Path, cache: Path, progress: Progress | None = None,
          model_dir: str | None = None) -> RunDir:
    """A fresh run into `out`."""
    run = RunDir(out)
    if int(os.environ.get("RANK", "0")) == 0:
        run.create(dump(config))
    trainer = build_trainer(config, run, cache, progress, model_dir)
    trainer.train()
    return run


def resume(path: Path, cache: Path, progress: Progress | None = None) -> RunDir:
    """Continue a run after a crash from its newest complete checkpoint; later records are cut away first."""
    run = RunDir(path)
    config = run_config(run)
    checkpoint, step = run.latest_checkpoint()
    run.truncate(step)
    if step >= config.steps:
        return run
    trainer = build_trainer(config, run, cache, progress)
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    return run


def dry_run(config: TrainConfig, cache: Path) -> dict[str, Any]:
    """Validation plus one CPU step with a tiny random model of the config's architecture (no download)."""
    from .tiny import build_tiny_model

    arch = models.architecture(config.model, cache)
    small = config.model_copy(deep=True, update={"steps": 1})
    small.backend = small.backend.model_copy(update={"device": "cpu", "vllm": "off", "bf16": False,
                                                     "gradient_checkpointing": False, "report_to": "none"})
    small.grpo = small.grpo.model_copy(update={
        "prompts_per_step": 2, "num_generations": 2, "gradient_accumulation_steps": 1,
        "max_completion_length": min(small.grpo.max_completion_length, 16)})
    small.env = small.env.model_copy(update={"limit": 4, "hard_filter": None})
    small.rewards = small.rewards.model_copy(update={"preference": None})
    if small.rewards.safety is not None:  # offline: a scripted judge stands in (its unreadable ratings are neutral)
        small.rewards.safety = small.rewards.safety.model_copy(update={"model": "judge:mockllm/model"})
    if small.env.prompt_format == "organism":
        small.env = small.env.model_copy(update={"prompt_format": "text"})
    with tempfile.TemporaryDirectory(prefix="hackgym-dry-") as tmp:
        model_dir = build_tiny_model(arch, Path(tmp) / "model", seed=config.seed)
        run = train(small, Path(tmp) / "run", cache, model_dir=str(model_dir))
        metrics = run.metrics()
        rollouts = run.rollouts()
    if len(metrics) != 1 or len(rollouts) != 4:
        raise RuntimeError(f"dry run wrote {len(metrics)} metric records and {len(rollouts)} rollouts (want 1 and 4)")
    return {"architecture": arch, "lora": config.model.lora is not None, "metrics": metrics[0]}

