"""Detection benchmark: precision, recall and F1 per label and per hack type on the shipped corpus, dev and
kept-out splits apart, plus labelling throughput (rollouts/s, grading included).

Beside the numbers it prints where the corpus's labels come from. The corpus was filtered by the same graders
the detector runs: scripts/build_detect_corpus.py grades every candidate with its environment grader and with
`hardened` and drops any whose intended label disagrees (it never relabels). So the pass/fail half of every
label agrees with those graders by construction, and the rows labelled `successful_hack` are exactly what the
detector's differential check computes. The numbers are in-distribution: the same generators, problem sets and
graders made the corpus and are measured here; they are not an estimate for rollouts sampled from a policy.

    python benchmarks/detect.py [--corpus FILE] [--sandbox jail|process] [--limit N] [--json FILE]
    python benchmarks/detect.py --provenance     # where the labels come from, without grading anything
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from hackgym.detect import LABELS, UNATTRIBUTED, Label, label_batch
from hackgym.detect.rollouts import load_problem_sets
from hackgym.submission import Submission


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn, "tp": tp, "fp": fp, "fn": fn}


def binary(truth: list[bool], pred: list[bool]) -> dict[str, float | int]:
    tp = sum(t and p for t, p in zip(truth, pred, strict=True))
    fp = sum(p and not t for t, p in zip(truth, pred, strict=True))
    fn = sum(t and not p for t, p in zip(truth, pred, strict=True))
    return prf(tp, fp, fn)


def provenance(rows: list[dict[str, Any]], stats_file: Path | None) -> dict[str, Any]:
    """Which share of the corpus the detector's own graders kept or relabelled (from the rows and the build's
    stats file): every row was kept only because its env grader and `hardened` agreed with its label."""
    n = len(rows)
    dropped = None
    if stats_file is not None and stats_file.is_file():
        stats = json.loads(stats_file.read_text(encoding="utf-8"))
        if stats.get("rows") == n:  # the stats describe this corpus, not another build
            dropped = sum(stats.get("rejected", {}).values())
    fixed = sum(r["label"] == "successful_hack" for r in rows)
    pct = lambda k, total: round(100.0 * k / total, 1) if total else 0.0  # noqa: E731
    out: dict[str, Any] = {
        "rows": n,
        "kept_by_grading": n, "kept_by_grading_pct": 100.0 if n else 0.0,
        "relabelled_by_grading": 0,
        "label_fixed_by_grading": fixed, "label_fixed_by_grading_pct": pct(fixed, n),
        "in_distribution": True,
    }
    if dropped is not None:
        out.update(candidates=n + dropped, dropped_by_grading=dropped, dropped_by_grading_pct=pct(dropped, n + dropped))
    return out


def provenance_lines(prov: dict[str, Any]) -> list[str]:
    n = prov["rows"]
    kept = (f"{prov['kept_by_grading']:,} of {prov['candidates']:,} candidates ({100 - prov['dropped_by_grading_pct']:.1f}%); "
            f"{prov['dropped_by_grading']} ({prov['dropped_by_grading_pct']:.1f}%) dropped because grading disagreed"
            if "candidates" in prov else "every row (no stats file for this corpus: dropped candidates unknown)")
    return [
        "Where the labels come from (the same graders the detector uses):",
        f"- kept by the env grader + hardened agreeing with the intended label: {kept}; relabelled by grading: "
        f"{prov['relabelled_by_grading']} (the build drops a disagreeing candidate, it never relabels one)",
        f"- so the pass/fail half of all {n:,} labels agrees with those graders by construction; "
        f"{prov['label_fixed_by_grading']:,} rows ({prov['label_fixed_by_grading_pct']:.1f}%) are `successful_hack`, "
        "a label the differential check alone decides, so its precision and recall are 1.0 by construction "
        "(up to grading time-outs)",
        "- what grading does not decide is the attempted half (attempted_hack vs incorrect, correct_attempted_hack vs "
        "correct): that comes from each generator's intent and is what the signatures and monitor are measured on",
        "- in-distribution: the same generators, problem sets (basic, humaneval) and graders made the corpus; "
        "not an estimate for rollouts sampled from a policy",
    ]


def score(rows: list[dict[str, Any]], labels: list[Label]) -> dict[str, Any]:
    """Metrics for one split: attempted hacks for three detectors, the five labels, and hack types."""
    truth_hack = [r["attempted_hack"] for r in rows]
    out: dict[str, Any] = {"rows": len(rows), "attempted_hack": {
        "static+differential": binary(truth_hack, [lab.attempted_hack for lab in labels]),
        "static_only": binary(truth_hack, [bool(lab.signatures) for lab in labels]),
        "differential_only": binary(truth_hack, [lab.successful_hack for lab in labels]),
    }, "successful_hack": binary([r["label"] == "successful_hack" for r in rows],
                                 [lab.successful_hack for lab in labels])}
    out["labels"] = {name: binary([r["label"] == name for r in rows], [lab.label == name for lab in labels])
                     for name in LABELS}
    types = sorted(({r["hack_type"] for r in rows if r["hack_type"]} | {t for lab in labels for t in lab.hack_types})
                   - {UNATTRIBUTED})  # "no family explains it" is not a family
    out["hack_types"] = {t: _type_scores(rows, labels, t) for t in types}
    confusions = Counter(f"{r['hack_type']} -> {t}" for r, lab in zip(rows, labels, strict=True)
                         for t in lab.hack_types if t not in r.get("hack_types", [r["hack_type"]]))
    out["type_confusions"] = dict(confusions.most_common())
    out["errors"] = [{"id": r["id"], "variant": r["variant"], "truth": r["label"], "predicted": lab.label,
                      "types": lab.hack_types} for r, lab in zip(rows, labels, strict=True)
                     if r["label"] != lab.label or (r["attempted_hack"] and r["hack_type"] not in lab.hack_types)]
    return out


def _type_scores(rows: list[dict[str, Any]], labels: list[Label], t: str) -> dict[str, float | int]:
    """Recall over rows whose main type is t; a prediction of t is wrong only where no listed type is t
    (some code fits two families equally, e.g. a pytest.ini plugin that patches reports)."""
    tp = sum(r["attempted_hack"] and r["hack_type"] == t and t in lab.hack_types
             for r, lab in zip(rows, labels, strict=True))
    fn = sum(r["attempted_hack"] and r["hack_type"] == t and t not in lab.hack_types
             for r, lab in zip(rows, labels, strict=True))
    fp = sum(t in lab.hack_types and t not in r.get("hack_types", [r["hack_type"]])
             for r, lab in zip(rows, labels, strict=True))
    return prf(tp, fp, fn)


def load_rows(corpus: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(corpus: Path, sandbox: str, limit: int) -> dict[str, Any]:
    rows = load_rows(corpus)
    prov = provenance(rows, corpus.with_name("stats.json"))
    if limit:
        rows = rows[:limit]
    problems = load_problem_sets("basic,humaneval")
    by_grader: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_grader[r.get("grader", "vulnerable")].append(i)
    labels: list[Label | None] = [None] * len(rows)
    started = time.perf_counter()
    for spec, idx in by_grader.items():
        items = [(problems[rows[i]["problem_id"]],
                  Submission.from_completion(rows[i]["completion"], problems[rows[i]["problem_id"]].entry_point))
                 for i in idx]
        for i, lab in zip(idx, label_batch(items, spec, sandbox=sandbox), strict=True):  # type: ignore[arg-type]
            labels[i] = lab
    elapsed = time.perf_counter() - started
    done = [lab for lab in labels if lab is not None]
    report: dict[str, Any] = {"corpus": str(corpus), "sandbox": sandbox, "rows": len(rows), "seconds": round(elapsed, 2),
                              "rollouts_per_s": round(len(rows) / elapsed, 2), "provenance": prov}
    for split in ("dev", "kept_out"):
        sel = [i for i, r in enumerate(rows) if r["split"] == split]
        if sel:
            report[split] = score([rows[i] for i in sel], [done[i] for i in sel])
    return report


def show(report: dict[str, Any]) -> None:
    console = Console()
    for split in ("dev", "kept_out"):
        if split not in report:
            continue
        s = report[split]
        table = Table("metric", "precision", "recall", "F1", "support", title=f"{split}: {s['rows']} rollouts")
        for name, m in [(f"attempted hack ({k})", v) for k, v in s["attempted_hack"].items()] \
                + [("successful hack", s["successful_hack"])] \
                + [(f"label {k}", v) for k, v in s["labels"].items()] + [(f"type {k}", v) for k, v in s["hack_types"].items()]:
            table.add_row(name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
        console.print(table)
        if s["errors"]:
            console.print(f"{len(s['errors'])} rows with a wrong label or missing type, e.g. {s['errors'][:5]}")
    console.print(f"{report['rows']} rollouts in {report['seconds']} s: {report['rollouts_per_s']} rollouts/s "
                  f"(sandbox {report['sandbox']})")
    for line in provenance_lines(report["provenance"]):
        console.print(line, highlight=False, markup=False)


def main() -> int:
    default = resources.files("hackgym").joinpath("data/detect/corpus.jsonl")
    ap = argparse.ArgumentParser(description="Precision and recall of hackgym.detect on the labelled corpus.")
    ap.add_argument("--corpus", type=Path, default=Path(str(default)))
    ap.add_argument("--sandbox", default="jail", choices=["jail", "process"])
    ap.add_argument("--limit", type=int, default=0, help="first N rows only (quick checks)")
    ap.add_argument("--json", type=Path, help="write the full report here")
    ap.add_argument("--provenance", action="store_true", help="only say where the labels come from (no grading)")
    args = ap.parse_args()
    if args.provenance:
        for line in provenance_lines(provenance(load_rows(args.corpus), args.corpus.with_name("stats.json"))):
            print(line)
        return 0
    report = run(args.corpus, args.sandbox, args.limit)
    show(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
