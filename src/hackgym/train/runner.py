"""GRPO runs through TRL: trainer subclass (screening, rollout records, complete-or-ignored checkpoints), the
per-step metrics callback with a Rich display, and `train()` / `resume()`.

Screening uses TRL's own rule for unscorable rows: when every reward function gives NaN for a completion,
GRPOTrainer leaves it out of its group's mean and std and sets its advantage to 0 (trl 1.16,
`_generate_and_score_completions`). The subclass NaNs flagged rows after the rewards are computed, so the
policy gets no gradient from them while their labels and rewards are still recorded.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..envs import Environment
from . import model as models
from .config import TrainConfig
from .rewards import Scorer, step_metrics, to_submission
from .rundir import CHECKPOINTS, ROLLOUTS, RunDir

ONSET_THRESHOLD = 0.02
Progress = Callable[[dict[str, Any]], None]


def _trainer_class():
    from trl import GRPOTrainer
    from trl.trainer.utils import RepeatSampler

    class EpochSeededSampler(RepeatSampler):
        """TRL's sampler seeds its generator once, so a resumed run would reshuffle later epochs differently;
        reseeding from (seed, epoch), which the Trainer sets each epoch, replays the same prompt order."""

        def set_epoch(self, epoch: int) -> None:
            if self.shuffle and self.seed is not None:
                self.generator.manual_seed(self.seed + epoch)

    class HackgymGRPOTrainer(GRPOTrainer):
        """GRPOTrainer that records every rollout with its labels and applies screening."""

        def __init__(self, *args: Any, scorer: Scorer, run: RunDir, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.scorer = scorer
            self.run = run
            self.step_records: dict[int, dict[str, Any]] = {}
            self.timing: dict[str, float] = {"generation": 0.0, "grading": 0.0}

        def _get_train_sampler(self, dataset=None):
            base = super()._get_train_sampler(dataset)
            return EpochSeededSampler(data_source=base.data_source, mini_repeat_count=base.mini_repeat_count,
                                      batch_size=base.batch_size, repeat_count=base.repeat_count,
                                      shuffle=base.shuffle, seed=base.seed)

        def _generate_and_score_completions(self, inputs):
            start = time.perf_counter()
            before = self.timing["grading"]
            out = super()._generate_and_score_completions(inputs)
            self.timing["generation"] += time.perf_counter() - start - (self.timing["grading"] - before)
            return out

        def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
            import torch
            from accelerate.utils import gather_object

            start = time.perf_counter()
            rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
            step = self.state.global_step + 1
            columns = {k: [x[k] for x in inputs] for k in ("problem_id", "env_grader")}
            labels = gather_object(self.scorer.score(completions, trainer_state=self.state, **columns))
            all_prompts = gather_object(prompts)
            screened = self.scorer.screened(labels, step)
            weights = self.reward_weights.to(rewards.device)
            totals = (rewards * weights).nansum(dim=1).tolist()
            per_func = rewards.tolist()
            if any(screened):
                rewards[torch.tensor(screened, device=rewards.device)] = torch.nan
            if self.accelerator.is_main_process:
                records = []
                for i, (lab, prompt) in enumerate(zip(labels, all_prompts, strict=True)):
                    rec = {"step": step, "index": i, "prompt": prompt, **lab, "screened": screened[i],
                           "reward": totals[i],
                           "rewards": {n: (None if math.isnan(v) else v)
                                       for n, v, w in zip(self.reward_func_names, per_func[i], weights.tolist(),
                                                          strict=True) if w != 0}}
                    records.append(rec)
                self.run.append(ROLLOUTS, records)
                metrics = step_metrics(labels, self.scorer.hack_types)
                metrics["reward"] = sum(totals) / max(len(totals), 1)
                metrics["screened"] = sum(screened) / max(len(screened), 1)
                self.step_records[step] = metrics
            self.timing["grading"] += time.perf_counter() - start
            return rewards

        def _save_checkpoint(self, model, trial):
            super()._save_checkpoint(model, trial)
            if self.accelerator.is_main_process:
                folder = Path(self._get_output_dir(trial=trial)) / f"checkpoint-{self.state.global_step}"
                self.run.mark_complete(folder)

    return HackgymGRPOTrainer


def _callback_class():
    from transformers import TrainerCallback

    class StepRecorder(TrainerCallback):
        """Writes one metrics.jsonl record per optimizer step (before that step's checkpoint is saved)."""

        def __init__(self, run: RunDir, config: TrainConfig, progress: Progress | None) -> None:
            self.run = run
            self.config = config
            self.progress = progress
            self.trainer: Any = None
            previous = run.metrics()
            self.onset: int | None = next((m["onset_step"] for m in previous if m.get("onset_step")), None)
            self.written = max((m["step"] for m in previous), default=0)
            self.last = time.perf_counter()
            self.timing_seen = {"generation": 0.0, "grading": 0.0}

        def on_step_begin(self, args, state, control, **kwargs):
            self.last = time.perf_counter()

        def on_log(self, args, state, control, logs=None, **kwargs):
            step = state.global_step
            if not state.is_world_process_zero or logs is None or step <= self.written:
                return  # the end-of-training summary comes at an already recorded step
            self.written = step
            rec: dict[str, Any] = {"step": step, "condition": self.config.condition,
                                   "env_grader": self.config.env.grader}
            rec.update(self.trainer.step_records.pop(step, {}))
            if self.onset is None and rec.get("hack_success", 0.0) > ONSET_THRESHOLD:
                self.onset = step
            rec["onset_step"] = self.onset
            now = time.perf_counter()
            timing = self.trainer.timing
            gen = timing["generation"] - self.timing_seen["generation"]
            grade = timing["grading"] - self.timing_seen["grading"]
            self.timing_seen = dict(timing)
            total = now - self.last
            self.last = now
            rec["time"] = {"step": total, "generation": gen, "grading": grade,
                           "optimisation": max(total - gen - grade, 0.0)}
            rec["trl"] = {k: v for k, v in logs.items() if isinstance(v, int | float)}
            self.run.append("metrics.jsonl", [rec])
            if self.progress:
                self.progress(rec)

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
        save_total_limit=config.keep_checkpoints, report_to="none", disable_tqdm=True,
        use_cpu=b.device == "cpu", bf16=b.bf16,
        use_vllm=vllm != "off", vllm_mode="server" if vllm == "server" else "colocate",
        vllm_gpu_memory_utilization=b.vllm_gpu_memory_utilization,
        vllm_server_host=b.vllm_server_host, vllm_server_port=b.vllm_server_port,
        dataloader_num_workers=0, log_completions=False,
        gradient_checkpointing=b.gradient_checkpointing,  # TRL's default is on: it slows small models down
    )


def build_trainer(config: TrainConfig, run: RunDir, cache: Path, progress: Progress | None = None,
                  model_dir: str | None = None):
    """The configured trainer; `model_dir` overrides the model (dry runs use a tiny one)."""
    import torch

    if config.backend.torch_threads:
        torch.set_num_threads(config.backend.torch_threads)
    env = Environment(config.env, seed=config.seed)
    scorer = Scorer(env, config.rewards, sandbox=config.sandbox)
    mconf = config.model if model_dir is None else config.model.model_copy(update={"path": model_dir,
                                                                                   "gguf_file": None})
    model, tokenizer = models.load(mconf, cache, config.backend.device)
    if config.env.hard_filter is not None:
        _apply_hard_filter(env, model, tokenizer, config, config.env.hard_filter.samples)
    funcs, weights = scorer.reward_functions()
    reward_funcs: list[Any] = list(funcs)
    if (pref := config.rewards.preference) is not None:
        reward_funcs.append(pref.model)
        weights.append(pref.weight)
    callback = _callback_class()(run, config, progress)
    trainer = _trainer_class()(
        model=model, reward_funcs=reward_funcs, args=grpo_args(config, run, weights),
        train_dataset=env.dataset(), processing_class=tokenizer, peft_config=models.peft_config(mconf),
        callbacks=[callback], scorer=scorer, run=run,
    )
    callback.trainer = trainer
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # the callback above records and displays each step
    return trainer


def _apply_hard_filter(env: Environment, model: Any, tokenizer: Any, config: TrainConfig, samples: int) -> None:
    """Sample from the untrained policy (the reference model) and keep the problems it fails."""
    import torch

    from ..envs import reference_pass_rates

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

    rates = reference_pass_rates(env, generate, samples, to_submission, config.sandbox)
    env.filter_hard(rates)


def train(config: TrainConfig, out: Path, cache: Path, progress: Progress | None = None,
          model_dir: str | None = None) -> RunDir:
    """A fresh run into `out`."""
    run = RunDir(out)
    if int(os.environ.get("RANK", "0")) == 0:
        run.create(config)
    trainer = build_trainer(config, run, cache, progress, model_dir)
    trainer.train()
    return run


def resume(path: Path, cache: Path, progress: Progress | None = None) -> RunDir:
    """Continue a run after a crash from its newest complete checkpoint; later records are cut away first."""
    run = RunDir(path)
    config = run.config()
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
                                                     "gradient_checkpointing": False})
    small.grpo = small.grpo.model_copy(update={
        "prompts_per_step": 2, "num_generations": 2, "gradient_accumulation_steps": 1,
        "max_completion_length": min(small.grpo.max_completion_length, 16)})
    small.env = small.env.model_copy(update={"limit": 4, "hard_filter": None})
    small.rewards = small.rewards.model_copy(update={"preference": None})
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
