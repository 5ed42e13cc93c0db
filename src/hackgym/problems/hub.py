"""Problem sets from the Hugging Face hub: `hf:NAME[/CONFIG][:SPLIT]`, loaded with `datasets.load_dataset`.

Each set keeps its hub id, so a user with internet loads the real data; `HACKGYM_HUB_DATA=DIR` makes
`DIR/<hub id>` (a folder laid out as the hub repo) stand in for it, which is how an offline mirror or the
tests load the same code path. Rows that cannot become a function `Problem` are skipped and counted by
reason in a `LoadReport`, never silently; a set that keeps nothing is an error naming the reasons.
APPS and LiveCodeBench repos are script-based, which `datasets` 4+ no longer runs, so their JSONL files
are read with the packaged `json` builder (from `hf://datasets/<id>/...` or the local folder).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ProblemError
from ._pyfunc import Skipped
from .competitive import map_apps, map_code_contests
from .livecodebench import map_livecodebench
from .mbpp import map_mbpp
from .model import Problem

HUB_DATA_ENV = "HACKGYM_HUB_DATA"


@dataclass(frozen=True)
class HubSet:
    """How one hub set is found and mapped."""

    repo: str
    license: str
    configs: tuple[str, ...]
    default_split: str
    mapper: Callable[[dict[str, Any], str, str, str], Problem]
    json_files: Callable[[str, str], list[str]] | None = None  # (config, split) -> files, for script repos


def _lcb_files(config: str, split: str) -> list[str]:
    """`release_vN` is test.jsonl plus test2..testN.jsonl, as LiveCodeBench's own versions are cut."""
    n = int(config.removeprefix("release_v")) if config.startswith("release_v") and config[9:].isdigit() else 6
    return ["test.jsonl", *[f"test{i}.jsonl" for i in range(2, n + 1)]]


SETS: dict[str, HubSet] = {
    "mbpp": HubSet("google-research-datasets/mbpp", "CC-BY-4.0", ("full", "sanitized"), "test",
                   lambda row, config, split, src: map_mbpp(row, config, split, src)),
    "apps": HubSet("codeparrot/apps", "MIT", ("all",), "test",
                   lambda row, config, split, src: map_apps(row, split, src),
                   json_files=lambda config, split: [f"{split}.jsonl"]),
    "code_contests": HubSet("deepmind/code_contests", "CC-BY-4.0", ("default",), "test",
                            lambda row, config, split, src: map_code_contests(row, split, src)),
    "livecodebench": HubSet("livecodebench/code_generation_lite", "licence: see its dataset card",
                            ("release_latest", *[f"release_v{i}" for i in range(1, 7)]), "test",
                            lambda row, config, split, src: map_livecodebench(row, split, src),
                            json_files=_lcb_files),
}
ALIASES = {s.repo: name for name, s in SETS.items()} | {"codecontests": "code_contests", "lcb": "livecodebench"}


@dataclass
class LoadReport:
    """What a hub load kept and what it skipped, by reason, with a few example ids per reason."""

    name: str
    rows: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, row_id: str) -> None:
        self.skipped[reason] += 1
        ids = self.examples.setdefault(reason, [])
        if len(ids) < 3:
            ids.append(row_id)

    def lines(self) -> list[str]:
        head = f"{self.name}: {self.kept} of {self.rows} rows became problems"
        return [head] + [f"  skipped {n}: {reason} (e.g. {', '.join(self.examples[reason])})"
                         for reason, n in self.skipped.most_common()]


@dataclass(frozen=True)
class HubRef:
    """A parsed `hf:` name."""

    name: str
    config: str
    split: str

    def __str__(self) -> str:
        return f"hf:{self.name}/{self.config}:{self.split}"


def parse_hf(spec: str) -> HubRef:
    """`hf:mbpp`, `hf:mbpp/sanitized:test`, `hf:google-research-datasets/mbpp:train`, `hf:apps:test`."""
    body = spec.removeprefix("hf:")
    body, _, split = body.partition(":")
    name, config = body, ""
    for alias in sorted([*SETS, *ALIASES], key=len, reverse=True):
        if body == alias or body.startswith(alias + "/"):
            name, config = ALIASES.get(alias, alias), body[len(alias) + 1:]
            break
    if name not in SETS:
        raise ProblemError(f"unknown hub set {spec!r}: use hf:NAME[/CONFIG][:SPLIT] with NAME one of {sorted(SETS)}")
    hs = SETS[name]
    config = config or hs.configs[0]
    if config not in hs.configs:
        raise ProblemError(f"{spec!r}: {name} has no config {config!r}; use one of {list(hs.configs)}")
    return HubRef(name, config, split or hs.default_split)


def _base(repo: str) -> tuple[str, bool]:
    """The folder standing in for `repo` under HACKGYM_HUB_DATA, or the hub id itself."""
    root = os.environ.get(HUB_DATA_ENV)
    if root and (Path(root) / repo).is_dir():
        return str(Path(root) / repo), True
    return repo, False


def _rows(ref: HubRef) -> Any:
    import datasets

    hs = SETS[ref.name]
    base, local = _base(hs.repo)
    try:
        if hs.json_files is not None:
            prefix = base if local else f"hf://datasets/{hs.repo}"
            files = [f"{prefix}/{f}" for f in hs.json_files(ref.config, ref.split)]
            if local:
                files = [f for f in files if Path(f).is_file()]
            return datasets.load_dataset("json", data_files={ref.split: files}, split=ref.split)
        config = None if ref.config == "default" else ref.config
        return datasets.load_dataset(base, config, split=ref.split)
    except (FileNotFoundError, ValueError, ConnectionError, datasets.exceptions.DatasetNotFoundError) as exc:
        where = f"{base} ({HUB_DATA_ENV})" if local else f"the hub ({hs.repo})"
        raise ProblemError(f"{ref}: cannot load from {where}: {type(exc).__name__}: {exc}") from None


def load_hub(spec: str) -> tuple[list[Problem], LoadReport]:
    """Every row of the set that maps to a function `Problem`, and the report of what was skipped."""
    ref = parse_hf(spec)
    hs = SETS[ref.name]
    source = f"{hs.repo} ({ref.config}, {ref.split}; {hs.license})"
    report = LoadReport(str(ref))
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, row in enumerate(_rows(ref)):
        report.rows += 1
        row_id = str(row.get("task_id") or row.get("problem_id") or row.get("question_id") or row.get("name") or i)
        try:
            problem = hs.mapper(row, ref.config, ref.split, source)
        except Skipped as exc:
            report.skip(exc.reason, row_id)
            continue
        except ValidationError as exc:
            first = exc.errors()[0]
            msg = re.sub(r"'[^']*'", "…", first["msg"])  # names vary by row; the reason should not
            report.skip(f"invalid {'.'.join(str(p) for p in first['loc']) or 'record'}: {msg}", row_id)
            continue
        if problem.id in seen:
            report.skip("duplicate id", row_id)
            continue
        seen.add(problem.id)
        problems.append(problem)
    report.kept = len(problems)
    if not problems:
        raise ProblemError("\n".join(report.lines()) if report.rows else f"{ref}: the split holds no rows")
    return problems, report
