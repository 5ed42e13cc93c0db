"""Graders by spec: `hardened` (any problem kind), `vulnerable[:w+w]` (weaknesses switchable), `stdio[:w+w]`
(stdin/stdout programs, checker weaknesses switchable), `cmd:CMD`, kinds that installed
packages register (entry-point group `hackgym.graders`), or your own callable (`FunctionGrader`).

`parse_spec(spec)` validates a spec without starting a sandbox and prints it back in canonical form;
`make_grader(spec)` builds the grader; `grader_kinds()` lists every kind with its description.
"""

from __future__ import annotations

from ._registry import (
    ENTRY_POINT_GROUP,
    CommandSpec,
    GraderKind,
    GraderSpec,
    HardenedSpec,
    StdioSpec,
    VulnerableSpec,
    default_audit_specs,
    grader_kinds,
    make_grader,
    parse_spec,
    parse_weaknesses,
    register_grader,
)
from .base import IN_PROCESS, STUDY_WEAKNESSES, Grader, GradeResult, Status, Weakness
from .cache import VerdictCache, Work
from .command import CommandGrader, FunctionGrader
from .hardened import HardenedGrader
from .stdio import STDIO_DEFAULT, StdioGrader, StdioWeakness
from .vulnerable import VulnerableGrader

__all__ = [
    "GradeResult", "Grader", "Status", "Weakness", "STUDY_WEAKNESSES", "IN_PROCESS", "HardenedGrader",
    "VulnerableGrader", "CommandGrader", "FunctionGrader", "make_grader", "parse_weaknesses", "default_audit_specs",
    "VerdictCache", "Work", "GraderSpec", "GraderKind", "HardenedSpec", "VulnerableSpec", "CommandSpec",
    "parse_spec", "grader_kinds", "register_grader", "ENTRY_POINT_GROUP", "StdioGrader", "StdioWeakness",
    "StdioSpec", "STDIO_DEFAULT",
]
