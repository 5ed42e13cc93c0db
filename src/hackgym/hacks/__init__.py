"""The hack catalogue: each family names the grader weakness it exploits and a static signature; each hack
builds a working payload for any problem. Family modules register themselves on import."""

from . import study  # noqa: E402,F401,I001  (registration order: the study's three first)
from .base import (
    CATALOGUE,
    FAMILIES,
    Evidence,
    Family,
    Hack,
    register_family,
    register_hack,
    signatures,
    stub,
)

__all__ = ["CATALOGUE", "FAMILIES", "Evidence", "Family", "Hack", "register_family", "register_hack", "signatures", "stub"]
