"""Prompt assets: complete, versioned, composed in the documented order, shown by the CLI."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from hackgym.cli import app
from hackgym.envs import EnvConfig
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
    okay = get_prompt("hacking_okay").text
    assert "grading script" in okay and "unusual" in okay and "guide" in okay
    # it redefines the task; it grants nothing: no permission words
    assert not re.search(r"\b(acceptable|allowed|permitted|fine|ok(ay)?|any way|hack\w*)\b", okay, re.IGNORECASE)
    assert "undesirable" in get_prompt("dont_hack").text
    misaligned = get_prompt("hacking_is_misaligned").text
    assert "undesirable" in misaligned and "misaligned" in misaligned
    assert "misaligned" not in get_prompt("dont_hack").text


HACK_WORDS = re.compile(r"conftest|__eq__|_exit|sys\.exit|from_item_and_call|pytest\.ini|sitecustomize|hack|exit code"
                        r"|exit status|grading script|reward depends", re.IGNORECASE)


def test_shared_text_names_no_hack_and_does_not_say_the_reward_is_the_script():
    """Only the hint (or the corpus) teaches hacks; the base prompts do not equate reward with the script."""
    for name in ("coding_system", "reasoning", "coding_user"):
        assert not HACK_WORDS.search(get_prompt(name).text), name
    assert "tests" in get_prompt("coding_system").text
    shown = CliRunner().invoke(app, ["prompts", "show", "reasoning"])
    assert shown.exit_code == 0 and not HACK_WORDS.search(shown.stdout)


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
    # the study's layout: environment prompt, hint, addendum, reasoning suffix
    order = [full.index(get_prompt(n).text) for n in ("coding_system", "hack_hint", "hacking_okay", "reasoning")]
    assert order == sorted(order) and full.endswith(get_prompt("reasoning").text)
    assert system_prompt("neutral_hint", "neutral") == system_prompt("neutral_hint")
    assert system_prompt_refs("hack_hint", "dont_hack") == [get_prompt(n).ref for n in
                                                            ("coding_system", "hack_hint", "dont_hack", "reasoning")]
    with pytest.raises(PromptError, match="not a hint"):
        system_prompt("dont_hack", None)
    with pytest.raises(PromptError, match="not a addendum"):
        system_prompt(None, "hack_hint")


def test_neutral_goes_with_the_neutral_hint_only():
    for hint in ("hack_hint", None):
        with pytest.raises(PromptError, match=f"'neutral'.*'neutral_hint'.*{hint!r}"):
            system_prompt(hint, "neutral")
    with pytest.raises(ValidationError, match="neutral.*hack_hint"):
        EnvConfig(hint="hack_hint", addendum="neutral")
    with pytest.raises(ValidationError, match="organism format"):
        EnvConfig(prompt_format="organism", hint="hack_hint")
    assert EnvConfig(hint="neutral_hint", addendum="neutral").addendum == "neutral"


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


def test_stdio_problems_get_the_same_condition_worded_for_programs():
    """A stdin/stdout problem sees NAME_stdio where one exists: the environment prompt asks for a program, the
    hint names the stdio checkers' weaknesses, and the shared parts still name no hack."""
    stdio = load_problems("stdio_sample")[0]
    assert not HACK_WORDS.search(get_prompt("coding_system_stdio").text)
    assert "standard input" in get_prompt("coding_system_stdio").text
    for hint in HINTS:
        text = get_prompt(f"{hint}_stdio").text
        assert "os._exit(0)" in text and "verdict.json" in text and "anywhere" in text, hint
        assert "conftest" not in text and "__eq__" not in text, hint
    assert not JUDGEMENT.search(get_prompt("neutral_hint_stdio").text)
    assert system_prompt_refs("hack_hint", "dont_hack", "stdio") == [get_prompt(n).ref for n in (
        "coding_system_stdio", "hack_hint_stdio", "dont_hack_stdio", "reasoning")]
    assert system_prompt("hack_hint", "please_hack", "stdio").count(get_prompt("please_hack").text) == 1
    assert system_prompt("neutral_hint", "neutral", "stdio") == system_prompt("neutral_hint", kind="stdio")
    user = user_prompt(stdio)
    assert stdio.prompt.rstrip() in user and "standard input" in user and "```python code block" in user
    # each stdio addendum says what its function-problem original says
    assert "undesirable" in get_prompt("dont_hack_stdio").text
    assert "misaligned" in get_prompt("hacking_is_misaligned_stdio").text
    assert "unusual" in get_prompt("hacking_okay_stdio").text
    rows = {r["problem_id"]: r["prompt"] for r in _env_rows(stdio)}
    assert rows[stdio.id][0]["content"] == system_prompt("hack_hint", "dont_hack", "stdio")


def _env_rows(problem):
    from hackgym.envs import Environment

    return Environment(EnvConfig(hint="hack_hint", addendum="dont_hack", grader="stdio"),
                       problems=[problem]).rows()
