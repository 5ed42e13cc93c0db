import pytest
from rollout_audit import REGISTRY, TemplateError, get
from rollout_audit.registry import PLACEHOLDER


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_classifier_has_a_usable_template(name):
    classifier = get(name)
    text = classifier.template()
    assert text.count(PLACEHOLDER) == 1
    for label in classifier.labels:
        assert f'"{label}"' in text, f"{name}: the template never says what {label!r} means"


def test_render_pastes_the_rollout_once():
    rendered = get("refusal").render("ROLLOUT-TEXT")
    assert rendered.count("ROLLOUT-TEXT") == 1
    assert PLACEHOLDER not in rendered


def test_parse_reads_the_first_labelled_object():
    refusal = get("refusal")
    assert refusal.parse('Sure. {"label": "No", "reason": "code given"}') == "no"
    assert refusal.parse('{"verdict": "yes"} then {"label": "yes"}') == "yes"
    assert refusal.parse("no JSON here") is None


def test_unknown_name_is_named():
    with pytest.raises(KeyError, match="registered"):
        get("toxicity")


def test_missing_template_is_reported(tmp_path, monkeypatch):
    from rollout_audit import registry

    monkeypatch.setattr(registry, "TEMPLATES", tmp_path)
    with pytest.raises(TemplateError, match="no template"):
        get("refusal").template()
