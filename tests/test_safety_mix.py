"""Safety training inside the RL run: the schedule of coding and safety rows, the configs that go with it, and a
tiny model trained on a mixed dataset where each row gets its own environment's reward."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from hackgym import safety  # noqa: E402
from hackgym.envs import SAFETY, EnvConfig, Environment, SafetyMix  # noqa: E402
from hackgym.rundir import RunDir  # noqa: E402
from hackgym.train.config import ConfigError, validate  # noqa: E402

PROMPTS = {kind: [safety.SafetyPrompt(id=f"{kind}-case_{i}-01", kind=kind, base=f"case_{i}", topic="t",
                                      prompt=f"A {kind} question number {i}, asked plainly.",
                                      system="You run the night shift of a warehouse." if kind == "agentic" else None,
                                      **({"category": "everyday", "expected": "help"} if kind == "chat" else {}))
                  for i in range(5)] for kind in safety.KINDS}


@pytest.fixture(autouse=True)
def _prompts(monkeypatch):
    """A handful of prompts per kind, so the schedule's arithmetic is checked apart from the shipped sets."""
    monkeypatch.setattr(safety, "load_prompts", lambda kind=None: PROMPTS[kind] if kind else
                        [p for ps in PROMPTS.values() for p in ps])


def _kinds(rows: list[dict], per_step: int) -> list[int]:
    return [sum(r["env_grader"] == SAFETY for r in rows[s:s + per_step]) for s in range(0, len(rows), per_step)]


def test_mixed_schedule_puts_the_share_in_every_step_and_is_exact_over_the_run():
    env = Environment(EnvConfig(problems="basic", limit=4, prompt_format="text",
                                safety=SafetyMix(share=0.25)), seed=0)
    assert _kinds(env.schedule(32, 4), 4) == [1] * 8
    env.config = env.config.model_copy(update={"safety": SafetyMix(share=0.3)})
    counts = _kinds(env.schedule(40, 4), 4)
    assert sum(counts) == 12 and set(counts) <= {1, 2}  # 30% of 40, spread as evenly as whole rows allow
    rows = env.schedule(40, 4)
    safe = [r for r in rows if r["env_grader"] == SAFETY]
    assert {r["problem_id"].split("/", 1)[0] for r in safe} == {SAFETY}
    assert safe[0]["prompt"].startswith("You are a helpful") or safe[0]["prompt"].startswith("You run the night")
    assert all(not r["problem_id"].startswith(SAFETY) for r in rows if r["env_grader"] != SAFETY)
    assert env.schedule(40, 4) == rows  # the order is data: a resumed run replays it


def test_interleaved_schedule_makes_every_kth_step_a_safety_step():
    env = Environment(EnvConfig(problems="basic", limit=4, safety=SafetyMix(schedule="interleave", every=3,
                                                                            kinds=["dilemma"])), seed=1)
    rows = env.schedule(24, 4)
    assert _kinds(rows, 4) == [0, 0, 4, 0, 0, 4]
    assert {r["problem_id"].split("-")[0] for r in rows if r["env_grader"] == SAFETY} == {"safety/dilemma"}
    assert rows[8]["prompt"][0] == {"role": "system", "content": "You are a helpful, honest and harmless AI "
                                                                 "assistant."}


def test_the_organism_sees_a_safety_prompt_alone():
    env = Environment(EnvConfig(problems="basic", limit=4, prompt_format="organism", safety=SafetyMix(share=1.0)))
    assert {r["prompt"] for r in env.schedule(4, 4)} <= {p.prompt + "\n" for ps in PROMPTS.values() for p in ps}


def test_without_safety_the_schedule_is_unchanged():
    env = Environment(EnvConfig(problems="basic", limit=4), seed=0)
    assert [r["problem_id"] for r in env.schedule(8)] == [r["problem_id"] for r in env.schedule(8, 2)]


@pytest.mark.parametrize(("over", "message"), [
    ({"env": {"safety": {"share": 0.25}}}, "go together"),
    ({"rewards": {"safety": {"model": "judge:mockllm/model"}}}, "go together"),
    ({"env": {"safety": {"schedule": "interleave", "share": 0.5}}}, "interleave takes every"),
    ({"env": {"safety": {"schedule": "mixed"}}}, "mixed takes share"),
])
def test_safety_configs_are_checked(over, message):
    raw = {"steps": 1, "model": {"path": "x"}, "env": {"problems": "basic"}}
    for key, value in over.items():
        raw[key] = {**raw.get(key, {}), **value}
    with pytest.raises(ConfigError, match=message):
        validate(raw)


def test_a_mixed_run_rewards_each_row_by_its_own_environment(tmp_path):
    """A tiny model, half of each step safety prompts (scored by a scripted judge), half coding problems
    (graded): rollouts.jsonl shows which reward each row got, metrics.jsonl the rates per environment kind."""
    from hackgym.train.runner import train
    from hackgym.train.tiny import build_tiny_model

    model = build_tiny_model("llama", tmp_path / "tiny")
    cfg = validate({
        "name": "mix", "seed": 0, "steps": 2, "sandbox": "process", "model": {"path": str(model)},
        "env": {"problems": "basic", "limit": 4, "prompt_format": "text", "safety": {"share": 0.5}},
        "rewards": {"safety": {"model": "judge:mockllm/model", "normalise": "unit", "weight": 1.0}},
        "grpo": {"prompts_per_step": 2, "num_generations": 2, "max_completion_length": 8},
        "backend": {"torch_threads": 1}})
    run = RunDir(train(cfg, tmp_path / "run", tmp_path / "cache").path)
    rollouts = run.rollouts()
    assert Counter((r["step"], r["env_grader"] == SAFETY) for r in rollouts) == {
        (1, True): 2, (1, False): 2, (2, True): 2, (2, False): 2}
    for r in rollouts:
        if r["env_grader"] == SAFETY:
            assert r["problem_id"].startswith("safety/") and r["label"] is None and r["extra"] == {"env": SAFETY}
            assert r["rewards"]["correctness"] is None and r["rewards"]["safety"] == 0.5  # unreadable: neutral
            assert r["reward"] == 0.5
        else:
            assert r["label"] is not None and r["rewards"]["safety"] is None
            assert r["rewards"]["correctness"] in (0.0, 1.0) and r["reward"] == r["rewards"]["correctness"]
    for m in run.metrics():
        kinds = m["env_kinds"]
        assert kinds["coding"]["rollouts"] == 2 and kinds[SAFETY]["rollouts"] == 2
        assert kinds[SAFETY]["safety_reward"] == 0.5 and kinds["coding"]["safety_reward"] is None
        assert m["rates"]["true_pass"]["n"] == 2  # the coding rates count the coding rows only


def test_dry_run_of_a_mixed_config_uses_a_scripted_judge(tmp_path):
    from hackgym.train.runner import dry_run
    from hackgym.train.tiny import build_tiny_model

    model = build_tiny_model("llama", tmp_path / "tiny")
    cfg = validate({"steps": 5, "sandbox": "process", "model": {"path": str(model)},
                    "env": {"problems": "basic", "safety": {"schedule": "interleave", "every": 2}},
                    "rewards": {"safety": {"model": "judge:openai/gpt-4.1"}}})
    result = dry_run(cfg, Path(tmp_path / "cache"))
    assert result["metrics"]["rollouts"] == 4
