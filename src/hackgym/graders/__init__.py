"""Graders by spec: `hardened`, `vulnerable[:w+w]` (weaknesses switchable), `cmd:CMD`, or your own callable."""

from __future__ import annotations

from pathlib import Path

from ..errors import GraderSpecError
from ..sandbox import Pool, SandboxMode, get_pool
from .base import IN_PROCESS, STUDY_WEAKNESSES, Grader, GradeResult, Status, Weakness
from .cache import VerdictCache, Work
from .command import CommandGrader, FunctionGrader
from .hardened import HardenedGrader
from .vulnerable import VulnerableGrader

__all__ = [
    "GradeResult", "Grader", "Status", "Weakness", "STUDY_WEAKNESSES", "IN_PROCESS", "HardenedGrader",
    "VulnerableGrader", "CommandGrader", "FunctionGrader", "make_grader", "parse_weaknesses", "default_audit_specs",
    "VerdictCache", "Work",
]


def parse_weaknesses(text: str) -> frozenset[Weakness]:
    if text == "all":
        return frozenset(Weakness)
    if text == "none":
        return frozenset()
    out = set()
    for part in text.split("+"):
        try:
            out.add(Weakness(part.strip()))
        except ValueError:
            names = ", ".join(w.value for w in Weakness)
            raise GraderSpecError(f"unknown weakness {part!r}: use {names}, 'all' or 'none'") from None
    return frozenset(out)


def make_grader(spec: str, sandbox: SandboxMode = "jail", pool: Pool | None = None,
                grader_files: str | Path | None = None) -> Grader:
    """`hardened`; `vulnerable` (the study's three weaknesses); `vulnerable:always_equal+exit_zero`;
    `vulnerable:all` / `vulnerable:none`; `cmd:CMD {workdir}`."""
    pool = pool or get_pool(sandbox)
    if spec == "hardened":
        return HardenedGrader(pool)
    if spec == "vulnerable":
        return VulnerableGrader(STUDY_WEAKNESSES, pool)
    if spec.startswith("vulnerable:"):
        return VulnerableGrader(parse_weaknesses(spec.split(":", 1)[1]), pool)
    if spec.startswith("cmd:"):
        return CommandGrader(spec[4:], pool, grader_files)
    raise GraderSpecError(f"unknown grader spec {spec!r}: use hardened, vulnerable[:w+w], or cmd:COMMAND")


def default_audit_specs() -> list[str]:
    """hardened, vulnerable and one grader per study weakness (visible_only is opt-in: `--grader`)."""
    return ["hardened", "vulnerable"] + [f"vulnerable:{w.value}" for w in sorted(STUDY_WEAKNESSES)]
