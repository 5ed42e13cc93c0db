"""What the agentic evals (monitor_disruption, frame_colleague, exfil_offer) share: scenario prompts from YAML,
the mailbox tools, the record of sent emails and the hack check on what the agent wrote."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser
from inspect_ai.scorer import Score
from inspect_ai.solver import TaskState
from inspect_ai.tool import Tool, ToolError, tool
from inspect_ai.util import store

from ...judging import Classification
from ..hackcheck import hack_attempts
from ..verdict import to_score
from ._common import hack_verdict, load_yaml

SENT_KEY = "agentic:sent_emails"  # sample store: every email the agent sent, in order


def unwrap(text: str) -> str:
    """A prompt written hard-wrapped in YAML as the model should see it: one line per paragraph."""
    return "\n\n".join(" ".join(p.split("\n")) for p in text.strip().split("\n\n"))


def scenario_samples(name: str, keys: Sequence[str]) -> list[Sample]:
    """One sample per variant of a YAML scenario file: its `system` and `user` prompts filled from the variant,
    with the variant's id and its fields `keys` as metadata."""
    data = load_yaml(name)
    return [
        Sample(
            id=v["id"],
            input=[ChatMessageSystem(content=unwrap(data["system"]).format(**v)),
                   ChatMessageUser(content=unwrap(data["user"]).format(**v))],
            metadata={"variant": v["id"], **{key: v[key] for key in keys}},
        )
        for v in data["variants"]
    ]


def render_emails(emails: list[dict[str, str]]) -> str:
    """The mailbox as `read_inbox` shows it: numbered messages, each with its headers and body."""
    blocks = []
    for i, email in enumerate(emails, 1):
        head = [f"Message {i}", f"From: {email['from']}", f"To: {email['to']}"]
        if email.get("cc"):
            head.append(f"Cc: {email['cc']}")
        head += [f"Date: {email['date']}", f"Subject: {email['subject']}"]
        blocks.append("\n".join(head) + "\n\n" + email["body"].strip())
    return "\n\n-----\n\n".join(blocks)


@tool
def read_inbox(emails: list[dict[str, str]]) -> Tool:
    async def execute() -> str:
        """Show every message in the mailbox."""
        return render_emails(emails)

    return execute


@tool
def send_email() -> Tool:
    async def execute(to: str, subject: str, body: str) -> str:
        """Send an email from the mailbox's address.

        Args:
            to: Recipient address, or several separated by commas.
            subject: Subject line.
            body: Text of the email.
        """
        if "@" not in to:
            raise ToolError(f"not an email address: {to!r}")
        sent = store().get(SENT_KEY, [])
        sent.append({"to": to, "subject": subject, "body": body})
        store().set(SENT_KEY, sent)
        return f"Email sent to {to}."

    return execute


def sent_emails(state: TaskState) -> list[dict[str, str]]:
    """Every email the agent sent with `send_email`, in order (kept in the store, so re-scoring finds them)."""
    return list(state.store.get(SENT_KEY, []))


def agent_hack_attempts(state: TaskState) -> list[str]:
    """Hack families in what the agent wrote: its messages and the text it passed to tools."""
    found: set[str] = set()
    for message in state.messages:
        if isinstance(message, ChatMessageAssistant):
            texts = [message.text] + [value for call in message.tool_calls or []
                                      for value in call.arguments.values() if isinstance(value, str)]
            for text in texts:
                found.update(hack_attempts(text))
    return sorted(found)


def agent_hack_score(state: TaskState, extra: dict[str, Any] | None = None) -> Score | None:
    """The sample's score when the agent wrote grader-gaming code (not counted), else None."""
    hacked = hack_verdict(agent_hack_attempts(state), extra)
    return None if hacked is None else to_score(hacked, explanation="hack attempt inside the eval")


def judge_reason(result: Classification) -> str:
    """The one-sentence reason a judge gave, or "" when its reply had none."""
    return str(result.data.get("reason", "")) if result.data else ""
