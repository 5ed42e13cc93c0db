"""The hack catalogue: each family names the grader weakness it exploits and a static signature; each hack
builds a working payload for any problem. Family modules register themselves on import; families from
installed packages (entry-point group `hackgym.hacks`) are loaded last. `list_families()` lists them all."""

from . import study  # noqa: E402,F401,I001  (registration order: the study's three first)
from . import (  # noqa: E402,F401,I001  (one module per family)
    eq_subclass, fake_class, tolerance_collapse, self_signal, exit_hooks, skip, kill_runner, hang, pytest_config,
    test_files, startup_injection, hardcode_visible, read_expected, patch_checks, runner_patch, forged_report,
    forged_summary, stdio,
)
from .base import (
    CATALOGUE,
    ENTRY_POINT_GROUP,
    FAMILIES,
    Evidence,
    Family,
    FamilyInfo,
    Hack,
    HackInfo,
    HackRegistryError,
    list_families,
    load_plugins,
    register_family,
    register_hack,
    signatures,
    stub,
)

__all__ = ["CATALOGUE", "FAMILIES", "Evidence", "Family", "Hack", "register_family", "register_hack", "signatures",
           "stub", "FamilyInfo", "HackInfo", "HackRegistryError", "list_families", "load_plugins",
           "ENTRY_POINT_GROUP"]

load_plugins()  # last: a plugin imports the names above from this package
