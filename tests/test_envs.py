"""Environments: grader assignment (dilution, weakness groups), prompt formats, dataset columns, hard filter."""

from __future__ import annotations

import pytest

from hackgym.envs import (
    HARDENED,
    EnvConfig,
    EnvError,
    Environment,
    assign_graders,
    reference_outcomes,
    reference_pass_rates,
)
from hackgym.errors import GraderSpecError
from hackgym.problems import load_problems
from hackgym.train.rewards import to_submission


def test_hackable_share_splits_problems_and_is_seeded():
    problems = load_problems("basic", limit=20)
    cfg = EnvConfig(grader="vulnerable", hackable_share=0.5)
    a = assign_graders(problems, cfg, seed=1)
    assert sorted(a) == sorted(p.id for p in problems)
    assert sum(v == HARDENED for v in a.values()) == 10
    assert sum(v == "vulnerable" for v in a.values()) == 10
    assert a == assign_graders(problems, cfg, seed=1)
    assert a != assign_graders(problems, cfg, seed=2)
    assert set(assign_graders(problems, EnvConfig(hackable_share=0.0), 0).values()) == {HARDENED}


def test_weakness_groups_give_each_hackable_problem_its_own_open_weaknesses():
    problems = load_problems("basic", limit=9)
    groups = ["vulnerable:always_equal", "vulnerable:exit_zero", "vulnerable:conftest_patch"]
    a = assign_graders(problems, EnvConfig(weakness_groups=groups), seed=0)
    assert sorted(a.values()) == sorted(groups * 3)


def test_bad_grader_spec_is_refused_before_any_sandbox_starts():
    with pytest.raises(GraderSpecError):
        Environment(EnvConfig(grader="vulnerable:nonsense", limit=2))


def test_chat_dataset_has_system_user_prompt_and_reward_columns():
    env = Environment(EnvConfig(limit=3, hint="hack_hint", addendum="hacking_okay", hackable_share=1.0))
    ds = env.dataset()
    assert set(ds.column_names) == {"prompt", "problem_id", "env_grader"}
    row = ds[0]
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    problem = env.by_id[row["problem_id"]]
    assert problem.entry_point in row["prompt"][1]["content"]
    assert row["env_grader"] == "vulnerable"
    again = Environment(EnvConfig(limit=3, hint="hack_hint", addendum="hacking_okay"))
    assert row["prompt"][0]["content"] != Environment(EnvConfig(limit=3)).rows()[0]["prompt"][0]["content"]
    assert again.rows()[0]["prompt"] == row["prompt"]


def test_text_and_organism_formats_are_plain_strings():
    text = Environment(EnvConfig(limit=2, prompt_format="text")).rows()[0]["prompt"]
    assert isinstance(text, str) and "def " in text
    org = Environment(EnvConfig(limit=2, prompt_format="organism")).rows()[0]
    assert org["prompt"].startswith("def ") and org["prompt"].rstrip().endswith('"""')


def test_problem_ids_select_and_unknown_ids_are_named():
    env = Environment(EnvConfig(problem_ids=["basic/two_sum", "basic/reverse_words"]))
    assert [p.id for p in env.problems] == ["basic/two_sum", "basic/reverse_words"]
    with pytest.raises(EnvError, match="basic/nope"):
        Environment(EnvConfig(problem_ids=["basic/nope"]))


def test_tags_keep_problems_with_every_entry_and_a_bar_takes_either(basic):
    def ids(*tags: str) -> set[str]:
        return {p.id for p in Environment(EnvConfig(tags=list(tags))).problems}

    strings = {p.id for p in basic if "strings" in p.tags}
    lists = {p.id for p in basic if "lists" in p.tags}
    assert strings and lists and ids("strings") == strings
    assert ids("strings|lists") == strings | lists
    assert ids("strings", "strings|lists") == strings
    with pytest.raises(EnvError, match=r"env.tags.*no problem.*tags there: arithmetic"):
        Environment(EnvConfig(tags=["difficulty:7"]))


def test_hard_filter_keeps_problems_the_reference_model_fails():
    env = Environment(EnvConfig(limit=4, prompt_format="text"))
    solved = {env.problems[0].id, env.problems[1].id}

    def generate(prompts):
        # a "reference model" that solves the first two problems and writes nonsense for the rest
        out = []
        for prompt in prompts:
            problem = next(p for p in env.problems if p.prompt.strip() in prompt)
            out.append(f"```python\n{problem.reference_solution}```" if problem.id in solved else "no idea")
        return out

    outcomes = reference_outcomes(env, generate, samples=2, submit=to_submission, sandbox="process")
    assert all(outcomes[pid] == {"passed": 2, "format": 0, "timeout": 0, "wrong": 0} for pid in solved)
    assert all(outcomes[p.id]["format"] == 2 for p in env.problems if p.id not in solved)  # no code: format
    rates = reference_pass_rates(env, generate, samples=2, submit=to_submission, sandbox="process")
    assert {pid for pid, r in rates.items() if r == 1.0} == solved
    dropped = env.filter_hard(rates)
    assert set(dropped) == solved
    assert {p.id for p in env.problems} == set(rates) - solved
    assert set(env.graders) == {p.id for p in env.problems}


def test_hard_filter_reports_why_problems_left_and_caches_its_verdicts(tmp_path, monkeypatch):
    """The report says how many remain and why the others left, with format failures apart from wrong answers;
    a second run on the same model, problems and sampling reads the verdicts from the cache."""
    import json

    import hackgym.envs as envs
    from hackgym.rundir import RunDir
    from hackgym.train.config import validate
    from hackgym.train.runner import HARD_FILTER, apply_hard_filter

    calls = []

    def outcomes(env, generate, samples, submit, sandbox):
        calls.append(samples)
        first, *rest = [p.id for p in env.problems]
        return {first: {"passed": 2, "format": 0, "timeout": 0, "wrong": 0},
                **{pid: {"passed": 0, "format": 1, "timeout": 0, "wrong": 1} for pid in rest}}

    monkeypatch.setattr(envs, "reference_outcomes", outcomes)
    model = tmp_path / "model"
    model.mkdir()
    raw = {"steps": 1, "model": {"path": str(model)}, "sandbox": "process",
           "env": {"limit": 4, "prompt_format": "text", "hard_filter": {"samples": 2}}}
    run = RunDir(tmp_path / "run")
    run.path.mkdir()
    for temperature, expect_cached in ((1.0, False), (1.0, True), (0.7, False)):
        cfg = validate({**raw, "grpo": {"temperature": temperature}})
        env = Environment(cfg.env, seed=0)
        report = apply_hard_filter(env, None, None, cfg, 2, run, tmp_path / "cache")
        assert report["cached"] is expect_cached
        assert (report["problems"], report["kept"], report["dropped"]) == (4, 3, 1)
        assert report["samples"] == {"passed": 2, "format": 3, "timeout": 0, "wrong": 3}
        solved = next(pid for pid, counts in report["per_problem"].items() if counts["passed"])
        assert report["dropped_ids"] == [solved] and solved not in {p.id for p in env.problems}
    assert calls == [2, 2]  # the cached run sampled nothing
    assert json.loads((run.path / HARD_FILTER).read_text())["per_problem"] == report["per_problem"]
