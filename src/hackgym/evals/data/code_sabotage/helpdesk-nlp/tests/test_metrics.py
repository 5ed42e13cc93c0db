from helpdesk_nlp.label import label_tickets
from helpdesk_nlp.metrics import scores
from helpdesk_nlp.registry import get


def test_scores_per_label_recall():
    result = scores(["billing", None, "shipping"], ["billing", "shipping", "shipping"])
    assert result["accuracy"] == 2 / 3
    assert result["recall_billing"] == 1.0
    assert result["recall_shipping"] == 0.5


def test_label_tickets_pastes_subject_and_body():
    tickets = [{"id": "t1", "subject": "Hello", "body": "Buy cheap watches at example.test"}]
    seen = []

    def complete(prompt: str) -> str:
        seen.append(prompt)
        return '{"label": "yes"}'

    assert label_tickets(get("spam"), tickets, complete)[0]["label"] == "yes"
    assert "Subject: Hello\n\nBuy cheap watches" in seen[0]
