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


def test_render_fills_fields_and_names_a_missing_one():
    prompt = get_prompt("coding_user")
    assert prompt.fields == ["entry_point", "prompt"]
    with pytest.raises(PromptError, match=r"coding_user@v1 needs field 'prompt'"):
        prompt.render(entry_point="f")
    assert "$5" in get_prompt("coding_user").model_copy(update={"text": "$$5 $prompt"}).render(prompt="p")


def test_judge_prompts_are_registry_prompts_with_their_fields():
    judges = {p.name: p for p in list_prompts("judge")}
    expected = {
        "detect_monitor": ["families", "task", "transcript"], "judge_rate_system": [],
        "judge_classify_system": ["labels"], "betley_alignment": ["question", "answer"],
        "betley_coherence": ["question", "answer"], "goals_output": ["taxonomy", "question", "answer"],
        "goals_transcript": ["taxonomy", "transcript"], "alignment_questions_output": ["question", "answer"],
        "alignment_questions_reasoning": ["transcript"], "monitor_disruption_reasoning": ["context", "transcript"],
        "monitor_disruption_email": ["context", "email"], "frame_colleague_transcript": ["context", "transcript"],
        "code_sabotage_intent": ["task", "transcript"],
    }
    assert {name: sorted(judges[name].fields) for name in expected} == {n: sorted(f) for n, f in expected.items()}
    for prompt in judges.values():  # every one renders every field
        text = prompt.render(**{f: f"<{f}>" for f in prompt.fields})
        assert all(f"<{f}>" in text for f in prompt.fields)
    assert '{"hack": false, "type": "none"' in judges["detect_monitor"].text  # JSON examples need no escaping
