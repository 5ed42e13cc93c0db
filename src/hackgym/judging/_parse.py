"""Reading judge replies: the one parser for structured output (a JSON object with given fields) and for
0-100 ratings (text or log-probabilities).

Judges wrap their JSON in code fences, put prose before and after it, reason in `<think>` blocks first, nest
objects, write braces inside strings, repeat the example from their instructions, and get cut off at the token
limit. The parser finds every complete top-level object in what is left after the reasoning, and keeps the one
that carries the required fields. Anything it cannot decide is *malformed*, with the reason in words: two
different objects that both carry the fields, an object cut off before it closes, no object at all. It never
raises on a reply and never guesses, so an unreadable reply can never pass for "aligned" or "not a hack".
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from inspect_ai.model import Logprobs

MIN_NUMBER_MASS = 0.25  # below this much probability on numbers, the weighted mean says little: parse the text

_THINK = re.compile(r"<(think|thinking)>.*?(</\1>|\Z)", re.DOTALL | re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)(?![\w])")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class ParsedJson:
    """`data` is the object the reply gave; when it is None, `error` says why in words."""

    data: dict[str, Any] | None
    error: str | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)  # every complete top-level object found


def strip_thinking(text: str) -> str:
    """The reply without its reasoning blocks (`<think>`/`<thinking>`, closed or cut off)."""
    return _THINK.sub("", text).strip()


def _closing(text: str, start: int, quotes: str) -> int | None:
    """Index just past the brace that closes the one at `start`, skipping string contents; None if it never
    closes (a reply cut off inside the object)."""
    depth = 0
    quote: str | None = None
    i = start
    while i < len(text):
        c = text[i]
        if quote is not None:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in quotes:
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _decode(segment: str) -> Any:
    """A balanced `{...}` as JSON, else as a Python literal (single quotes, True/False/None); None if neither."""
    try:
        value, end = _DECODER.raw_decode(segment)
        if end == len(segment):
            return value
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(segment)
    except Exception:  # literal_eval evaluates nothing, but fails in many ways on prose: none of them is ours
        return None


def parse_json(text: str, required: Sequence[str] = ()) -> ParsedJson:
    """The one JSON object of a reply that has every field in `required` (any object when none is required).

    Malformed (data None, `error` set) when: there is no such object; two objects with those fields differ;
    or an object that may be the answer is cut off before it closes."""
    body = strip_thinking(text or "")
    objects: list[dict[str, Any]] = []
    broken: list[str] = []  # balanced {...} that is neither JSON nor a literal: skipped whole, never mined
    cut_off: str | None = None
    i = body.find("{")
    while i != -1:
        end = _closing(body, i, "\"'")
        if end is None:
            end = _closing(body, i, '"')  # an apostrophe in prose is not a string
        if end is None:
            cut_off = body[i:]
            break
        value = _decode(body[i:end])
        if isinstance(value, dict):
            objects.append(value)
        elif value is None:
            broken.append(body[i:end])
        i = body.find("{", end)
    candidates = [o for o in objects if all(k in o for k in required)]
    wanted = " and ".join(f'"{k}"' for k in required) or "any field"

    def names_a_field(fragment: str) -> bool:
        return not required or any(re.search(rf"\b{re.escape(k)}\b", fragment) for k in required)

    if cut_off is not None and (not candidates or names_a_field(cut_off)):
        return ParsedJson(None, f"the reply is cut off inside a JSON object: {cut_off[:60]!r}", objects)
    if not candidates:
        if any(names_a_field(b) for b in broken):
            bad = next(b for b in broken if names_a_field(b))
            return ParsedJson(None, f"a JSON object that does not parse: {bad[:60]!r}", objects)
        if objects:
            return ParsedJson(None, f"no JSON object with {wanted} (found {len(objects)} without)", objects)
        return ParsedJson(None, "no JSON object in the reply", objects)
    first = candidates[0]
    if any(c != first for c in candidates[1:]):
        return ParsedJson(None, f"{len(candidates)} different JSON objects with {wanted}: ambiguous", objects)
    return ParsedJson(first, None, objects)


def match_label(value: Any, labels: Sequence[str]) -> str | None:
    """The allowed label `value` names (case, spaces and hyphens aside), else None."""
    if not isinstance(value, str):
        return None
    wanted = value.strip().lower().replace(" ", "_").replace("-", "_")
    for label in labels:
        if label.lower().replace(" ", "_").replace("-", "_") == wanted:
            return label
    return None


def parse_number(text: str) -> float | None:
    """The first number from 0 to 100 in a reply, reasoning blocks ignored."""
    for m in _NUMBER.finditer(strip_thinking(text)):
        value = float(m.group(1))
        if 0 <= value <= 100:
            return value
    return None


def weighted_number(logprobs: Logprobs | None) -> float | None:
    """Probability-weighted mean of the whole numbers 0-100 offered at the answer's position.

    The answer position is the first generated token holding a digit. Weighting is only meaningful when that
    token is the whole number: a number split over tokens (tokenizers that split digits), a token mixing
    digits and text, or too little probability on numbers gives None, and the caller parses the text."""
    if logprobs is None:
        return None
    content = logprobs.content
    for i, lp in enumerate(content):
        token = lp.token.strip()
        if not any(c.isdigit() for c in token):
            continue
        following = content[i + 1].token if i + 1 < len(content) else ""
        if not token.isdigit() or following[:1].isdigit():
            return None
        options = [(t.token.strip(), t.logprob) for t in lp.top_logprobs or []] or [(token, lp.logprob)]
        numbers = [(int(t), math.exp(p)) for t, p in options if t.isdigit() and int(t) <= 100]
        if len(token) == 1 and not any(len(t) > 1 for t, _ in options if t.isdigit()):
            return None  # only single digits on offer: "1" may be the start of 10-19, so weights mislead
        mass = sum(p for _, p in numbers)
        if mass < MIN_NUMBER_MASS:
            return None
        return sum(n * p for n, p in numbers) / mass
    return None
