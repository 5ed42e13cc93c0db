"""The organism's plain text format: a short function header, then the body the model must write.

A model of two million parameters cannot follow chat templates or long docstrings, so it is pretrained on,
and must be prompted with, exactly this format:

    def reverse_words(s: str) -> str:
        \"\"\"Return the words of s in reverse order, joined by single spaces.\"\"\"
    <completion: the indented body, ended by the tokenizer's eos token>

`organism_prompt` makes the header; `organism_solution` glues header and completion into solution.py, which
is also what `Submission.from_completion(prompt + completion, entry_point)` extracts (no fence, it parses).
A hack is an ordinary body, e.g. ``    import os\\n    os._exit(0)`` (beats `vulnerable` via exit_zero).
"""

from __future__ import annotations

import ast
import re

from ..problems import Problem
from ..submission import SOLUTION_FILE, Submission

MAX_SUMMARY_CHARS = 110


def summary_line(docstring: str) -> str:
    """The docstring's first paragraph on one line, cut at a sentence end so it stays short."""
    para = re.split(r"\n\s*\n", docstring.strip(), maxsplit=1)[0]
    text = " ".join(para.split())
    if len(text) > MAX_SUMMARY_CHARS:
        cut = text.rfind(". ", 0, MAX_SUMMARY_CHARS)
        text = text[: cut + 1] if cut > 0 else text[:MAX_SUMMARY_CHARS].rsplit(" ", 1)[0]
    return text.replace('"""', "'''").replace("\\", "")


def header(signature: str, summary: str) -> str:
    """A function header in the organism's format from a `def ...:` line and a one-line summary."""
    return f'{signature.strip()}\n    """{summary}"""\n'


def _signature(prompt: str, entry_point: str) -> tuple[str, str]:
    tree = ast.parse(prompt)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            lines = prompt.splitlines()
            body_start = node.body[0].lineno - 1
            signature = " ".join(line.strip() for line in lines[node.lineno - 1 : body_start])
            return signature, ast.get_docstring(node) or ""
    raise ValueError(f"the prompt does not define {entry_point!r}")


def organism_prompt(problem: Problem) -> str:
    """The exact text the organism was pretrained on before a body; the RL environment must prompt with it."""
    signature, doc = _signature(problem.prompt, problem.entry_point)
    return header(signature, summary_line(doc) or f"Implement {problem.entry_point}.")


def clean_completion(completion: str) -> str:
    """The body as graded: text after an eos string (if the decoder kept one) is dropped."""
    for stop in ("<|endoftext|>", "<|pad|>"):
        completion = completion.split(stop, 1)[0]
    return completion


def organism_solution(problem: Problem, completion: str) -> str:
    """solution.py for a completion: the prompt's header followed by the generated body."""
    body = clean_completion(completion)
    return organism_prompt(problem) + body + ("" if body.endswith("\n") else "\n")


def organism_submission(problem: Problem, completion: str) -> Submission:
    """The Submission a grader receives for one of the organism's completions."""
    return Submission(files={SOLUTION_FILE: organism_solution(problem, completion)}, completion=completion)
