"""Audit graders against the hack catalogue: every exploit, reference and null solution through every grader.

A grader that rejects reference solutions or accepts null solutions is *broken* (it mis-grades honest work),
which is a different failure from being *hackable* (it accepts exploits).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel, Field

from .graders import Grader, GradeResult
from .hacks import CATALOGUE, FAMILIES, Hack
from .problems import Problem
from .submission import Submission

SLOW_FAMILIES = frozenset({"hang"})  # each exploit waits out a grader's time limit: opt-in for audits
# Families whose programs never end either, kept in a default audit on the first few problems of their kind only:
# such a program meets every problem alike, and on a set of thousands (APPS) they would take nearly all the time.
SAMPLED_FAMILIES: Mapping[str, int] = {"stall": 4}


class Acceptance(BaseModel):
    accepted: int = 0
    total: int = 0

    @property
    def rate(self) -> float:
        return self.accepted / self.total if self.total else 0.0


class GraderAudit(BaseModel):
    honest: Acceptance = Field(default_factory=Acceptance)
    null: Acceptance = Field(default_factory=Acceptance)
    hacks: dict[str, Acceptance] = Field(default_factory=dict)
    broken: bool = False
    broken_reasons: list[str] = Field(default_factory=list)
    rejected_honest: list[str] = Field(default_factory=list, description="problem ids whose reference failed")
    accepted_null: list[str] = Field(default_factory=list)

    @property
    def hacks_accepted(self) -> int:
        return sum(a.accepted for a in self.hacks.values())


class AuditReport(BaseModel):
    problem_set: str
    n_problems: int
    graders: dict[str, GraderAudit]
    hack_families: dict[str, str] = Field(default_factory=dict, description="hack id -> family")
    hack_targets: dict[str, list[str]] = Field(default_factory=dict)

    def hardened_accepts_exploits(self) -> bool:
        g = self.graders.get("hardened")
        return bool(g and g.hacks_accepted)

    def to_json_dict(self) -> dict:
        return self.model_dump(mode="json")


def _jobs(problems: Sequence[Problem], hacks: Sequence[Hack], sampled: Mapping[str, int] | None = None
          ) -> list[tuple[str, Problem, Submission]]:
    """(kind, problem, submission) with kind 'honest', 'null' or a hack id."""
    jobs: list[tuple[str, Problem, Submission]] = []
    for p, exploited in _plan(problems, hacks, sampled):
        if p.reference_solution is not None:  # a set without references (LiveCodeBench) has no honest row
            jobs.append(("honest", p, Submission(files={"solution.py": p.reference_solution})))
        for null in p.null_solutions:
            jobs.append(("null", p, Submission(files={"solution.py": null})))
        jobs += [(hack.id, p, hack.exploit(p)) for hack in exploited]
    return jobs


def _plan(problems: Sequence[Problem], hacks: Sequence[Hack], sampled: Mapping[str, int] | None
          ) -> list[tuple[Problem, list[Hack]]]:
    """Each problem with the hacks audited on it: those that apply to it (a function exploit means nothing to a
    stdio program, and back), a sampled family's only on the first problems it applies to."""
    left = {h.id: n for h in hacks if (n := (sampled or {}).get(h.family)) is not None}
    plan = []
    for p in problems:
        exploited = []
        for hack in hacks:
            if not hack.applies_to(p) or left.get(hack.id, 1) <= 0:
                continue
            if hack.id in left:
                left[hack.id] -= 1
            exploited.append(hack)
        plan.append((p, exploited))
    return plan


def run_audit(problems: Sequence[Problem], graders: Sequence[Grader], problem_set: str = "",
              hacks: Sequence[Hack] | None = None, progress: Callable[[int], None] | None = None,
              workers: int | None = None, sampled: Mapping[str, int] | None = None) -> AuditReport:
    """Grade every (problem, honest | null | exploit) submission with every grader.

    `sampled`: family -> how many problems its exploits are audited on (the first ones they apply to).

    Every (grader, submission) grading is one task on one queue served by `workers` threads (default: the
    graders' pool size), each taking a sandbox slot per task, so no worker idles while another grader still has
    work. Graders that share a name grade once; identical submissions of a problem are graded once per grader.
    """
    hacks = list(CATALOGUE.values()) if hacks is None else list(hacks)
    hacks = [h for h in hacks if any(h.applies_to(p) for p in problems)]
    jobs = _jobs(problems, hacks, sampled)
    report = AuditReport(problem_set=problem_set, n_problems=len(problems), graders={},
                         hack_families={h.id: h.family for h in hacks},
                         hack_targets={h.id: sorted(h.targets) for h in hacks})
    named: dict[str, Grader] = {}
    for g in graders:
        named.setdefault(g.name, g)
    unique = list(named.values())
    verdicts = _grade_all(unique, jobs, progress, workers or _workers(unique))
    digests = [submission.digest() for _, _, submission in jobs]
    for grader in unique:
        audit = GraderAudit(hacks={h.id: Acceptance() for h in hacks})
        for (kind, problem, _), digest in zip(jobs, digests, strict=True):
            result = verdicts[grader.name, problem.id, digest]
            bucket = audit.honest if kind == "honest" else audit.null if kind == "null" else audit.hacks[kind]
            bucket.total += 1
            bucket.accepted += result.passed
            if kind == "honest" and not result.passed:
                audit.rejected_honest.append(problem.id)
            if kind == "null" and result.passed:
                audit.accepted_null.append(problem.id)
        if audit.rejected_honest:
            audit.broken_reasons.append(f"rejects {len(audit.rejected_honest)} reference solutions")
        if audit.null.accepted:
            audit.broken_reasons.append(f"accepts {audit.null.accepted} null solutions")
        audit.broken = bool(audit.broken_reasons)
        report.graders[grader.name] = audit
    return report


Key = tuple[str, str, str]  # (grader name, problem id, submission digest)


def _workers(graders: Sequence[Grader]) -> int:
    pools = [getattr(g, "pool", None) for g in graders]
    return max([p.workers for p in pools if p is not None] or [os.cpu_count() or 1])


def schedule(graders: Sequence[Grader], jobs: Sequence[tuple[str, Problem, Submission]]
             ) -> list[tuple[Key, int, Grader, Problem, Submission]]:
    """Distinct gradings, each with how many audit cells it fills, in the order they are handed out: exploits
    of the slow families (each waits out a time limit) first, so that none is left running alone at the end;
    then submission by submission, every grader in turn, so that cheap and expensive graders share the
    workers all along."""
    cells: dict[Key, int] = {}
    order: dict[Key, tuple[Grader, Problem, Submission]] = {}
    slow = SLOW_FAMILIES | set(SAMPLED_FAMILIES)
    ranked = sorted(jobs, key=lambda job: getattr(CATALOGUE.get(job[0]), "family", None) not in slow)
    for _, problem, submission in ranked:
        digest = submission.digest()
        for grader in graders:
            key = (grader.name, problem.id, digest)
            cells[key] = cells.get(key, 0) + 1
            order.setdefault(key, (grader, problem, submission))
    return [(key, cells[key], *task) for key, task in order.items()]


def _grade_all(graders: Sequence[Grader], jobs: Sequence[tuple[str, Problem, Submission]],
               progress: Callable[[int], None] | None, workers: int) -> dict[Key, GradeResult]:
    tasks = schedule(graders, jobs)

    def one(task: tuple[Key, int, Grader, Problem, Submission]) -> tuple[Key, GradeResult]:
        key, cells, grader, problem, submission = task
        result = grader.grade(problem, submission)
        if progress:
            progress(cells)
        return key, result

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(tasks)))) as ex:
        return dict(ex.map(one, tasks))


def n_gradings(problems: Sequence[Problem], n_graders: int, hacks: Sequence[Hack] | None = None,
               sampled: Mapping[str, int] | None = None) -> int:
    hacks = list(CATALOGUE.values()) if hacks is None else list(hacks)
    plan = _plan(problems, hacks, sampled)
    return sum((p.reference_solution is not None) + len(p.null_solutions) + len(hs) for p, hs in plan) * n_graders


def to_markdown(report: AuditReport) -> str:
    """A readable report: the acceptance matrix, broken graders, and what each hack family exploits."""
    names = list(report.graders)
    lines = [f"# hackgym audit: `{report.problem_set}` ({report.n_problems} problems)", ""]
    lines.append("| submission | targets | " + " | ".join(f"`{n}`" for n in names) + " |")
    lines.append("|---|---|" + "---|" * len(names))

    def cells(get) -> str:
        return " | ".join(f"{a.accepted}/{a.total}" for a in (get(report.graders[n]) for n in names))

    lines.append(f"| reference (honest) | | {cells(lambda g: g.honest)} |")
    lines.append(f"| null (known wrong) | | {cells(lambda g: g.null)} |")
    for hid in report.hack_targets:
        targets = ", ".join(report.hack_targets[hid])
        lines.append(f"| `{hid}` | {targets} | {cells(lambda g, h=hid: g.hacks[h])} |")
    lines.append("")
    for name, g in report.graders.items():
        if g.broken:
            lines.append(f"- **`{name}` is broken**: {'; '.join(g.broken_reasons)}")
    if report.hardened_accepts_exploits():
        lines.append("- **`hardened` accepted an exploit**: see the matrix above.")
    lines += ["", "## Hack families", ""]
    for fam_id in sorted({f for f in report.hack_families.values()}):
        fam = FAMILIES.get(fam_id)
        if fam:
            lines.append(f"- **{fam_id}** (targets: {', '.join(sorted(fam.targets))}): {' '.join(fam.doc.split())}")
    return "\n".join(lines) + "\n"
