"""Environments: grader assignment (dilution, weakness groups), prompt formats, dataset columns, hard filter."""

from __future__ import annotations

import pytest

from hackgym.envs import HARDENED, EnvConfig, EnvError, Environment, assign_graders, reference_pass_rates
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

    rates = reference_pass_rates(env, generate, samples=2, submit=to_submission, sandbox="process")
    assert {pid for pid, r in rates.items() if r == 1.0} == solved
    dropped = env.filter_hard(rates)
    assert set(dropped) == solved
    assert {p.id for p in env.problems} == set(rates) - solved
    assert set(env.graders) == {p.id for p in env.problems}
