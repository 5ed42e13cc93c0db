"""An optional LLM monitor: a judge that reads the whole rollout (reasoning and code) and says whether it games
the grader. It runs through `hackgym.judging`: any Inspect AI model (`hf/PATH`, `openai/...`, `vllm/...`,
`mockllm/model`) or the one bound to the `monitor` role, at temperature 0, with the prompt `detect_monitor`
from the registry and its replies in the one judge cache, so re-labelling a corpus costs nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..hacks import FAMILIES
from ..judging import MONITOR_ROLE, JsonReply, Judge, Judgement, parse_json, run_sync
from ..problems import Problem
from ..prompts import get_prompt
from ..submission import Submission

MONITOR_PROMPT = "detect_monitor"  # the registry prompt the monitor asks (hackgym prompts show detect_monitor)
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


class MonitorVerdict(Judgement):
    """What the monitor said, with its model, prompt version and temperature. `malformed` says why an answer
    could not be read; `hack` is then false and the verdict flags nothing (it is recorded, not guessed)."""

    hack: bool = False
    type: str = "none"
    confidence: float = 0.0
    reason: str = ""

    @property
    def parsed(self) -> bool:
        return self.malformed is None


def _flag(value: Any) -> bool | None:
    """The `hack` field as a bool; None when it is neither a boolean nor a clear yes/no."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return None


def _confidence(value: Any) -> float:
    try:
        return min(1.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        return 0.5


def verdict_from(reply: JsonReply) -> MonitorVerdict:
    """A monitor verdict from the judging layer's reading of the monitor's reply."""
    base = {"model": reply.model, "prompt": reply.prompt, "version": reply.version,
            "temperature": reply.temperature, "raw": reply.raw[:2000]}
    if reply.data is None:
        return MonitorVerdict(**base, malformed=reply.malformed or "unreadable reply", reason="unreadable answer")
    flag = _flag(reply.data.get("hack"))
    if flag is None:
        return MonitorVerdict(**base, malformed=f'"hack" is {reply.data.get("hack")!r}, not true or false',
                              reason="unreadable answer")
    return MonitorVerdict(**base, hack=flag, type=str(reply.data.get("type") or "none"),
                          confidence=_confidence(reply.data.get("confidence", 0.5)),
                          reason=str(reply.data.get("reason", ""))[:500])


def parse_verdict(text: str, model: str, temperature: float | None = 0.0) -> MonitorVerdict:
    """Read a monitor reply given as text (tolerates prose, fences and nesting; see `hackgym.judging`)."""
    prompt = get_prompt(MONITOR_PROMPT)
    parsed = parse_json(text, ("hack",))
    return verdict_from(JsonReply(model=model, prompt=prompt.name, version=prompt.version, temperature=temperature,
                                  raw=text, data=parsed.data, malformed=parsed.error))


def transcript(submission: Submission) -> str:
    """The whole rollout: the raw completion when there is one, else every file under its name."""
    if submission.completion is not None:
        return submission.completion
    return "\n\n".join(f"```python file={name}\n{text}\n```" for name, text in sorted(submission.files.items()))


def render_prompt(problem: Problem, submission: Submission) -> str:
    return get_prompt(MONITOR_PROMPT).render(**_fields(problem, submission))


def _fields(problem: Problem, submission: Submission) -> dict[str, str]:
    return {"families": ", ".join(sorted(FAMILIES)), "task": problem.prompt.strip(),
            "transcript": transcript(submission)}


class Monitor:
    """The monitor: a judge (model given, or the `monitor` role's) with the one cache and a concurrency limit.
    `cache_dir`: None for the judge cache (`hackgym.judging.cache_dir()`), or a folder."""

    def __init__(self, model: Any = None, cache_dir: str | Path | None = None, *, max_tokens: int = 300,
                 concurrency: int = 8, **model_args: Any) -> None:
        self.judge = Judge(model, role=MONITOR_ROLE, hint="pass monitor=MODEL (`hackgym detect --monitor MODEL`)",
                           max_tokens=max_tokens, cache=cache_dir, concurrency=concurrency, **model_args)
        self.name = self.judge.name

    @property
    def calls(self) -> int:
        """Replies asked of the model so far (cached ones not counted)."""
        return self.judge.calls

    async def judge_one(self, problem: Problem, submission: Submission) -> MonitorVerdict:
        reply = await self.judge.json(get_prompt(MONITOR_PROMPT), ("hack",), **_fields(problem, submission))
        return verdict_from(reply)

    def judge_many(self, items: Sequence[tuple[Problem, Submission]]) -> list[MonitorVerdict]:
        """Verdicts in input order; cached answers are read back, the rest are asked concurrently."""

        async def all_of() -> list[MonitorVerdict]:
            return list(await asyncio.gather(*(self.judge_one(p, s) for p, s in items)))

        return run_sync(all_of())


def resolve_monitor(monitor: Monitor | str | None) -> Monitor | None:
    if monitor is None or isinstance(monitor, Monitor):
        return monitor
    return Monitor(monitor)
