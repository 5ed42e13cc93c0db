"""What hackgym assumes of TRL, checked against the installed version: a TRL upgrade that breaks one of these fails
here, with a message that names the assumption, instead of silently changing an experiment.

hackgym uses only GRPOTrainer's public contract (see src/hackgym/train/runner.py):
1. the installed TRL is in the range pyproject.toml pins;
2. reward functions are plain callables called with `prompts`, `completions`, the dataset's columns,
   `trainer_state` and `log_metric`;
3. a row for which every reward function returns None is unscorable: left out of the group statistics and of
   the logged reward, with zero advantage (screening depends on it);
4. with `shuffle_dataset=False` the prompts come in dataset order, each repeated `num_generations` times
   (resume and the environment's schedule depend on it);
5. callbacks see, for each optimizer step, `on_step_end`, then `on_log` with a `logs` dict they may extend,
   then `on_save` after the checkpoint folder is written.
"""

from __future__ import annotations

import importlib.metadata
import math
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
N_PROMPTS, N_GEN = 2, 2


def _pinned_range() -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return next(d for d in deps if re.match(r"^trl\b", d))[3:]


def test_installed_trl_is_in_the_pinned_range():
    from packaging.specifiers import SpecifierSet

    pinned, installed = _pinned_range(), importlib.metadata.version("trl")
    assert pinned and "<" in pinned, f"pyproject.toml must pin trl to a tested range, not {pinned!r}"
    assert installed in SpecifierSet(pinned), (
        f"trl {installed} is installed but hackgym is tested with trl{pinned}: run tests/test_trl_contract.py "
        "against the new version and widen the pin only when it passes")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from hackgym.train.tiny import build_tiny_model

    return build_tiny_model("llama", tmp_path_factory.mktemp("contract") / "llama")


def _trainer(tiny, tmp_path, reward, steps=1, callbacks=(), prompts=None):
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    rows = prompts or [{"prompt": f"def f{i}(x):\n", "problem_id": f"p{i}"} for i in range(N_PROMPTS * steps)]
    args = GRPOConfig(output_dir=str(tmp_path / "out"), max_steps=steps, per_device_train_batch_size=N_PROMPTS * N_GEN,
                      num_generations=N_GEN, max_completion_length=4, learning_rate=1e-2, beta=0.0,
                      logging_steps=1, save_strategy="steps", save_steps=1, report_to="none", use_cpu=True,
                      bf16=False, shuffle_dataset=False, disable_tqdm=True, seed=0, gradient_checkpointing=False)
    return GRPOTrainer(model=AutoModelForCausalLM.from_pretrained(tiny), reward_funcs=[reward], args=args,
                       train_dataset=Dataset.from_list(rows), processing_class=AutoTokenizer.from_pretrained(tiny),
                       callbacks=list(callbacks))


def test_reward_functions_get_prompts_completions_columns_state_and_log_metric(tiny, tmp_path):
    seen: dict = {}

    def reward(prompts, completions, **kwargs):
        seen.update(kwargs, prompts=prompts, completions=completions)
        kwargs["log_metric"]("contract/probe", 0.25)
        return [0.0] * len(completions)

    trainer = _trainer(tiny, tmp_path, reward)
    trainer.train()
    assert len(seen["prompts"]) == len(seen["completions"]) == N_PROMPTS * N_GEN
    assert seen["problem_id"] == ["p0", "p0", "p1", "p1"], "dataset columns are passed to reward functions by name"
    assert hasattr(seen["trainer_state"], "global_step"), "reward functions receive the TrainerState"
    assert callable(seen["log_metric"]), "reward functions receive log_metric"
    logged = [h for h in trainer.state.log_history if "contract/probe" in h]
    assert logged and logged[0]["contract/probe"] == 0.25, "log_metric values reach TRL's logs"


@pytest.mark.parametrize("none_rows", [True, False])
def test_rows_every_reward_function_scores_none_are_left_out_with_zero_advantage(tiny, tmp_path, none_rows):
    """Half of each group scored 1.0, the other half None: the logged reward is 1.0 (the None rows are not
    counted as 0) and, every scorable row being equal, no advantage is left, so the gradient is zero. The control
    (0.0 instead of None) must move the policy, or the check would prove nothing."""

    def reward(prompts, completions, **kwargs):
        return [1.0 if i % 2 == 0 else (None if none_rows else 0.0) for i in range(len(completions))]

    trainer = _trainer(tiny, tmp_path, reward)
    trainer.train()
    log = next(h for h in trainer.state.log_history if "reward" in h)
    if none_rows:
        assert log["reward"] == pytest.approx(1.0), "None rows must leave the logged reward (screening)"
        assert log["grad_norm"] == pytest.approx(0.0), "None rows must get zero advantage (screening)"
    else:
        assert log["reward"] == pytest.approx(0.5) and log["grad_norm"] > 0


def test_prompts_come_in_dataset_order_without_shuffling(tiny, tmp_path):
    order: list[str] = []

    def reward(prompts, completions, problem_id, **kwargs):
        order.extend(problem_id)
        return [0.0] * len(completions)

    _trainer(tiny, tmp_path, reward, steps=3).train()
    expected = [f"p{i}" for i in range(N_PROMPTS * 3) for _ in range(N_GEN)]
    assert order == expected, "shuffle_dataset=False must keep dataset order (Environment.schedule relies on it)"


def test_callbacks_see_step_end_then_log_then_save_and_may_extend_the_logs(tiny, tmp_path):
    from transformers import TrainerCallback

    events: list[tuple[str, int]] = []

    class Recorder(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            events.append(("step_end", state.global_step))

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs is not None and "loss" in logs:
                events.append(("log", state.global_step))
                logs["contract/extra"] = 1.0
                state.log_history[-1]["contract/extra"] = 1.0

        def on_save(self, args, state, control, **kwargs):
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            assert (folder / "trainer_state.json").is_file(), "on_save comes after the checkpoint is written"
            events.append(("save", state.global_step))

    trainer = _trainer(tiny, tmp_path, lambda prompts, completions, **kw: [0.0] * len(completions), steps=2,
                       callbacks=[Recorder()])
    trainer.train()
    per_step = [e for e in events if e[1] == 1]
    assert per_step == [("step_end", 1), ("log", 1), ("save", 1)], events
    assert all("contract/extra" in h for h in trainer.state.log_history if "loss" in h)
    assert not math.isnan(trainer.state.log_history[0].get("loss", 0.0))
