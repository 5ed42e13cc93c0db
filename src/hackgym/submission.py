"""Submissions: the files a model hands in, given directly or extracted from a raw completion.

Extraction convention (documented in the README):
- Reasoning inside <thinking>...</thinking> is never code; fenced blocks there are ignored.
- A fenced block (``` or ~~~) names its file with `path=NAME`, `file=NAME`, `filename=NAME` or `title=NAME`
  in its info string, a bare file name in the info string (```python conftest.py), or a first line
  `# file: NAME`. Named blocks are always part of the submission, whatever their extension.
- `solution.py` is the named block of that name or else the last unnamed block that defines the entry
  point (else the last unnamed Python block). Other unnamed blocks are illustration and are dropped.
- With no fenced block at all, the completion (reasoning removed) is the solution if it parses as Python.
"""

from __future__ import annotations

import ast
import hashlib
import json
import posixpath
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import SubmissionError

SOLUTION_FILE = "solution.py"
MAX_FILES = 32
MAX_FILE_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 1024 * 1024
MAX_COMPLETION_BYTES = 2 * 1024 * 1024

_THINKING = re.compile(r"<thinking>.*?(</thinking>|\Z)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"^(?P<fence>```+|~~~+)[ \t]*(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.DOTALL | re.MULTILINE)
_NAMED = re.compile(r"""(?:path|file|filename|title)\s*=\s*["']?([^\s"']+)["']?""")
_BARE = re.compile(r"^[\w./-]+\.(?:py|ini|toml|cfg|txt|pth|json|yaml|yml|sh)$")
_FIRST_LINE = re.compile(r"^#\s*(?:file|filename|path)\s*:\s*(\S+)\s*$")
_PY_LANGS = {"", "python", "py", "python3"}


def normalise_path(path: str) -> str:
    """A safe relative POSIX path or a SubmissionError naming the bad path."""
    if not path or "\x00" in path:
        raise SubmissionError(f"file path {path!r} is empty or holds a NUL byte")
    norm = posixpath.normpath(path.replace("\\", "/"))
    if norm.startswith("/") or norm == ".." or norm.startswith("../") or norm == ".":
        raise SubmissionError(f"file path {path!r} leaves the submission folder")
    if norm.count("/") > 8:
        raise SubmissionError(f"file path {path!r} is nested too deeply (at most 8 folders)")
    return norm


def _check_text(name: str, text: Any) -> int:
    if not isinstance(text, str):
        raise SubmissionError(f"file {name!r}: content must be text, got {type(text).__name__}")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise SubmissionError(f"file {name!r}: not valid UTF-8 text ({exc.reason} at {exc.start})") from None
    if size > MAX_FILE_BYTES:
        raise SubmissionError(f"file {name!r}: {size} bytes, over the {MAX_FILE_BYTES}-byte limit per file")
    return size


class Submission(BaseModel):
    """What a grader receives: a folder's worth of text files; `completion` keeps the raw text if any."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    files: dict[str, str] = Field(default_factory=dict)
    completion: str | None = None

    @model_validator(mode="after")
    def _limits(self) -> Submission:
        if len(self.files) > MAX_FILES:
            raise SubmissionError(f"{len(self.files)} files, over the limit of {MAX_FILES}")
        total = 0
        clean: dict[str, str] = {}
        for name, text in self.files.items():
            total += _check_text(name, text)
            clean[normalise_path(name)] = text
        if total > MAX_TOTAL_BYTES:
            raise SubmissionError(f"{total} bytes of files, over the {MAX_TOTAL_BYTES}-byte limit")
        object.__setattr__(self, "files", clean)
        return self

    @property
    def solution(self) -> str | None:
        return self.files.get(SOLUTION_FILE)

    def digest(self) -> str:
        """A content hash for caches: the same files give the same digest."""
        payload = json.dumps(sorted(self.files.items()), ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(payload).hexdigest()[:16]

    @classmethod
    def from_completion(cls, completion: str, entry_point: str | None = None) -> Submission:
        return cls(files=extract_files(completion, entry_point), completion=completion)

    @classmethod
    def from_record(cls, record: dict[str, Any], entry_point: str | None = None) -> Submission:
        """From an input line holding either `files` or `completion` (exactly one)."""
        has_files, has_completion = "files" in record, "completion" in record
        if has_files == has_completion:
            raise SubmissionError("a submission needs exactly one of 'files' or 'completion'")
        if has_files:
            if not isinstance(record["files"], dict):
                raise SubmissionError("'files' must be an object mapping paths to text")
            return cls(files=record["files"])
        if not isinstance(record["completion"], str):
            raise SubmissionError("'completion' must be a string")
        return cls.from_completion(record["completion"], entry_point)


def strip_reasoning(completion: str) -> str:
    return _THINKING.sub("", completion)


def _block_name(info: str, body: str) -> tuple[str | None, str]:
    info = info.strip()
    if m := _NAMED.search(info):
        return m.group(1), body
    for token in info.split()[1:] if info.split() and info.split()[0].lower() in _PY_LANGS | {"ini", "toml", "cfg"} else info.split():
        if _BARE.match(token):
            return token, body
    first, _, rest = body.partition("\n")
    if m := _FIRST_LINE.match(first.strip()):
        return m.group(1), rest
    return None, body


def _defines(source: str, name: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == name for n in tree.body
    ) or any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
        for n in tree.body
    )


def extract_files(completion: str, entry_point: str | None = None) -> dict[str, str]:
    """Files of a raw completion under the convention in this module's docstring."""
    if not isinstance(completion, str):
        raise SubmissionError(f"completion must be text, got {type(completion).__name__}")
    size = len(completion.encode("utf-8", errors="replace"))
    if size > MAX_COMPLETION_BYTES:
        raise SubmissionError(f"completion is {size} bytes, over the {MAX_COMPLETION_BYTES}-byte limit")
    _check_text("completion", completion)
    text = strip_reasoning(completion)
    named: dict[str, str] = {}
    unnamed: list[tuple[str, str]] = []
    for m in _FENCE.finditer(text):
        name, body = _block_name(m.group("info"), m.group("body"))
        if name is not None:
            named[normalise_path(name)] = body
        else:
            lang = (m.group("info").split() or [""])[0].lower()
            unnamed.append((lang, body))
    files = dict(named)
    if SOLUTION_FILE not in files:
        python_blocks = [b for lang, b in unnamed if lang in _PY_LANGS]
        chosen = None
        if entry_point:
            defining = [b for b in python_blocks if _defines(b, entry_point)]
            chosen = defining[-1] if defining else None
        if chosen is None and python_blocks:
            chosen = python_blocks[-1]
        if chosen is None and not named and not unnamed:
            bare = text.strip("\n")
            try:
                ast.parse(bare)
                chosen = bare + "\n" if bare.strip() else None
            except SyntaxError:
                chosen = None
        if chosen is not None:
            files[SOLUTION_FILE] = chosen
    return files
