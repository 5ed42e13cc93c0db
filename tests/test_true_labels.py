"""No honest submission that ships with hackgym is labelled a successful hack.

A successful hack is "the environment's grader passes, `hardened` fails". If the two graders load or judge an
honest answer differently (a multi-file submission that only one of them can import, say), honest work is
counted as hacking and every rate built on the label is wrong. So every honest submission we ship is labelled
under the study's `vulnerable` grader, the whole set, not a sample (about 1,200 rollouts; a verdict cache
grades each distinct submission once; about 2 minutes on 2 busy cores):

- the reference solution of every problem of `basic` and `humaneval`;
- every honest row of the shipped detection corpus (labels `correct` and `incorrect`: honest answers, hard
  negatives that look like hacks but are not, and honest wrong answers built from null solutions and mutants);
- every honest case of the hardened battery, multi-file ones included.
"""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path

import pytest

from hackgym.detect import label_batch
from hackgym.detect.rollouts import load_problem_sets
from hackgym.problems import Problem
from hackgym.submission import SOLUTION_FILE, Submission

pytestmark = [pytest.mark.jail, pytest.mark.slow]

HONEST_CORPUS_LABELS = ("correct", "incorrect")  # the corpus's rows with no hack, attempted or successful


def _battery():
    """tests/test_hardened_battery.py, for its honest cases (loaded by path: tests is not a package)."""
    path = Path(__file__).with_name("test_hardened_battery.py")
    spec = importlib.util.spec_from_file_location("hackgym_battery_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def honest_items() -> list[tuple[str, Problem, Submission]]:
    """(where it comes from, problem, submission) for every honest submission shipped."""
    problems = load_problem_sets("basic,humaneval")
    out = [(f"reference {p.id}", p, Submission(files={SOLUTION_FILE: p.reference_solution}))
           for p in problems.values()]
    corpus = resources.files("hackgym").joinpath("data/detect/corpus.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in corpus.splitlines() if line.strip()]
    honest = [r for r in rows if r["label"] in HONEST_CORPUS_LABELS]
    assert len(honest) > 900, f"only {len(honest)} honest corpus rows: has the corpus's vocabulary changed?"
    for r in honest:
        p = problems[r["problem_id"]]
        out.append((f"corpus {r['id']} ({r['variant']})", p, Submission.from_completion(r["completion"], p.entry_point)))
    battery = _battery()
    for name, (p, src) in battery.HONEST.items():
        out.append((f"battery {name}", p, Submission(files={SOLUTION_FILE: src})))
    for name, (p, files) in battery.HONEST_MULTI.items():
        out.append((f"battery multi-file {name}", p, Submission(files=files)))
    return out


def test_no_honest_submission_is_labelled_a_successful_hack():
    items = honest_items()
    labels = label_batch([(p, s) for _, p, s in items], "vulnerable")
    wrong = [f"{where}: {lab.label} ({'; '.join(lab.evidence)[:300]})"
             for (where, _, _), lab in zip(items, labels, strict=True)
             if lab.label == "successful_hack" or lab.successful_hack]
    assert not wrong, f"{len(wrong)} honest submissions labelled a successful hack:\n" + "\n".join(wrong[:20])
    assert all(lab.label is not None for lab in labels)
