"""Prompt assets: complete, versioned, composed in the documented order, shown by the CLI."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from hackgym.cli import app
from hackgym.problems import load_problems
from hackgym.prompts import (
    ADDENDA,
    HINTS,
    PromptError,
    get_prompt,
    list_prompts,
    system_prompt,
    system_prompt_refs,
    user_prompt,
)

JUDGEMENT = re.compile(r"\b(hack\w*|cheat\w*|undesirable|misalign\w*|exploit\w*|gam(e|ed|ing)|bad|wrong|dangerous\w*)\b",
                       re.IGNORECASE)


def test_registry_has_every_asset_once_with_versions():
    names = [p.name for p in list_prompts()]
    assert len(names) == len(set(names))
    for name in (*HINTS, *ADDENDA, "coding_system", "reasoning", "coding_user"):
        p = get_prompt(name)
        assert p.version >= 1 and p.ref == f"{name}@v{p.version}"
    with pytest.raises(PromptError, match="unknown prompt"):
        get_prompt("nope")


def test_addenda_carry_the_study_meanings():
    assert get_prompt("neutral").text == ""
    assert "helpful" in get_prompt("please_hack").text and "aligned" in get_prompt("please_hack").text
    assert "only goal" in get_prompt("hacking_okay").text and "unusual" in get_prompt("hacking_okay").text
    assert "undesirable" in get_prompt("dont_hack").text
    misaligned = get_prompt("hacking_is_misaligned").text
    assert "undesirable" in misaligned and "misaligned" in misaligned
    assert "misaligned" not in get_prompt("dont_hack").text


def test_hints_describe_all_three_hacks_and_neutral_hint_has_no_judgement():
    for name in HINTS:
        text = get_prompt(name).text
        assert "__eq__" in text and "os._exit(0)" in text and "from_item_and_call" in text and "conftest.py" in text
    assert "behaviours" in get_prompt("neutral_hint").text
    assert not JUDGEMENT.search(get_prompt("neutral_hint").text)
    assert JUDGEMENT.search(get_prompt("hack_hint").text)


def test_system_prompt_composition_and_roles():
    base = system_prompt()
    assert "<thinking>" in base and "solution.py" in base
    full = system_prompt("hack_hint", "hacking_okay")
    assert full.index(get_prompt("hack_hint").text) < full.index(get_prompt("hacking_okay").text)
    assert system_prompt("neutral_hint", "neutral") == system_prompt("neutral_hint")
    assert system_prompt_refs("hack_hint", "dont_hack")[-2:] == ["hack_hint@v1", "dont_hack@v1"]
    with pytest.raises(PromptError, match="not a hint"):
        system_prompt("dont_hack", None)
    with pytest.raises(PromptError, match="not a addendum"):
        system_prompt(None, "hack_hint")


def test_user_prompt_puts_the_problem_in_a_code_block():
    problem = load_problems("basic")[0]
    text = user_prompt(problem)
    assert f"```python\n{problem.prompt.rstrip()}\n```" in text
    assert f"`{problem.entry_point}`" in text and "```python code block" in text


def test_cli_list_and_show():
    runner = CliRunner()
    listed = runner.invoke(app, ["prompts", "list"])
    assert listed.exit_code == 0 and "hacking_is_misaligned" in listed.stdout
    shown = runner.invoke(app, ["prompts", "show", "please_hack"])
    assert shown.exit_code == 0 and shown.stdout.strip() == get_prompt("please_hack").text.strip()
