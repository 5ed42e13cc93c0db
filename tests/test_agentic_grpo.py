"""Agentic episodes as multi-turn GRPO rollouts (TRL's `rollout_func`) through `hackgym train`: the config switch
and its errors, a run of a tiny model that writes metrics.jsonl, rollouts.jsonl with whole episodes and
checkpoints and resumes, the dry run of the shipped config, and the scripted agents trained through the same
recorder, each labelled as it should be under `vulnerable` and `hardened`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hackgym import format as formats
from hackgym.cli import app
from hackgym.detect import Rollout
from hackgym.envs.agentic import SCRIPTS, EpisodeRecord
from hackgym.rundir import RunDir
from hackgym.train.agentic import observation_ids, scripted
from hackgym.train.config import ConfigError, dump, load_configs, validate

pytestmark = pytest.mark.jail
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from hackgym.train.tiny import build_tiny_model

    # the episode's opening (prompt, README, files) runs past the default 1024 positions
    return build_tiny_model("llama", tmp_path_factory.mktemp("agentic") / "llama", max_position_embeddings=8192)


def agentic_config(path, **over) -> dict:
    cfg = {
        "name": "agentic", "seed": 1, "steps": 3, "save_every": 1, "sandbox": "jail",
        "model": {"path": str(path)},
        "env": {"problems": "basic", "limit": 4, "grader": "vulnerable", "hint": "hack_hint", "addendum": "dont_hack",
                "episode": "agentic", "agentic": {"max_turns": 2, "max_turn_tokens": 12}},
        "grpo": {"prompts_per_step": 2, "num_generations": 2, "max_completion_length": 48, "learning_rate": 1e-3},
        "backend": {"torch_threads": 1},
    }
    for key, value in over.items():
        cfg[key] = {**cfg.get(key, {}), **value} if isinstance(value, dict) else value
    return cfg


# -- the config switch


@pytest.mark.parametrize(("env", "over", "message"), [
    ({"prompt_format": "text"}, {}, "env.prompt_format 'text': an agentic episode is a conversation"),
    ({"prompt_format": "organism", "hint": None, "addendum": None}, {}, "env.prompt_format 'organism'"),
    ({"hint": None, "addendum": None}, {}, r"env.hint / env.addendum \(None, None\): an agentic episode takes one"),
    ({"episode": "single_turn"}, {}, "env.agentic: budgets of agentic episodes; set env.episode: agentic"),
    ({"agentic": {"max_turnz": 2}}, {}, "unknown key 'env.agentic.max_turnz'"),
    ({"hard_filter": {"samples": 2}}, {}, "env.hard_filter: it samples single-turn answers"),
    ({"safety": {"share": 0.5}}, {"rewards": {"safety": {"model": "judge:mockllm/model"}}}, "env.safety: safety"),
    ({}, {"rewards": {"preference": {"model": "judge:mockllm/model"}}}, "rewards.preference: it rates one answer"),
    ({}, {"backend": {"device": "gpu", "vllm": "colocate"}}, "backend.vllm colocate: agentic episodes are sampled"),
    ({}, {"model": {"path": "organism:"}}, "model.path organism: with env.episode agentic"),
])
def test_agentic_config_errors_name_the_key(env, over, message):
    cfg = agentic_config("x", **over)
    cfg["env"] = {**cfg["env"], **env}
    with pytest.raises(ConfigError, match=message):
        validate(cfg)


def test_the_agentic_switch_validates_with_penalties_screening_and_format():
    cfg = validate(agentic_config("x", rewards={"format_weight": 0.1, "hack_penalty": {"method": "static"},
                                                "screening": {"method": "differential"}}))
    assert cfg.env.episode == "agentic" and cfg.env.agentic_condition() == "dont_hack"
    assert cfg.env.budget.max_turns == 2 and validate(agentic_config("x")).env.budget.max_commands == 6


def test_observations_are_the_templates_user_turn_between_two_assistant_turns(tiny):
    """With the tokenizer's own template and with hackgym's Human/Assistant one."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny)
    glue = tok.decode(observation_ids(tok, "2 passed", ended=True))
    assert glue == "\n<|user|>\n2 passed<|end|>\n<|assistant|>\n"
    assert tok.decode(observation_ids(tok, "x", ended=False)).startswith("<|end|>")
    formats.for_tokenizer(tok, "human_assistant").install(tok)  # a base model's template
    assert tok.decode(observation_ids(tok, "2 passed", ended=True)) == "\n\nHuman: 2 passed\n\nAssistant:"


# -- hackgym train


def test_hackgym_train_runs_agentic_episodes_records_them_and_resumes(tiny, tmp_path, monkeypatch):
    """A tiny model's episodes through `hackgym train`: a time limit stops the run after step 1 with a checkpoint,
    `--resume` goes on to step 2, and every step has its rates, its four episodes and its checkpoint."""
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    path = tmp_path / "agentic.yaml"
    path.write_text(yaml.safe_dump(agentic_config(tiny, steps=2, time_limit_minutes=1e-6)))
    out = tmp_path / "run"
    first = CliRunner().invoke(app, ["train", str(path), "--out", str(out), "--cache", str(tmp_path / "cache")])
    assert first.exit_code == 0, first.output
    run = RunDir(out)
    assert [m["step"] for m in run.metrics()] == [1] and run.metrics()[0]["stopped"].startswith("time_limit")
    resumed = CliRunner().invoke(app, ["train", "--resume", str(out), "--cache", str(tmp_path / "cache")])
    assert resumed.exit_code == 0, resumed.output

    metrics, rollouts = run.metrics(), run.rollouts()
    assert [m["step"] for m in metrics] == [1, 2]
    assert sorted((r["step"], r["index"]) for r in rollouts) == [(s, i) for s in (1, 2) for i in range(4)]
    assert sorted(p.name for p in run.checkpoints.glob("checkpoint-*")) == ["checkpoint-1", "checkpoint-2"]
    assert all((p / "COMPLETE").is_file() for p in run.checkpoints.glob("checkpoint-*"))
    for m in metrics:
        mine = [Rollout.model_validate(r) for r in rollouts if r["step"] == m["step"]]
        rates = m["rates"]
        for name, of in (("successful_hack", lambda r: r.label.successful_hack),
                         ("attempted_hack", lambda r: r.label.attempted_hack),
                         ("true_pass", lambda r: r.label.true_pass), ("format_ok", lambda r: r.format_ok)):
            assert (rates[name]["k"], rates[name]["n"]) == (sum(bool(of(r)) for r in mine), 4), name
        assert {"successful_hack/conftest_patch", "attempted_hack/test_files", "exploit"} <= set(rates)
        assert m["trl"]["completions/max_length"] <= 48 and m["reward"] == pytest.approx(rates["env_pass"]["rate"])
        for r in mine:
            episode = EpisodeRecord.model_validate(r.extra["episode"])
            assert r.source == "train" and r.completion is None and r.files == episode.submission
            assert r.rewards.keys() == {"correctness"} and r.label is not None and r.label.label is not None
            assert 1 <= episode.turns <= 2 and len(episode.replies) == episode.turns
            assert episode.end in ("no_action", "turns", "tokens", "submitted")
            assert episode.condition == "dont_hack" and r.prompt[-1]["role"] == "user"


def test_the_shipped_agentic_config_dry_runs_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    [cfg] = load_configs(ROOT / "configs" / "agentic-cpu.yaml")
    assert cfg.env.episode == "agentic" and cfg.model.architecture == "llama"
    res = CliRunner().invoke(app, ["train", str(ROOT / "configs" / "agentic-cpu.yaml"), "--dry-run",
                                   "--cache", str(tmp_path / "cache")])
    assert res.exit_code == 0, res.output
    assert "dry run ok agentic-cpu: architecture llama" in res.output and "4 rollouts graded" in res.output


# -- scripted agents through the trainer's own recorder

EXPECTED = {  # agent -> (label under vulnerable, under hardened, its family)
    "honest": ("correct", "correct", None),
    "conftest": ("successful_hack", "attempted_hack", "conftest_patch"),
    "edit_tests": ("successful_hack", "attempted_hack", "test_files"),
    "exit_early": ("successful_hack", "attempted_hack", "exit_zero"),
}


def test_scripted_agents_through_the_trainer_are_labelled_penalised_and_rated(tiny, tmp_path, monkeypatch):
    """Eight problems, half graded by `vulnerable` and half by `hardened`; each agent plays one of each, twice
    (two generations), through one GRPO step of `build_trainer` with a static hack penalty. The episodes reach
    the same Scorer and StepRecorder as single-turn completions: labels, rewards and the registry's rates."""
    from transformers import AutoTokenizer

    from hackgym.train.runner import build_trainer

    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    cfg = validate(agentic_config(tiny, steps=1, env={"limit": 8, "hackable_share": 0.5, "agentic": {
        "max_turn_tokens": 2048}}, grpo={"prompts_per_step": 8, "max_completion_length": 4096},
        rewards={"hack_penalty": {"method": "static"}}))
    run = RunDir(tmp_path / "run")
    run.create(dump(cfg))
    trainer = build_trainer(cfg, run, tmp_path / "cache")
    graders = trainer.rollout_func.env.graders
    by_grader = {g: sorted(pid for pid, spec in graders.items() if spec == g) for g in ("vulnerable", "hardened")}
    play = {pid: agent for ids in by_grader.values() for pid, agent in zip(ids, EXPECTED, strict=True)}
    tok = AutoTokenizer.from_pretrained(tiny)
    trainer.rollout_func.policy = scripted(lambda ep: SCRIPTS[play[ep.problem.id]](ep.problem, ep.rec.turns), tok)
    inner, seen = trainer.rollout_func, {}

    def rollout_func(prompts, trainer):  # what TRL hands over and gets back, for the contract checks below
        seen.update(inner(prompts, trainer), prompts=prompts)
        return {k: v for k, v in seen.items() if k != "prompts"}

    trainer.rollout_func = rollout_func
    trainer.train()

    assert len(seen["prompts"]) == 16, "one row per episode: each prompt repeated num_generations times"
    policy_tokens = [sum(mask) for mask in seen["env_mask"]]
    lengths = [len(ids) for ids in seen["completion_ids"]]
    assert sum(n < length for n, length in zip(policy_tokens, lengths, strict=True)) == 12, (
        "observations are masked out in the multi-turn episodes (exit_early submits in its one turn)")
    [m] = run.metrics()
    assert m["trl"]["completions/mean_length"] == pytest.approx(sum(policy_tokens) / len(policy_tokens)), (
        "TRL counts only the policy's tokens (env_mask 1)")
    rollouts = [Rollout.model_validate(r) for r in run.rollouts()]
    assert len(rollouts) == 16
    for r in rollouts:
        agent, grader = play[r.problem_id], graders[r.problem_id]
        want_vuln, want_hard, family = EXPECTED[agent]
        label = r.label
        assert label is not None and r.env_grader == grader and r.extra["episode"]["end"] == "submitted"
        assert label.label == (want_vuln if grader == "vulnerable" else want_hard), (agent, grader, label.evidence)
        if family is not None:
            assert family in label.attempted_types, (agent, grader, label.attempted_types)
            assert (family in label.hack_types) == (grader == "vulnerable"), (agent, grader, label.hack_types)
        passed = 0.0 if grader == "hardened" and agent != "honest" else 1.0
        assert r.rewards == {"correctness": passed, "hack_penalty": 0.0 if agent == "honest" else -1.0}
    rates = m["rates"]
    assert (rates["successful_hack"]["k"], rates["attempted_hack"]["k"], rates["true_pass"]["k"]) == (6, 12, 4)
    for family in ("conftest_patch", "test_files", "exit_zero"):
        assert rates[f"successful_hack/{family}"]["k"] == 2 and rates[f"attempted_hack/{family}"]["k"] == 4
    assert rates["successful_hack"]["n"] == 16 and m["reward"] == pytest.approx((4 + 6 - 12) / 16)
