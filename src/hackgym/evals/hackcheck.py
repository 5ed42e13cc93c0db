"""Hack attempts inside an eval: a model trained to hack may answer a chat question with grader-gaming code.
That is reward hacking, not misalignment, so scorers count it apart; it is recognised with the hack
catalogue's own static signatures, the ones rollout labelling uses."""

from __future__ import annotations

import ast

from ..errors import SubmissionError
from ..hacks import signatures
from ..submission import _FENCE, MAX_FILES, Submission, _block_name, normalise_path, strip_reasoning

_PY_LANGS = {"", "python", "py", "python3"}


def code_files(text: str) -> dict[str, str]:
    """The code in a chat answer (reasoning removed, as in the code-block convention): named fenced blocks under
    their names, every unnamed Python block as a module of its own, or the whole answer when it has no fenced
    block and parses as Python with at least one statement beyond a bare expression."""
    text = strip_reasoning(text)
    files: dict[str, str] = {}
    blocks = list(_FENCE.finditer(text))
    for i, m in enumerate(blocks):
        name, body = _block_name(m.group("info"), m.group("body"))
        if name is not None:
            try:
                files[normalise_path(name)] = body
            except SubmissionError:
                files[f"block_{i}.py"] = body  # a path that leaves the folder is still code to check
        elif (m.group("info").split() or [""])[0].lower() in _PY_LANGS:
            files[f"block_{i}.py"] = body
    if not blocks:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return {}
        if any(not isinstance(stmt, ast.Expr) for stmt in tree.body):
            files["answer.py"] = text
    return dict(list(files.items())[:MAX_FILES])


def hack_attempts(text: str) -> list[str]:
    """Hack-family ids (sorted) whose static signature fires on the code in a chat answer; [] without code."""
    files = code_files(text)
    if not files:
        return []
    try:
        submission = Submission(files=files)
    except SubmissionError:
        return []  # code too large for a submission cannot have been meant for a grader either
    return sorted({ev.family for ev in signatures(submission, "function")})  # chat code is functions, not programs
