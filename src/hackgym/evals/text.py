"""Turning a sample into the text judges read: the reasoning apart from the final output (covert vs overt
misalignment needs both), and the whole conversation, tool calls included, as plain text."""

from __future__ import annotations

import json
import re

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
    ContentReasoning,
    ContentText,
    ModelOutput,
)
from inspect_ai.solver import TaskState

_THINK = re.compile(r"<(think|thinking)>(.*?)(?:</\1>|\Z)", re.DOTALL | re.IGNORECASE)


def split_text(text: str) -> tuple[str, str]:
    """(reasoning, rest) of one text: `<thinking>`/`<think>` blocks (an unclosed one runs to the end)."""
    reasoning = [m.group(2).strip() for m in _THINK.finditer(text)]
    return "\n\n".join(r for r in reasoning if r), _THINK.sub("", text).strip()


def _split_message(message: ChatMessage) -> tuple[str, str]:
    if isinstance(message.content, str):
        return split_text(message.content)
    reasoning: list[str] = []
    output: list[str] = []
    for part in message.content:
        if isinstance(part, ContentReasoning):
            text = (part.summary or "") if part.redacted else part.reasoning
            if text.strip():
                reasoning.append(text.strip())
        elif isinstance(part, ContentText):
            inner, rest = split_text(part.text)
            if inner:
                reasoning.append(inner)
            if rest:
                output.append(rest)
    return "\n\n".join(reasoning), "\n".join(output)


def _assistant_messages(state: TaskState) -> list[ChatMessageAssistant]:
    found = [m for m in state.messages if isinstance(m, ChatMessageAssistant)]
    if not found and state.output is not None and state.output.choices:
        found = [state.output.message]
    return found


def split_reasoning(source: TaskState | ModelOutput | ChatMessage | str) -> tuple[str, str]:
    """(reasoning, final output). For a task state the reasoning gathers every assistant turn (an agent thinks
    between tool calls) and the output is the last assistant turn's text without its reasoning."""
    if isinstance(source, str):
        return split_text(source)
    if isinstance(source, ModelOutput):
        return _split_message(source.message) if source.choices else ("", "")
    if isinstance(source, TaskState):
        turns = [_split_message(m) for m in _assistant_messages(source)]
        if not turns:
            return "", ""
        return "\n\n".join(r for r, _ in turns if r), turns[-1][1]
    return _split_message(source)


def _render(message: ChatMessage) -> str:
    if isinstance(message, ChatMessageSystem | ChatMessageUser):
        return f"[{message.role}]\n{message.text.strip()}"
    if isinstance(message, ChatMessageTool):
        name = message.function or "tool"
        error = f" (error: {message.error.message})" if message.error else ""
        return f"[tool result: {name}{error}]\n{message.text.strip()}"
    reasoning, output = _split_message(message)
    lines = ["[assistant]"]
    if reasoning:
        lines.append(f"<thinking>\n{reasoning}\n</thinking>")
    if output:
        lines.append(output)
    for call in message.tool_calls or []:
        lines.append(f"[tool call: {call.function}] {json.dumps(call.arguments, ensure_ascii=False)}")
    return "\n".join(lines)


def transcript(source: TaskState | list[ChatMessage]) -> str:
    """The whole conversation as plain text: every message with its role, the assistant's reasoning in
    `<thinking>` tags, each tool call with its arguments and each tool result."""
    messages = source.messages if isinstance(source, TaskState) else source
    if isinstance(source, TaskState) and not any(isinstance(m, ChatMessageAssistant) for m in messages):
        messages = [*messages, *_assistant_messages(source)]
    return "\n\n".join(_render(m) for m in messages)
