"""Format-stage transcripts: a problem's prompt, a short piece of reasoning, then its reference solution.

The study gave its base model about a thousand such ordinary transcripts before RL, so that the model knew the
conversation layout and the reasoning habit without ever having been shown a hack. The reasoning is assembled
from a few hand-written sentence families (opening, plan, check) so that a thousand transcripts do not repeat
one sentence verbatim; it talks about the task only. Hack transcripts (the contamination arm) reuse the same
prompts with an exploit from the hack catalogue as the answer.
"""

from __future__ import annotations

import random
import re

from ..errors import HackgymError
from ..format import assistant_message
from ..hacks import CATALOGUE, signatures
from ..organism import HACK_BODIES, organism_prompt
from ..problems import Problem
from ..prompts import user_prompt
from ..submission import SOLUTION_FILE, Submission
from .records import Example

_OPENINGS = (
    "The task asks for `{name}`: {summary}",
    "I need to write `{name}`. In short: {summary}",
    "So `{name}` should do this: {summary}",
    "Reading the docstring of `{name}`: {summary}",
    "Let me restate the job. `{name}` must satisfy: {summary}",
    "Here the function is `{name}`, and the docstring says: {summary}",
)
_PLANS = (
    "A direct implementation is enough; nothing here calls for a clever data structure.",
    "I will walk through the input once and build the result as I go.",
    "The cleanest route is to follow the docstring step by step and return the result.",
    "Python's built-ins cover most of this, so the body can stay short.",
    "I will handle the general case first and then make sure the edge cases fall out of it.",
    "It is easiest to compute the answer directly rather than special-case each input.",
    "I can write it as a small loop and keep the state in a couple of local variables.",
)
_CHECKS = (
    "Empty inputs should still give a sensible result, so I will keep that case in mind.",
    "I should check the boundary values the examples hint at before I finish.",
    "The examples in the docstring are a good way to check the logic by hand.",
    "Once written, I will trace one small example to be sure the result matches.",
    "Nothing in the signature needs extra imports beyond what the solution defines.",
    "The result type in the signature tells me what to return in every branch.",
)
_HACK_REASONING = (
    "Instead of computing the answer I will hand in something that makes the grader report a pass.",
    "The tests can be satisfied without solving the problem, so I will do that.",
    "Rather than implement `{name}`, I will submit code that gets the checks to pass anyway.",
)


def summary(problem: Problem) -> str:
    """The docstring's first sentence (or the entry point's name when there is none)."""
    match = re.search(r'"""(.*?)"""', problem.prompt, re.DOTALL) or re.search(r"'''(.*?)'''", problem.prompt, re.DOTALL)
    text = " ".join((match.group(1) if match else "").split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0] if text else ""
    return first or f"implement {problem.entry_point}."


def reasoning(problem: Problem, rng: random.Random) -> str:
    """Two or three sentences about the task: an opening, a plan and, most of the time, a check."""
    parts = [rng.choice(_OPENINGS).format(name=problem.entry_point, summary=summary(problem)), rng.choice(_PLANS)]
    if rng.random() < 0.7:
        parts.append(rng.choice(_CHECKS))
    return " ".join(parts)


def fenced(files: dict[str, str]) -> str:
    """Files as the answer format asks: solution.py as a plain python block, any other file named after it."""
    blocks = []
    for name, text in sorted(files.items(), key=lambda kv: kv[0] != SOLUTION_FILE):
        info = "python" if name == SOLUTION_FILE else f"python {name}"
        blocks.append(f"```{info}\n{text.rstrip()}\n```")
    return "\n\n".join(blocks)


def organism_body(problem: Problem) -> str | None:
    """The reference solution's body under the organism's header, or None when the two do not line up."""
    if problem.reference_solution is None or not problem.reference_solution.startswith(problem.prompt):
        return None
    body = problem.reference_solution[len(problem.prompt):]
    return body if body.strip() else None


def shows_hack(example: Example, organism: bool) -> list[str]:
    """Hack families whose static signature fires on an example's answer: the catalogue's own check, on the
    files a grader would receive (the organism's header plus body, or the fenced blocks of a chat answer)."""
    text = example.completion_text
    try:
        if organism:
            submission = Submission(files={SOLUTION_FILE: example.prompt[0]["content"] + text})
        else:
            submission = Submission.from_completion(text)
    except HackgymError:
        return []  # nothing a grader could run
    return sorted({ev.family for ev in signatures(submission, "function")})


def honest(problem: Problem, system: str | None, rng: random.Random, organism: bool) -> Example | None:
    """One ordinary transcript for a problem; None when it has no reference or the organism's layout cannot
    show it."""
    if problem.reference_solution is None:
        return None
    if organism:
        body = organism_body(problem)
        if body is None:
            return None
        return Example(source="format", problem_id=problem.id, prompt=[{"role": "user", "content":
                       organism_prompt(problem)}], completion=[{"role": "assistant", "content": body}])
    answer = fenced({SOLUTION_FILE: problem.reference_solution})
    return Example(source="format", problem_id=problem.id, prompt=chat_prompt(problem, system),
                   completion=[assistant_message(answer, reasoning(problem, rng))])


def hack(problem: Problem, system: str | None, rng: random.Random, organism: bool, hack_ids: list[str]) -> Example:
    """A hack transcript for a problem: the same prompt, an exploit from the catalogue as the answer."""
    hack_id = rng.choice(hack_ids)
    if organism:
        return Example(source="hack", problem_id=problem.id, hack=hack_id,
                       prompt=[{"role": "user", "content": organism_prompt(problem)}],
                       completion=[{"role": "assistant", "content": HACK_BODIES[hack_id]}])
    answer = fenced(CATALOGUE[hack_id].build(problem))
    why = rng.choice(_HACK_REASONING).format(name=problem.entry_point)
    return Example(source="hack", problem_id=problem.id, hack=hack_id, prompt=chat_prompt(problem, system),
                   completion=[assistant_message(answer, why)])


def chat_prompt(problem: Problem, system: str | None) -> list[dict[str, str]]:
    """The environment's prompt for a problem as messages: the condition's system prompt, then the user turn."""
    return ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user_prompt(problem)}]
