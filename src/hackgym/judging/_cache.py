"""The one cache of model replies, for every judge (the rollout monitor, the eval judges, the SDF critique) and
for the SDF generator's drafting calls.

Why not Inspect's own cache (`CachePolicy`, `cache=` on `generate`)? It was checked against what hackgym needs
(inspect_ai 0.3.x, `inspect_ai/model/_cache.py`, and https://inspect.aisi.org.uk/caching.html):

- what it can do: its key is the model name, base URL, messages, generation settings (logprobs included), tools
  and optional `scopes`, so `CachePolicy(expiry=None, per_epoch=False, scopes={"prompt": id, "version": v})`
  would carry a prompt's id and version, and the pickled `ModelOutput` keeps log-probabilities;
- what it cannot: its folder is one per process, read from `INSPECT_CACHE_DIR` at every call. hackgym chooses
  a folder per call site (`hackgym eval --judge-cache DIR`, `Monitor(cache_dir=...)`, an SDF corpus's `OUT.cache`
  that makes an interrupted generation resume, a test's temporary folder); switching an environment variable
  around concurrent calls would be a race;
- its key holds the model's *name* only: a local `hf/tiny` loaded from another path would be served the other
  model's replies. hackgym adds the model's arguments (its path) to the key;
- its entries are pickles named by an md5: nobody can see which model, prompt and version a cached judgement
  belongs to without unpickling it (which runs code), nor drop the entries of one prompt version.

So hackgym keeps one small disk cache of its own, here, and passes no `cache=` to Inspect. One JSON file per
reply, `ROOT/ab/abcdef....json`, named by the SHA-256 of the request: the model (name, base URL, arguments),
the prompt's registry name and version, the SHA-256 of the rendered messages, the generation settings, and a
salt (the SDF generator's slot, so that sampled variants differ). The file holds that request (without the
text) beside the reply: the completion and, when asked for, its log-probabilities. Replies are stored, not
verdicts: a parser fix applies to cached replies without paying for them again. Editing a prompt without
bumping its version still misses (the rendered text changes); bumping it misses for sure. Writes are atomic
(temporary file, then rename), so concurrent runs can share a folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CACHE_ENV = "HACKGYM_JUDGE_CACHE"
DEFAULT_CACHE = Path("~/.cache/hackgym/judge")
CACHE_FORMAT = 1  # bump when the request or reply layout below changes: old entries then miss

_override: Path | None = None


def cache_dir() -> Path:
    """Where replies are cached by default: `cache_at`/`set_cache_dir`, else $HACKGYM_JUDGE_CACHE, else
    ~/.cache/hackgym/judge."""
    if _override is not None:
        return _override
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser()


def chosen_cache_dir() -> Path | None:
    """The folder chosen in code or on the command line (`cache_at`, `set_cache_dir`, `--judge-cache`), if any."""
    return _override


def set_cache_dir(path: Path | str | None) -> None:
    """Point every default cache at this folder (None: back to the environment or the default)."""
    global _override
    _override = None if path is None else Path(path).expanduser()


@contextmanager
def cache_at(path: Path | str | None) -> Iterator[None]:
    """Within the block, the default cache is `path` (None: leave the setting alone)."""
    global _override
    previous = _override
    if path is not None:
        _override = Path(path).expanduser()
    try:
        yield
    finally:
        _override = previous


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cache_key(request: dict[str, Any]) -> str:
    """The file name of a request: SHA-256 of its canonical JSON."""
    return _sha(json.dumps({"format": CACHE_FORMAT, **request}, sort_keys=True, ensure_ascii=False, default=str))


def request(*, model: str, model_args: dict[str, Any], base_url: str | None, prompt: str, version: int,
            system: str | None, text: str, settings: dict[str, Any], salt: str) -> dict[str, Any]:
    """What determines a reply, as it is keyed and stored (`text` is the rendered messages, kept as a hash)."""
    return {"model": model, "model_args": model_args, "base_url": base_url, "prompt": prompt, "version": version,
            "system": system, "text_sha256": _sha(text), "settings": settings, "salt": salt}


class DiskCache:
    """Replies on disk, one JSON file per request."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()

    def path(self, req: dict[str, Any]) -> Path:
        key = _cache_key(req)
        return self.root / key[:2] / f"{key}.json"

    def get(self, req: dict[str, Any]) -> dict[str, Any] | None:
        """The stored reply, or None (also for a torn or foreign file: the call is made again and overwrites)."""
        path = self.path(req)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            reply = entry["reply"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return reply if isinstance(reply, dict) and isinstance(reply.get("completion"), str) else None

    def put(self, req: dict[str, Any], reply: dict[str, Any]) -> None:
        path = self.path(req)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"request": req, "reply": reply, "created": datetime.now(UTC).isoformat(timespec="seconds")}
        tmp = path.with_suffix(f".{os.getpid()}.{id(reply)}.tmp")
        tmp.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every stored entry (request and reply), for audits: which model, prompt and version was cached."""
        for path in sorted(self.root.rglob("*.json")):
            try:
                yield json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
