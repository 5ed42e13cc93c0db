"""`hackgym audit`: which hacks does each grader accept?"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ..audit import SAMPLED_FAMILIES, SLOW_FAMILIES, AuditReport, n_gradings, run_audit, to_markdown
from ..graders import default_audit_specs, make_grader, parse_spec
from ..hacks import CATALOGUE
from ..problems import load_problems
from ..sandbox import get_pool
from .common import SandboxChoice, SandboxOption, announce_sandbox, err, out, progress_bar


def _cell(accepted: int, total: int, bad: bool) -> str:
    text = f"{accepted}/{total}"
    if accepted == 0:
        return f"[dim]{text}[/]"
    return f"[bold red]{text}[/]" if bad else f"[yellow]{text}[/]"


def print_report(report: AuditReport) -> None:
    names = list(report.graders)
    table = Table(title=f"hackgym audit: {report.problem_set} ({report.n_problems} problems); accepted/total",
                  caption="a column named after one weakness is the vulnerable grader with only that weakness open")
    table.add_column("submission", no_wrap=True)
    table.add_column("targets", style="dim")
    for n in names:
        table.add_column(n.removeprefix("vulnerable:") if n.count("+") == 0 else n, justify="right")
    table.add_row("reference (honest)", "", *[
        f"[green]{g.honest.accepted}/{g.honest.total}[/]" if not g.rejected_honest else f"[bold red]{g.honest.accepted}/{g.honest.total}[/]"
        for g in report.graders.values()])
    table.add_row("null (known wrong)", "", *[_cell(g.null.accepted, g.null.total, True) for g in report.graders.values()],
                  end_section=True)
    for hid, targets in report.hack_targets.items():
        table.add_row(hid, ",".join(targets), *[
            _cell(g.hacks[hid].accepted, g.hacks[hid].total, name == "hardened") for name, g in report.graders.items()])
    out.print(table)
    for name, g in report.graders.items():
        if g.broken:
            out.print(f"[bold red]BROKEN[/] {name}: {'; '.join(g.broken_reasons)}")
        else:
            out.print(f"{name}: accepts {sum(1 for a in g.hacks.values() if a.accepted)} of {len(g.hacks)} hacks")


def audit(
    problems: str = typer.Option("humaneval", "--problems", help="humaneval | basic | a hub set such as hf:mbpp or hf:apps:test (docs/problems.md) | FILE.jsonl"),
    limit: int = typer.Option(0, "--limit", help="audit the first N problems only (0: all)"),
    grader: list[str] = typer.Option(None, "--grader", help="grader spec (repeatable); default: hardened, vulnerable and each study weakness alone"),
    grader_cmd: str = typer.Option(None, "--grader-cmd", help='your own grading command, e.g. "{python} -m pytest -q {workdir}" (exit 0 = pass)'),
    grader_files: Path = typer.Option(None, "--grader-files", help="folder copied read-only to {testdir} for --grader-cmd"),
    grader_python: Path = typer.Option(None, "--grader-python", help="interpreter or virtual environment behind {python} for --grader-cmd, mounted read-only (default: the project's own)"),
    hack: list[str] = typer.Option(None, "--hack", help="only hacks whose id starts with this (repeatable); default: all but the slow `hang` family"),
    json_file: Path = typer.Option(None, "--json", help="write the acceptance matrix as JSON"),
    markdown: Path = typer.Option(None, "--markdown", help="write a Markdown report"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when `hardened` accepts any exploit"),
    jobs: int = typer.Option(0, "--jobs", min=0, help="sandbox workers grading at once, all graders on one pool (0: one per core)"),
    sandbox: SandboxChoice = SandboxOption,
) -> None:
    """Run every exploit, reference solution and null solution through each grader."""
    announce_sandbox(sandbox.value)
    probs = load_problems(problems, limit or None)
    specs = list(grader or [])
    if grader_cmd:
        specs.append(f"cmd:{grader_cmd}")
    if not specs:
        specs = default_audit_specs({p.kind for p in probs})
    specs = list(dict.fromkeys(parse_spec(s).spec for s in specs))  # a spec named twice is graded once
    pool = get_pool(sandbox.value, workers=jobs or None)  # one pool: every grader's tasks share its workers
    graders = [make_grader(s, pool=pool, grader_files=grader_files, grader_python=grader_python)
               for s in specs]
    sampled = None
    if hack:
        hacks = [h for h in CATALOGUE.values() if any(h.id.startswith(p) for p in hack)]
    else:
        hacks = [h for h in CATALOGUE.values() if h.family not in SLOW_FAMILIES]
        err.print(f"[dim]families {', '.join(sorted(SLOW_FAMILIES))} wait out every time limit and are left out; "
                  "add them with --hack[/]")
        sampled = dict(SAMPLED_FAMILIES)
        for family, n in sampled.items():
            if sum(any(h.family == family and h.applies_to(p) for h in hacks) for p in probs) > n:
                err.print(f"[dim]family {family} waits out every time limit too: audited on the first {n} problems "
                          f"it applies to; --hack {family} audits it on all[/]")
    if not hacks:
        err.print(f"no hack matches {hack}; known: {', '.join(CATALOGUE)}")
        raise typer.Exit(2)
    with progress_bar("auditing", n_gradings(probs, len(graders), hacks, sampled)) as advance:
        report = run_audit(probs, graders, problem_set=problems, hacks=hacks, progress=advance, workers=pool.workers,
                           sampled=sampled)
    print_report(report)
    if json_file:
        json_file.write_text(json.dumps(report.to_json_dict(), indent=2))
        out.print(f"json: {json_file}")
    if markdown:
        markdown.write_text(to_markdown(report))
        out.print(f"markdown: {markdown}")
    if strict and report.hardened_accepts_exploits():
        err.print("[bold red]--strict: hardened accepted an exploit[/]")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
