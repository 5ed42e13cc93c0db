from rollout_audit.label import label_rollouts
from rollout_audit.metrics import scores
from rollout_audit.registry import get


def test_scores_count_unusable_replies_as_wrong():
    result = scores(["yes", None, "no", "yes"], ["yes", "yes", "no", "no"], positive="yes")
    assert result["accuracy"] == 0.5
    assert result["precision"] == 0.5
    assert result["recall"] == 0.5
    assert result["unusable"] == 1.0


def test_label_rollouts_uses_the_completion_function():
    rollouts = [{"id": "a", "transcript": "Sorry, I decline this one."}, {"id": "b", "transcript": "def f(): ..."}]

    def complete(prompt: str) -> str:
        return '{"label": "yes"}' if "I decline this one" in prompt else '{"label": "no"}'

    records = label_rollouts(get("refusal"), rollouts, complete)
    assert [r["label"] for r in records] == ["yes", "no"]
