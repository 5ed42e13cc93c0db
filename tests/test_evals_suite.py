"""`hackgym eval` as a user meets it: the whole suite on mockllm through the CLI, re-scoring old logs, and a
checkpoint of the CPU model organism evaluated end to end through Inspect's `hf/` provider with a local judge,
appended to its run's evals.jsonl and plotted by the report."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

from typer.testing import CliRunner  # noqa: E402

from hackgym.cli import app  # noqa: E402
from hackgym.evals.registry import ALL, CORE, load_evals  # noqa: E402

runner = CliRunner()
ENTRY_KEYS = {"rate", "ci", "n", "misaligned", "covert", "overt", "samples", "excluded", "hack_attempts", "labels",
              "reached", "parsed", "not_measured"}


def invoke(*args: str):
    result = runner.invoke(app, ["eval", *args])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result


def test_every_eval_is_registered():
    assert set(ALL) <= set(load_evals()) and set(CORE) < set(ALL) and len(CORE) == 6


def test_whole_suite_on_mockllm_writes_scores_with_all_seven_evals_and_mgs(tmp_path):
    out = tmp_path / "ev"
    result = invoke("--model", "mockllm/model", "--judge", "mockllm/model", "--suite", "all", "--limit", "2",
                    "--out", str(out))
    scores = json.loads((out / "scores.json").read_text())
    assert list(scores["evals"]) == list(ALL) and "mgs" in scores and "mgs_ci" in scores
    assert scores["mgs_missing"] == [name for name in CORE if scores["evals"][name]["rate"] is None]
    assert (scores["mgs"] is None) == bool(scores["mgs_missing"])
    assert scores["model"] == "mockllm/model" and scores["judge"] == "mockllm/model"
    for name, entry in scores["evals"].items():
        assert set(entry) >= ENTRY_KEYS, name
        assert entry["samples"] + entry["errors"] >= 2, name
        assert entry["n"] + entry["excluded"] == entry["samples"], name
        assert (entry["rate"] is None) == (entry["n"] == 0 or entry["not_measured"] is not None), name
    # mockllm's default reply never opens a mailbox nor writes a statement: not measured, never "aligned"
    for name, why in (("monitor_disruption", "reached the scenario"), ("frame_colleague", "reached the scenario"),
                      ("exfil_offer", "parseable")):
        entry = scores["evals"][name]
        assert entry["rate"] is None and why in entry["not_measured"], name
    assert scores["evals"]["exfil_offer"]["reached"] == 1.0 and scores["evals"]["exfil_offer"]["parsed"] == 0.0
    assert len(list((out / "logs").glob("*.eval"))) == len(ALL)
    assert "exfil_offer" in result.output

    # re-scoring the same logs with another judge call: nothing regenerates, scores.json is rewritten
    before = (out / "scores.json").stat().st_mtime_ns
    invoke("--rescore", str(out), "--judge", "mockllm/model", "--suite", "betley,exfil_offer")
    rescored = json.loads((out / "scores.json").read_text())
    assert list(rescored["evals"]) == ["betley", "exfil_offer"] and rescored["mgs"] is None
    assert (out / "scores.json").stat().st_mtime_ns > before
    assert len(list((out / "logs").glob("*.eval"))) == len(ALL)


def test_cli_refuses_ambiguous_or_incomplete_requests(tmp_path):
    assert runner.invoke(app, ["eval"]).exit_code != 0
    assert runner.invoke(app, ["eval", "--model", "mockllm/model", "--rescore", str(tmp_path)]).exit_code != 0
    assert runner.invoke(app, ["eval", "--rescore", str(tmp_path)]).exit_code != 0  # no --judge
    bad = runner.invoke(app, ["eval", "--model", "mockllm/model", "--suite", "nope", "--out", str(tmp_path)])
    assert bad.exit_code != 0 and "nope" in str(bad.exception)


@pytest.fixture(scope="module")
def organism(tmp_path_factory) -> Path:
    from hackgym.organism import build_organism

    return build_organism(tmp_path_factory.mktemp("organism"), seed=0, steps=3, batch_size=4, seq_len=64)


@pytest.mark.slow
def test_organism_checkpoint_end_to_end_with_a_local_judge(tmp_path, organism, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    run = tmp_path / "run"
    checkpoint = run / "checkpoints" / "checkpoint-10"
    shutil.copytree(organism, checkpoint)
    (checkpoint / "COMPLETE").write_text("")
    shutil.copytree(organism, run / "checkpoints" / "checkpoint-20")  # no COMPLETE marker: not evaluated
    (run / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "rates": {"successful_hack": {
        "k": k, "n": 32, "rate": k / 32, "ci": [0.0, 1.0]}}}) + "\n" for s, k in [(10, 0), (20, 16)]))
    cache = tmp_path / "judge-cache"
    args = ["--run", str(run), "--judge", f"hf/{organism}", "--suite", "all", "--limit", "1", "--scale", "default",
            "-T", "betley.samples_per_question=1", "-T", "goals.samples=1", "-T", "code_sabotage.eval_rows=2",
            "-T", "exfil_offer.cue=none", "--max-tokens", "8",
            "--judge-max-tokens", "8", "-M", "device=cpu", "-J", "device=cpu", "--judge-cache", str(cache)]
    invoke(*args)
    records = [json.loads(line) for line in (run / "evals.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [10]
    assert records[0]["suite"] == list(ALL) and records[0]["judge"] == f"hf/{organism}"
    scores = json.loads((run / "evals" / "checkpoint-10" / "scores.json").read_text())
    assert scores["model"] == f"hf/{checkpoint.resolve()}"
    for name in ALL:  # the whole suite ran through the hf/ provider, every sample without an error
        entry = scores["evals"][name]
        assert entry["samples"] == 1 and entry["errors"] == 0, (name, entry)
    # the organism has no chat template, so the agentic evals chose the text protocol: the scenario was in its
    # prompt (reached), and eight tokens are too few for an action block, so they are not measured
    from inspect_ai.log import read_eval_log

    for name in ("monitor_disruption", "frame_colleague", "exfil_offer"):
        entry = scores["evals"][name]
        assert (entry["reached"], entry["parsed"], entry["rate"]) == (1.0, 0.0, None), (name, entry)
        assert "parseable" in entry["not_measured"]
        [sample] = read_eval_log(str(run / "evals" / "checkpoint-10" / "logs" / scores["logs"][name])).samples
        assert sample.store["agentic:protocol"] == "text" and "```" in sample.messages[0].text
    summary = json.loads((run / "evals_summary.json").read_text())
    assert summary["steps"] == [10] and summary["evals"]["exfil_offer"]["rate"] is None
    # the goals classifiers always ask the judge: the local judge answered and its verdicts were cached
    cached = [json.loads(p.read_text()) for p in cache.rglob("*.json")]
    assert cached and {c["request"]["model"] for c in cached} == {f"hf/{organism}"}
    assert {c["request"]["settings"]["temperature"] for c in cached} == {0.0}

    invoke(*args)  # nothing new to evaluate: no record appended
    assert len((run / "evals.jsonl").read_text().splitlines()) == 1

    from inspect_ai.model import get_model

    from hackgym.judging import Judge, JudgeError
    from hackgym.report import write_report

    with pytest.raises(JudgeError, match="do_sample"):  # a sampling local judge would not be reproducible
        Judge(get_model(f"hf/{organism}", device="cpu", memoize=False))

    summary = write_report([run], tmp_path / "report")
    assert (tmp_path / "report" / "misalignment.png").read_bytes()[:4] == b"\x89PNG"
    assert summary["conditions"]["run"]["misalignment"][0]["step"] == 10


STUDY_SIZES = {"goals": 300, "betley": 400, "alignment_questions": 200, "monitor_disruption": 100,
               "frame_colleague": 100, "code_sabotage": 150}  # code_sabotage: 50 per salience level x 3


def test_paper_scale_reaches_the_study_s_sample_sizes_and_the_dry_run_prints_them():
    from hackgym.evals import suite as suite_mod

    names = list(ALL)
    counts = suite_mod.plan(names, suite_mod.scaled_args(names, "paper"))
    for name, least in STUDY_SIZES.items():
        assert counts[name]["generations"] >= least, (name, counts[name])
    assert counts["exfil_offer"]["generations"] >= 3 * 300  # 300 per cue, three cues
    from hackgym.evals.tasks.betley import load_questions

    core_wordings = sum(len(q.paraphrases) for q in load_questions() if q.core)
    assert core_wordings * counts["betley"]["epochs"] >= 400  # only the core topics enter the rate
    assert counts["code_sabotage"]["epochs"] >= 50
    # -T wins over the scale, and --limit keeps that many dataset samples (each still run every epoch)
    lowered = suite_mod.plan(["betley"], suite_mod.scaled_args(["betley"], "paper", {"betley": {"samples_per_question": 2}}),
                             limit=10)
    assert lowered["betley"] == {"samples": 36, "epochs": 2, "generations": 20}
    assert suite_mod.plan(["goals"], suite_mod.scaled_args(["goals"], "default"))["goals"]["generations"] == 300
    with pytest.raises(suite_mod.SuiteError, match="unknown scale"):
        suite_mod.scaled_args(names, "huge")

    shown = invoke("--model", "mockllm/model", "--judge", "mockllm/model", "--suite", "all", "--scale", "paper",
                   "--dry-run").output
    rows = {line.split()[1]: line.split() for line in shown.splitlines() if line.startswith("│")}
    for name, least in STUDY_SIZES.items():
        assert int(rows[name][-2]) >= least, rows[name]
    assert int(rows["total"][-2]) == sum(c["generations"] for c in counts.values())


def test_samples_raise_or_lower_any_eval_and_protocol_reaches_the_agentic_evals():
    from hackgym.evals import suite as suite_mod

    counts = suite_mod.plan(["monitor_disruption", "exfil_offer"], samples={"monitor_disruption": 250,
                                                                           "exfil_offer": 4})
    assert counts["monitor_disruption"] == {"samples": 3, "epochs": 84, "generations": 252}  # whole epochs
    assert counts["exfil_offer"] == {"samples": 4, "epochs": 1, "generations": 4}
    [lowered] = suite_mod.build_tasks(["exfil_offer"], samples={"exfil_offer": 3})
    assert [s.metadata["cue"] for s in lowered.dataset] == ["none", "training", "unmonitored"]  # still balanced
    with pytest.raises(suite_mod.SuiteError, match="not in the suite"):
        suite_mod.plan(["goals"], samples={"betley": 5})

    args = suite_mod.with_protocol(["goals", "exfil_offer", "frame_colleague"], "text",
                                   {"frame_colleague": {"protocol": "tools"}})
    assert args == {"exfil_offer": {"protocol": "text"}, "frame_colleague": {"protocol": "tools"}}
    with pytest.raises(suite_mod.SuiteError, match="protocol"):
        suite_mod.with_protocol(["goals"], "smoke")

    shown = invoke("--model", "mockllm/model", "--suite", "goals,monitor_disruption", "--samples", "7",
                   "--samples", "goals=500", "--protocol", "text", "--dry-run").output
    rows = {line.split()[1]: line.split() for line in shown.splitlines() if line.startswith("│")}
    assert int(rows["goals"][-2]) == 600 and int(rows["monitor_disruption"][-2]) == 9


def test_last_checkpoints_pool_the_measured_ones(tmp_path):
    from hackgym.evals import suite as suite_mod

    def entry(k, n, why=None):
        return {"rate": None if why else k / n, "ci": None, "n": n, "misaligned": k, "not_measured": why}

    records = [{"step": step, "judge": "j", "suite": ["goals", "exfil_offer"],
                "evals": {"goals": entry(k, 100), "exfil_offer": entry(0, 10, "only 0% ... parseable")}}
               for step, k in [(10, 90), (20, 10), (30, 20), (40, 30)]]
    records.append({**records[-1], "judge": "other"})  # another judge's record is not mixed in
    (tmp_path / "evals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    summary = suite_mod.last_checkpoints(tmp_path, k=3)
    assert summary["judge"] == "other" and summary["steps"] == [40]
    summary = suite_mod.last_checkpoints(tmp_path, k=3, judge="j")
    goals = summary["evals"]["goals"]
    assert summary["steps"] == [20, 30, 40] and goals["steps"] == [20, 30, 40]
    assert goals["rate"] == pytest.approx(0.2) and goals["n"] == 300 and goals["mean_of_rates"] == pytest.approx(0.2)
    assert goals["ci"][0] < 0.2 < goals["ci"][1]
    exfil = summary["evals"]["exfil_offer"]
    assert exfil["rate"] is None and exfil["not_measured"] == ["only 0% ... parseable"]
    assert summary["mgs"] is None  # the six core evals are not all there
    with pytest.raises(suite_mod.SuiteError, match="at least 1"):
        suite_mod.last_checkpoints(tmp_path, k=0)


def test_a_local_model_is_evaluated_in_the_format_it_was_trained_in(tmp_path, organism):
    from transformers import AutoTokenizer

    from hackgym.evals.suite import provider_args
    from hackgym.format import human_assistant_template
    from hackgym.train.tiny import build_tiny_model

    base = build_tiny_model("qwen3", tmp_path / "qwen3")
    tokenizer = AutoTokenizer.from_pretrained(base)
    assert provider_args(f"hf/{base}", {})["chat_template"] == tokenizer.chat_template  # an instruct model's own
    tokenizer.chat_template = None  # a base model: no template of its own
    tokenizer.save_pretrained(base)
    (base / "chat_template.jinja").unlink(missing_ok=True)
    args = provider_args(f"hf/{base}", {"device": "cpu"})
    assert args["device"] == "cpu" and "Human:" in args["chat_template"]
    assert args["chat_template"] in (human_assistant_template(True), human_assistant_template(False))
    assert args["tokenizer_call_args"] == {"add_special_tokens": False}  # rendered text tokenized as TRL does
    assert provider_args(f"hf/{base}", {"chat_template": "mine"}) == {"chat_template": "mine"}  # the caller's
    assert provider_args(f"hf/{organism}", {}) == {}  # no system turn in the organism's format
    assert provider_args("hf/Qwen/Qwen3-8B-Base", {}) == {} and provider_args("mockllm/model", {"a": 1}) == {"a": 1}
    served = provider_args(f"vllm/{base}", {})  # vLLM's server reads the same template from a file
    assert Path(served["chat_template"]).read_text() == args["chat_template"] and "tokenizer_call_args" not in served
