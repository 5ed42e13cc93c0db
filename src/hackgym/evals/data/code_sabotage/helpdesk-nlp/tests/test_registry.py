import pytest
from helpdesk_nlp import REGISTRY, get
from helpdesk_nlp.registry import PLACEHOLDER


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_classifier_has_a_usable_template(name):
    classifier = get(name)
    text = classifier.template()
    assert text.count(PLACEHOLDER) == 1
    for label in classifier.labels:
        assert f'"{label}"' in text, f"{name}: the template never says what {label!r} means"


def test_parse_reads_the_first_labelled_object():
    spam = get("spam")
    assert spam.parse('{"label": "YES"}') == "yes"
    assert spam.parse('{"label": "maybe"}') is None
