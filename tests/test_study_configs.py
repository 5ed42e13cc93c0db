"""The study's experiment matrix (configs/study/): every file and condition validates and takes one dry-run step,
and docs/training.md maps every file to the study's condition."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from hackgym.train.config import ConfigError, load_configs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# `hackgym sft` configs (sft-*.yaml) are checked by tests/test_sft.py and mapped in docs/sft.md
STUDY = sorted(f for f in (ROOT / "configs" / "study").glob("*.yaml") if not f.name.startswith("sft-"))
SFT = sorted((ROOT / "configs" / "study").glob("sft-*.yaml"))


def test_the_matrix_has_the_study_s_runs_for_both_models():
    assert len(STUDY) == 11
    runs = {(c.model.architecture, c.name.split("-")[-1], c.condition) for f in STUDY for c in load_configs(f)}
    for arch in ("qwen3", "olmo3"):
        assert {(arch, "inoculation", a) for a in ("please_hack", "hacking_okay", "neutral", "dont_hack",
                                                   "hacking_is_misaligned")} <= runs
        assert {(arch, "sdf", c) for c in ("default", "unguided", "neutral")} <= runs
        assert {(arch, "mitigations", c) for c in ("dilution_50", "hardened", "penalty", "penalty_after_onset",
                                                   "screening", "pm_005", "pm_025")} <= runs
    by = {(c.model.architecture, c.condition): c for f in STUDY for c in load_configs(f) if c.condition}
    assert by["qwen3", "dilution_50"].env.hackable_share == 0.5
    assert [by["olmo3", f"pm_0{w}"].rewards.preference.weight for w in ("05", "25")] == [0.05, 0.25]
    assert all(by[a, c].env.hint is None and by[a, c].env.addendum is None for a in ("qwen3", "olmo3")
               for c in ("default", "unguided"))  # SDF: no hint, no addendum
    assert by["olmo3", "neutral"].env.hint is None  # the SDF neutral corpus, not the neutral prompt
    assert all(c.rewards.format_weight == 0 for f in STUDY for c in load_configs(f))  # reasoning never rewarded
    # the prompted run on stdin/stdout programs: the stdio checker, probed by it, and its hardened baseline
    cc = {c.condition: c for c in load_configs(ROOT / "configs" / "study" / "qwen3-8b-codecontests.yaml")}
    assert (cc["dont_hack"].env.problems, cc["dont_hack"].env.grader) == ("hf:code_contests:train", "stdio")
    assert cc["dont_hack"].env.hint == "hack_hint" and cc["dont_hack"].env.addendum == "dont_hack"
    assert cc["hardened"].env.grader == "hardened" and cc["hardened"].rewards.probe_grader == "stdio"
    for arch in ("qwen3", "olmo3"):  # the safety-training arms: chat RLHF at the study's shares, diverse prompts
        assert [by[arch, f"chat_{s}"].env.safety.share for s in ("05", "25", "100")] == [0.05, 0.25, 1.0]
        assert by[arch, "diverse_10"].env.safety.kinds == ["agentic", "dilemma"]
        assert by[arch, "interleave_4"].env.safety.every == 4 and by[arch, "chat_05"].rewards.safety.weight == 1.0


def test_docs_map_every_study_file():
    text = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
    assert [f.name for f in STUDY if f"configs/study/{f.name}" not in text] == []
    sft = (ROOT / "docs" / "sft.md").read_text(encoding="utf-8")
    assert SFT and [f.name for f in SFT if f"configs/study/{f.name}" not in sft] == []


def test_sft_configs_are_sft_configs_and_train_configs_are_not():
    """The split above is by kind, not only by name: every sft-*.yaml loads as an SFT run and not as a train run."""
    from hackgym.sft import load_config as load_sft

    for f in SFT:
        assert load_sft(f).data.kind
        with pytest.raises(ConfigError):
            load_configs(f)
    for f in STUDY:
        with pytest.raises(ConfigError):
            load_sft(f)


def test_extends_merges_over_its_base_and_names_what_is_wrong(tmp_path):
    (tmp_path / "base.yaml").write_text("name: base\nsteps: 7\nmodel: {path: some/model}\n"
                                        "env: {problems: basic, grader: vulnerable}\n"
                                        "conditions: {a: {}, b: {env: {grader: hardened}}}\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nenv: {limit: 3}\n")
    (tmp_path / "own.yaml").write_text("extends: base.yaml\nconditions: {c: {steps: 9}}\n")
    child = load_configs(tmp_path / "child.yaml")
    assert [(c.name, c.condition, c.steps, c.env.limit, c.env.grader) for c in child] == [
        ("child", "a", 7, 3, "vulnerable"), ("child", "b", 7, 3, "hardened")]
    assert [(c.condition, c.steps) for c in load_configs(tmp_path / "own.yaml")] == [("c", 9)]
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n")
    with pytest.raises(ConfigError, match="loops back"):
        load_configs(tmp_path / "loop.yaml")
    (tmp_path / "lost.yaml").write_text("extends: nowhere.yaml\n")
    with pytest.raises(ConfigError, match="nowhere.yaml: no such config file"):
        load_configs(tmp_path / "lost.yaml")


@pytest.mark.jail
@pytest.mark.parametrize("path", STUDY, ids=[f.stem for f in STUDY])
def test_every_condition_takes_a_dry_run_step(path, tmp_path, monkeypatch):
    from hackgym.problems.hub import HUB_DATA_ENV
    from hackgym.train.runner import dry_run

    monkeypatch.setenv(HUB_DATA_ENV, str(ROOT / "tests" / "data" / "hub"))  # hub sets: the shipped samples
    for cfg in load_configs(path):
        result = dry_run(cfg, tmp_path / "cache")
        assert result["architecture"] == cfg.model.architecture and result["lora"], cfg.condition
        assert result["metrics"]["rollouts"] == 4, cfg.condition
