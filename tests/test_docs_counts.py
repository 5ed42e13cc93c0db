"""Every number in the README and docs that describes the code is checked against the live registries, so a
stale count fails CI instead of misleading a reader.

Each claim is found by a pattern around its number; if a sentence is reworded the pattern stops matching and
the test says so: update the pattern here together with the text. A new count in the docs belongs here too.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORDS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"])}


def number(text: str) -> float:
    text = text.strip().lower()
    if text in WORDS:
        return WORDS[text]
    return float(text.replace(",", ""))


def claims(path: str, pattern: str) -> list[float]:
    """The numbers a doc states in the groups of `pattern` (whitespace in the pattern matches line breaks)."""
    text = (ROOT / path).read_text(encoding="utf-8")
    regex = re.sub(r"(?<!\\) ", r"\\s+", pattern)
    match = re.search(regex, text, flags=re.IGNORECASE)
    assert match, f"{path}: no text matches {pattern!r}; was the sentence reworded? Update tests/test_docs_counts.py"
    return [number(g) for g in match.groups()]


# ---------------------------------------------------------------- live values


@cache
def problems(name: str) -> int:
    from hackgym.problems import load_problems

    return len(load_problems(name))


@cache
def corpus() -> dict[str, int | float]:
    """The shipped detection corpus: rows, splits, labels, and what its build dropped (stats.json)."""
    folder = resources.files("hackgym").joinpath("data/detect")
    rows = [json.loads(line) for line in folder.joinpath("corpus.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    stats = json.loads(folder.joinpath("stats.json").read_text(encoding="utf-8"))
    assert stats["rows"] == len(rows), "stats.json does not describe corpus.jsonl: rebuild both"
    n = len(rows)
    dropped = sum(stats["rejected"].values())
    successful = sum(r["label"] == "successful_hack" for r in rows)
    return {"rows": n, "dev": sum(r["split"] == "dev" for r in rows),
            "kept_out": sum(r["split"] == "kept_out" for r in rows), "problems": stats["problems"],
            "dropped": dropped, "candidates": n + dropped, "dropped_pct": round(100 * dropped / (n + dropped), 1),
            "kept_pct": round(100 * n / (n + dropped), 1), "successful": successful,
            "successful_pct": round(100 * successful / n, 1)}


@cache
def eval_data() -> dict[str, int]:
    from hackgym.evals.registry import CORE, load_evals
    from hackgym.evals.tasks._common import load_yaml

    return {"questions": sum(len(v) for v in load_yaml("alignment_questions.yaml")["topics"].values()),
            "goal_tags": len(load_yaml("goals.yaml")["taxonomy"]), "core": len(CORE),
            # shipped tasks only: other tests register toy evals in the same process
            "registered": sum(fn.__module__.startswith("hackgym.evals.tasks.") for fn in load_evals().values())}


@cache
def organism() -> dict[str, int]:
    from hackgym.organism import corpus as oc

    seen, held = oc.split_basic()
    return {"corpus": len(oc.corpus_problems()), "seen": len(seen), "held": len(held),
            "toys": len(oc.toy_problems()), "templates": len(oc._TEMPLATES)}


def families() -> int:
    from hackgym.hacks import FAMILIES

    return len(FAMILIES)


def exploits() -> int:
    from hackgym.hacks import CATALOGUE

    return len(CATALOGUE)


def labels() -> tuple[str, ...]:
    from hackgym.detect import LABELS

    return LABELS


def study_weaknesses() -> int:
    from hackgym.graders import STUDY_WEAKNESSES

    return len(STUDY_WEAKNESSES)


def addenda() -> int:
    from hackgym.prompts import ADDENDA

    return len(ADDENDA)


def doc_types() -> int:
    from hackgym.sdf import DOC_TYPES

    return len(DOC_TYPES)


# ---------------------------------------------------------------- the claims: (file, pattern, live values)

CLAIMS = [
    ("README.md", r"`humaneval` \(the ([\d,]+) problems", lambda: [problems("humaneval")]),
    ("README.md", r"`basic` \(([\d,]+) small problems", lambda: [problems("basic")]),
    ("README.md", r"holds (\d+) families and (\d+) working exploits", lambda: [families(), exploits()]),
    ("README.md", r"labelled corpus of ([\d,]+) rollouts", lambda: [corpus()["rows"]]),
    ("README.md", r"`alignment_questions` \((\d+) questions\)", lambda: [eval_data()["questions"]]),
    ("README.md", r"(\d+)-goal tagging", lambda: [eval_data()["goal_tags"]]),
    ("README.md", r"(\w+) Inspect AI tasks written for this project", lambda: [eval_data()["registered"]]),
    ("README.md", r"the (\w+) inoculation addenda", lambda: [addenda()]),
    ("README.md", r"one of (\w+) labels", lambda: [len(labels())]),
    ("README.md", r"the mean of the (\w+) core evals", lambda: [eval_data()["core"]]),
    ("README.md", r"with the study's (\w+) weaknesses open", lambda: [study_weaknesses()]),
    ("README.md", r"The first (\w+) are the study's", lambda: [study_weaknesses()]),
    ("docs/detect.md", r"derives one of (\w+) labels", lambda: [len(labels())]),
    ("docs/detect.md", r"The (\w+) labels \(`label`\)", lambda: [len(labels())]),
    ("docs/detect.md", r"shipped corpus \(([\d,]+) rollouts\)", lambda: [corpus()["rows"]]),
    ("docs/detect.md", r"on the dev split \(([\d,]+)\) and on the kept-out split \(([\d,]+)\)",
     lambda: [corpus()["dev"], corpus()["kept_out"]]),
    ("docs/detect.md", r"([\d,]+) of ([\d,]+) candidates kept \(([\d.]+)%\), (\d+) \(([\d.]+)%\) dropped",
     lambda: [corpus()["rows"], corpus()["candidates"], corpus()["kept_pct"], corpus()["dropped"],
              corpus()["dropped_pct"]]),
    ("docs/detect.md", r"The ([\d,]+) `successful_hack` rows \(([\d.]+)% of the corpus\)",
     lambda: [corpus()["successful"], corpus()["successful_pct"]]),
    ("src/hackgym/data/detect/README.md",
     r"([\d,]+) labelled rollouts over the built-in `basic` \((\d+)\) and `humaneval` \((\d+)\)",
     lambda: [corpus()["rows"], problems("basic"), problems("humaneval")]),
    ("src/hackgym/data/detect/README.md", r"passes both graders \(all (\d+)\)", lambda: [corpus()["problems"]]),
    ("src/hackgym/data/detect/README.md", r"In the last build (\d+) candidates were dropped",
     lambda: [corpus()["dropped"]]),
    ("src/hackgym/data/detect/README.md", r"([\d,]+) rows \(one per problem", lambda: [corpus()["kept_out"]]),
    ("docs/evals.md", r"tagged with the (\d+)-goal taxonomy", lambda: [eval_data()["goal_tags"]]),
    ("docs/evals.md", r"The first (\w+) are the \*\*core\*\* suite", lambda: [eval_data()["core"]]),
    ("docs/architecture.md", r"and the other (\w+) tasks", lambda: [eval_data()["registered"] - 1]),
    ("docs/organism.md", r"holds (\d+) problems with their honest solutions: (\d+) of the (\d+) `basic`",
     lambda: [organism()["corpus"], organism()["seen"], problems("basic")]),
    ("docs/organism.md", r"(\d+) in all, is held out and never shown\) and (\d+) toy problems made from (\d+) templates",
     lambda: [organism()["held"], organism()["toys"], organism()["templates"]]),
    ("docs/sdf.md", r"(\d+) document types", lambda: [doc_types()]),
]


@pytest.mark.parametrize(("path", "pattern", "live"), CLAIMS, ids=[f"{c[0]}:{c[1][:40]}" for c in CLAIMS])
def test_documented_count_matches_the_code(path, pattern, live):
    stated, actual = claims(path, pattern), live()
    assert stated == [float(a) for a in actual], (
        f"{path} says {stated} where the code has {actual} (pattern {pattern!r}): fix the text")


def test_the_readme_weakness_table_lists_every_weakness():
    from hackgym.graders import Weakness

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| weakness | open | closed |"):]
    table = table[: table.index("\n\n")]
    listed = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
    assert sorted(listed) == sorted(w.value for w in Weakness)


def test_the_detect_doc_names_the_live_labels():
    text = (ROOT / "docs/detect.md").read_text(encoding="utf-8")
    table = text[text.index("| label | rule |"):]
    table = table[: table.index("\n\n")]
    assert tuple(re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)) == labels()


def test_lower_bounds_in_the_docs_hold():
    """Claims of the form "200+ questions": the code must have at least that many."""
    (stated,) = claims("docs/evals.md", r"\| (\d+)\+ questions about")
    assert eval_data()["questions"] >= stated


def test_the_readme_names_the_live_labels():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"one\s+of\s+\w+\s+labels:\s+((?:`\w+`(?:,\s+|\.))+)", text)
    assert match, "README.md: the list of labels was reworded; update tests/test_docs_counts.py"
    assert tuple(re.findall(r"`(\w+)`", match.group(1))) == labels()
