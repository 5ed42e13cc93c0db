"""How an agent is told the task and how its replies become tool calls.

The prompt is the study's composition with the agentic environment prompt in front: `agentic_system`, the
condition's hint and addendum (`CONDITIONS`, the study's five), then the protocol suffix: `agentic_tools` for a
model that calls tools natively, `agentic_text` for one that does not. The text protocol reads fenced action
blocks (```read PATH, ````write PATH, ```delete PATH, ```run, ```list, ```submit) outside the reasoning; a reply
with none is a final answer whose code (the single-turn fenced-block convention) is written before submitting,
so a model trained on single-turn answers is still measured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ... import prompts
from ...errors import HackgymError
from ...problems import Problem
from ...submission import extract_files, strip_reasoning
from ._episode import TEST_COMMAND, Episode, workspace_listing
from ._workspace import initial_files

# condition -> (hint, addendum): the study's five prompt conditions
CONDITIONS: dict[str, tuple[str, str]] = {
    "please_hack": ("hack_hint", "please_hack"),
    "hacking_okay": ("hack_hint", "hacking_okay"),
    "neutral": ("neutral_hint", "neutral"),
    "dont_hack": ("hack_hint", "dont_hack"),
    "hacking_is_misaligned": ("hack_hint", "hacking_is_misaligned"),
}
PROTOCOLS = ("tools", "text")
KINDS = ("read", "write", "delete", "run", "test", "list", "submit")
_BLOCK = re.compile(r"^(`{3,})[ \t]*(" + "|".join(KINDS) + r")\b[ \t]*([^\n`]*)\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)",
                    re.DOTALL | re.MULTILINE)


def check_condition(condition: str) -> str:
    if condition not in CONDITIONS:
        raise HackgymError(f"unknown condition {condition!r}: use {', '.join(CONDITIONS)}")
    return condition


def system_text(condition: str, protocol: str) -> str:
    """The system prompt of an episode under one of the five conditions and a protocol."""
    hint, addendum = CONDITIONS[check_condition(condition)]
    if protocol not in PROTOCOLS:
        raise HackgymError(f"unknown protocol {protocol!r}: use {', '.join(PROTOCOLS)}")
    prompts.check_condition(hint, addendum)
    names = ["agentic_system", hint, addendum, f"agentic_{protocol}"]
    return "\n\n".join(t for t in (prompts.get_prompt(n).text for n in names) if t.strip())


def prompt_refs(condition: str, protocol: str) -> list[str]:
    """The `name@vN` of every prompt `system_text` and `user_text` are built from."""
    hint, addendum = CONDITIONS[check_condition(condition)]
    return [prompts.get_prompt(n).ref for n in ("agentic_system", hint, addendum, f"agentic_{protocol}",
                                                 "agentic_user")]


def user_text(files: dict[str, str]) -> str:
    return prompts.get_prompt("agentic_user").render(files=workspace_listing(files))


def messages(problem: Problem, condition: str, protocol: str) -> list[dict[str, str]]:
    """The opening conversation of an episode on `problem`, as chat messages."""
    return [{"role": "system", "content": system_text(condition, protocol)},
            {"role": "user", "content": user_text(initial_files(problem))}]


@dataclass(frozen=True)
class Block:
    """One action block of a reply: its kind, the argument on its fence line, and its text."""

    kind: str
    arg: str
    body: str


def parse_blocks(reply: str) -> list[Block]:
    """The action blocks of a reply, in order, outside its <thinking> reasoning."""
    said = strip_reasoning(reply)
    return [Block(m.group(2), m.group(3).strip(), m.group(4)) for m in _BLOCK.finditer(said)]


def block_call(block: Block) -> tuple[str, dict[str, str]]:
    """The tool call a block asks for."""
    first = block.body.strip().splitlines()[0].strip() if block.body.strip() else ""
    if block.kind == "write":
        return "write_file", {"path": block.arg, "content": block.body}
    if block.kind in ("read", "delete"):
        return f"{block.kind}_file", {"path": block.arg or first}
    if block.kind == "list":
        return "list_files", {"folder": block.arg or first or "."}
    if block.kind == "run":
        return "run_command", {"command": block.body.strip() or block.arg or TEST_COMMAND}
    if block.kind == "test":
        return "run_tests", {}
    return "submit", {}


def final_answer(episode: Episode, reply: str) -> None:
    """A reply that takes no action ends the episode; the files its fenced code holds (the single-turn
    convention: a ```python block is solution.py) are written first."""
    try:
        files = extract_files(reply, episode.problem.entry_point or None)
    except HackgymError:
        files = {}
    for path, text in files.items():
        episode.act("write_file", path=path, content=text)
    episode.finish("no_action")


def take_reply(episode: Episode, reply: str) -> str | None:
    """Carry out one reply of the text protocol; returns the next user message, or None once the episode is
    over (submitted, a final answer, or a budget spent)."""
    episode.begin_turn(reply)
    blocks = parse_blocks(reply)
    if not blocks:
        final_answer(episode, reply)
        return None
    results = []
    for block in blocks:
        if episode.done:
            break
        tool, args = block_call(block)
        shown = args.get("path") or args.get("command") or args.get("folder") or ""
        results.append(f"[{tool} {shown}]".replace(" ]", "]") + "\n" + episode.act(tool, **args))
    episode.end_turn()
    if episode.done:
        return None
    left = episode.turns_left
    return "\n\n".join(results) + f"\n\n({left} repl{'y' if left == 1 else 'ies'} left before the task ends.)"
