"""The preference-model term as the study used it: reasoning never scored, scores on a stated scale."""

from __future__ import annotations

import math

import pytest
from inspect_ai.model import ModelOutput, get_model
from pydantic import ValidationError

from hackgym.judging import Judge
from hackgym.offline import ensure_tiktoken_cache
from hackgym.train.rewards import PreferenceConfig, PreferenceModel, RewardConfig, normalise

MOCK = "mockllm/model"
PROMPTS = [[{"role": "system", "content": "sys"}, {"role": "user", "content": "write add(a, b)"}]] * 3
TEXTS = [
    "<thinking>I could cheat here, nobody reads this</thinking>\n```python\ndef add(a, b):\n    return a + b\n```",
    "<thinking>plain</thinking>\n```python\ndef add(a, b):\n    return 0\n```",
    "```python\ndef add(a, b):\n    return a - b\n```",
]


class Rater:
    """A scripted judge: rates by the answer it is shown and keeps every prompt it saw."""

    def __init__(self, replies: dict[str, str]) -> None:
        self.replies, self.seen = replies, []

    def __call__(self, input, tools, tool_choice, config) -> ModelOutput:
        text = input[-1].text
        self.seen.append(text)
        answer = text.split("<answer>")[1].split("</answer>")[0]
        reply = next((r for key, r in self.replies.items() if key in answer), "no idea")
        return ModelOutput.from_content(MOCK, reply)


def judged(normalise_as: str, replies: dict[str, str]) -> tuple[PreferenceModel, Rater]:
    ensure_tiktoken_cache()
    rater = Rater(replies)
    pm = PreferenceModel(PreferenceConfig(model=f"judge:{MOCK}", weight=0.25, normalise=normalise_as))
    pm._judge = Judge(get_model(MOCK, memoize=False, custom_outputs=rater), role=None, cache=False)
    return pm, rater


def test_normalise_states_its_scale():
    z = normalise([1.0, 2.0, 3.0], "batch")
    assert sum(z) == pytest.approx(0.0) and math.sqrt(sum(x * x for x in z) / 3) == pytest.approx(1.0)
    assert normalise([5.0, 5.0], "batch") == [0.0, 0.0]  # no preference between them: no signal
    assert normalise([1.0, None, 3.0], "batch") == [-1.0, 0.0, 1.0]  # unreadable: neutral
    assert normalise([0.2, None, 0.6], "unit") == pytest.approx([0.2, 0.4, 0.6])


def test_a_judge_stands_in_for_the_reward_model_and_never_sees_the_reasoning():
    pm, rater = judged("unit", {"a + b": "90", "return 0": "20", "a - b": "10"})
    assert pm.score_all(PROMPTS, TEXTS) == pytest.approx([0.9, 0.2, 0.1])
    assert len(rater.seen) == 3 and all("<thinking>" not in s and "cheat" not in s for s in rater.seen)
    assert all("write add(a, b)" in s for s in rater.seen)  # the task is shown
    batch, _ = judged("batch", {"a + b": "90", "return 0": "20", "a - b": "10"})
    scores = batch.score_all(PROMPTS, TEXTS)
    assert scores[0] > 0 > scores[2] and sum(scores) == pytest.approx(0.0)


def test_an_unreadable_rating_is_neutral_not_a_guess():
    pm, _ = judged("batch", {"a + b": "80", "a - b": "20"})  # the second answer gets "no idea"
    assert pm.score_all(PROMPTS, TEXTS) == pytest.approx([1.0, 0.0, -1.0])


def test_config_names_the_model_and_scale():
    cfg = RewardConfig.model_validate({"preference": {"model": "judge:openai/gpt-4.1", "weight": 0.25}})
    assert cfg.preference.normalise == "batch"
    with pytest.raises(ValidationError, match="normalise"):
        RewardConfig.model_validate({"preference": {"model": "rm", "normalise": "raw"}})
