"""GRPO runs through TRL: trainer subclass (screening, rollout records, complete-or-ignored checkpoints), the
per-step metrics callback with a Rich display, and `train()` / `resume()`.

Screening uses TRL's own rule for unscorable rows: when every reward function gives NaN for a completion,
GRPOTrainer leaves it out of its group's mean and std and sets its advantage to 0 (trl 1.16,
`_generate_and_score_completions`). The subclass NaNs flagged rows after the rewards are computed, so the
policy gets no gradient from them while their labels and rewards are still recorded.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..envs import Environment
from . import model as models
from .config import TrainConfig
from .rewards import BatchLabels, Scorer, step_metrics, to_submission
from .rundir import CHECKPOINTS, ROLLOUTS, RunDir

ONSET_THRESHOLD = 0.02
# seconds per step. generation and grading block the step (grading: the rewards' verdicts, then any wait for the
# rest); measured_grading is the wall time of the measured-only part (true pass, probe, signatures: in the
# background by default, so not blocking). The record's grading_jobs adds up the sandbox time of the step's
# fresh verdicts, wherever they ran.
TIMINGS = ("generation", "grading", "measured_grading")
Progress = Callable[[dict[str, Any]], None]


class _EarlyGrading:
    """Hands each completion to `Scorer.grade_early` the step it ends, while the rest of TRL's batch generates.

    A forward pre-hook on the input embeddings sees every token fed back into the model during `generate` (after
    the prompts' prefill, one per row and step); a row's completion is over when it feeds an eos. Its text is
    decoded as TRL decodes completions (up to and including the first eos, special tokens skipped); where TRL's
    own text differs, the early verdict is simply not the one asked for later. Armed only around transformers'
    own generation (not vLLM's), with one row per prompt of the batch.
    """

    def __init__(self, scorer: Scorer, tokenizer: Any, eos_ids: list[int]) -> None:
        self.scorer = scorer
        self.tokenizer = tokenizer
        self.eos_ids = eos_ids
        self.rows: list[tuple[str, str]] | None = None
        self.fed: list[Any] = []
        self.ended: Any = None

    def arm(self, rows: list[tuple[str, str]]) -> None:
        self.rows, self.fed, self.ended = rows, [], None

    def disarm(self) -> None:
        self.rows, self.fed, self.ended = None, [], None

    def __call__(self, module: Any, args: tuple[Any, ...]) -> None:
        import torch

        if self.rows is None or not args or not isinstance(args[0], torch.Tensor) or args[0].dim() != 2:
            return
        ids = args[0]
        if ids.shape[0] != len(self.rows):
            self.disarm()
        elif self.ended is None:  # the prompts' prefill
            self.ended = torch.zeros(len(self.rows), dtype=torch.bool)
        else:
            self._token_fed(ids[:, -1].cpu())

    def _token_fed(self, token: Any) -> None:
        import torch

        self.fed.append(token)
        now = torch.isin(token, torch.tensor(self.eos_ids)) & ~self.ended
        self.ended |= now
        for row in now.nonzero().flatten().tolist():
            text = self.tokenizer.decode([int(t[row]) for t in self.fed], skip_special_tokens=True)
            self.scorer.grade_early(*self.rows[row], text)


@dataclass
class _Scored:
    """A batch whose rewards are out and whose complete labels may still be grading in the background."""

    step: int
    prompts: list[Any]
    screened: list[bool]
    totals: list[float]
    per_func: list[list[float]]
    weights: list[float]
    labels: Future[BatchLabels]


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
            self.unfinished: deque[_Scored] = deque()
            self.timing: dict[str, float] = dict.fromkeys(TIMINGS, 0.0)
            self.early = _EarlyGrading(scorer, self.processing_class, self.eos_token_ids)
            self.rows: list[tuple[str, str]] = []
            with contextlib.suppress(AttributeError, NotImplementedError):
                self.model.get_input_embeddings().register_forward_pre_hook(self.early)

        def _get_train_sampler(self, dataset=None):
            base = super()._get_train_sampler(dataset)
            return EpochSeededSampler(data_source=base.data_source, mini_repeat_count=base.mini_repeat_count,
                                      batch_size=base.batch_size, repeat_count=base.repeat_count,
                                      shuffle=base.shuffle, seed=base.seed)

        def _generate_single_turn(self, prompt_ids, *args, **kwargs):
            if not self.use_vllm and not getattr(self, "use_transformers_continuous_batching", False) \
                    and len(prompt_ids) == len(self.rows):
                self.early.arm(self.rows)
            try:
                return super()._generate_single_turn(prompt_ids, *args, **kwargs)
            finally:
                self.early.disarm()

        def _generate_and_score_completions(self, inputs):
            self.rows = [(x["problem_id"], x["env_grader"]) for x in inputs]
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
            screened = self.scorer.screened(labels, step)
            weights = self.reward_weights.to(rewards.device).tolist()
            totals = (rewards * self.reward_weights.to(rewards.device)).nansum(dim=1).tolist()
            per_func = rewards.tolist()
            if any(screened):
                rewards[torch.tensor(screened, device=rewards.device)] = torch.nan
            self.unfinished.append(_Scored(step, gather_object(prompts), screened, totals, per_func, weights,
                                           self.scorer.pending))
            self.timing["grading"] += time.perf_counter() - start
            return rewards

        def finish_steps(self) -> None:
            """Wait for the background grading of the batches scored so far, write their rollouts, log their
            measured rates and keep their metrics for the step's record. Runs on every process after each
            optimizer step, before the step is logged and checkpointed, so a complete checkpoint never lacks
            records."""
            from accelerate.utils import gather_object

            start = time.perf_counter()
            while self.unfinished:
                scored = self.unfinished.popleft()
                done = scored.labels.result()
                self.timing["measured_grading"] += done.measured_s
                labels = gather_object(done.labels)
                self._log_measured(labels, scored.screened)
                if not self.accelerator.is_main_process:
                    continue
                records = []
                for i, (lab, prompt) in enumerate(zip(labels, scored.prompts, strict=True)):
                    rec = {"step": scored.step, "index": i, "prompt": prompt, **lab, "screened": scored.screened[i],
                           "reward": scored.totals[i],
                           "rewards": {n: (None if math.isnan(v) else v)
                                       for n, v, w in zip(self.reward_func_names, scored.per_func[i], scored.weights,
                                                          strict=True) if w != 0}}
                    records.append(rec)
                self.run.append(ROLLOUTS, records)
                metrics = step_metrics(labels, self.scorer.hack_types)
                metrics["reward"] = sum(scored.totals) / max(len(scored.totals), 1)
                metrics["screened"] = sum(scored.screened) / max(len(scored.screened), 1)
                self.step_records[scored.step] = metrics
            self.timing["grading"] += time.perf_counter() - start

        def _log_measured(self, labels: list[dict[str, Any]], screened: list[bool]) -> None:
            """Mean and std of each measured rate where TRL logs a reward function's (screened rows left out,
            as TRL leaves out rows whose rewards are all NaN)."""
            import torch
            from trl.trainer.utils import nanstd

            for name, value in self.scorer.metrics().items():
                col = torch.tensor([math.nan if s else float(value(lab)) for lab, s in zip(labels, screened, strict=True)],
                                   dtype=torch.float32)
                self._metrics["train"][f"rewards/{name}/mean"].append(torch.nanmean(col).item())
                self._metrics["train"][f"rewards/{name}/std"].append(nanstd(col).item())

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
            self.timing_seen = dict.fromkeys(TIMINGS, 0.0)
            self.jobs_seen = 0.0

        def on_step_begin(self, args, state, control, **kwargs):
            self.last = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.trainer.finish_steps()

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
            spent = {k: v - self.timing_seen[k] for k, v in self.trainer.timing.items()}
            self.timing_seen = dict(self.trainer.timing)
            total = now - self.last
            self.last = now
            rec["time"] = {"step": total, "generation": spent["generation"], "grading": spent["grading"],
                           "optimisation": max(total - spent["generation"] - spent["grading"], 0.0),
                           "measured_grading": spent["measured_grading"],
                           "grading_jobs": self.trainer.scorer.cache.work.seconds - self.jobs_seen}
            self.jobs_seen = self.trainer.scorer.cache.work.seconds
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
    scorer = Scorer(env, config.rewards, sandbox=config.sandbox, background=config.backend.background_grading)
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
