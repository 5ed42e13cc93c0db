"""Forks: a new condition from a checkpoint of a parent run, at a point named by what the parent did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from hackgym.rundir import RunDir  # noqa: E402
from hackgym.train.fork import FORK, MODEL, ForkError, prepare, read, target_step  # noqa: E402

HACKGYM = str(Path(sys.executable).parent / "hackgym")


def _parent(path: Path, hacks: list[int], checkpoints: list[int]) -> Path:
    """A run directory whose metrics have `hacks` successful hacks of 32 per step, and empty checkpoints."""
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(yaml.safe_dump({"onset": {"threshold": 0.1, "consecutive": 2}}))
    (path / "metrics.jsonl").write_text("".join(
        json.dumps({"step": s, "rates": {"successful_hack": {"k": k, "n": 32, "rate": k / 32}}}) + "\n"
        for s, k in enumerate(hacks, start=1)))
    for step in checkpoints:
        folder = path / "checkpoints" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(f"weights at {step}".encode())
        (folder / "optimizer.pt").write_bytes(b"adam")
        (folder / "COMPLETE").write_text("")
    return path


def test_fork_points_are_named_by_what_the_parent_did(tmp_path):
    run = RunDir(_parent(tmp_path / "p", [0, 1, 5, 6, 20, 30, 31], []))  # above 10%: steps 3 on; 50%: step 5
    assert target_step(run, "onset") == 3 and target_step(run, "onset+2") == 5
    assert target_step(run, "hack_rate:0.5") == 5 and target_step(run, "hack_rate:0.5+1") == 6
    assert target_step(run, "3") == 3
    with pytest.raises(ForkError, match="never reached 0.99"):
        target_step(run, "hack_rate:0.99+1")
    with pytest.raises(ForkError, match="use onset"):
        target_step(run, "after lunch")
    calm = RunDir(_parent(tmp_path / "calm", [0, 0, 0], []))
    with pytest.raises(ForkError, match="no hack onset"):
        target_step(calm, "onset+5")


def test_prepare_takes_the_newest_checkpoint_at_or_before_the_point(tmp_path):
    parent = _parent(tmp_path / "p", [0, 1, 5, 6, 20, 30, 31], [2, 4, 6])
    point = prepare(parent, "onset+2", tmp_path / "fork")  # onset 3, +2 = 5: checkpoint-4
    assert (point.target_step, point.step, point.lora_merged) == (5, 4, False)
    assert (tmp_path / "fork" / MODEL / "model.safetensors").read_bytes() == b"weights at 4"
    assert not (tmp_path / "fork" / MODEL / "optimizer.pt").exists()  # the fork's optimisation is its own
    assert read(tmp_path / "fork") == point and read(parent) is None
    with pytest.raises(ForkError, match="already holds"):
        prepare(parent, "onset+2", tmp_path / "fork")
    with pytest.raises(ForkError, match=r"no complete checkpoint at or before step 1 \(kept: 2, 4, 6\)"):
        prepare(parent, "1", tmp_path / "early")


def test_train_fork_starts_from_the_parent_checkpoint_and_records_it(tmp_path):
    """A tiny parent run, then `hackgym train --fork` at its step 2: the fork's starting weights are the
    parent's checkpoint-2 weights, its config points at them, and fork.json names the parent."""
    from safetensors.torch import load_file

    from hackgym.train.tiny import build_tiny_model

    model = build_tiny_model("llama", tmp_path / "tiny")
    config = {"name": "t", "seed": 3, "steps": 2, "save_every": 1, "keep_checkpoints": 2, "sandbox": "process",
              "model": {"path": str(model)}, "env": {"problems": "basic", "limit": 4, "prompt_format": "text"},
              "grpo": {"prompts_per_step": 2, "num_generations": 2, "max_completion_length": 8,
                       "learning_rate": 1e-2}, "backend": {"torch_threads": 1}}
    (tmp_path / "parent.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "child.yaml").write_text(yaml.safe_dump({**config, "steps": 1, "env": {**config["env"],
                                                                                       "grader": "hardened"}}))
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    parent, child = tmp_path / "runs" / "parent", tmp_path / "runs" / "child"
    for args in (["train", str(tmp_path / "parent.yaml"), "--out", str(parent)],
                 ["train", str(tmp_path / "child.yaml"), "--out", str(child), "--fork", str(parent), "--at", "2"]):
        res = subprocess.run([HACKGYM, *args], capture_output=True, text=True, env=env, timeout=600)
        assert res.returncode == 0, res.stderr[-2000:]
    point = read(child)
    assert point is not None and point.step == 2 and point.parent == str(parent.resolve())
    at_fork = load_file(str(child / MODEL / "model.safetensors"))
    in_parent = load_file(str(parent / "checkpoints" / "checkpoint-2" / "model.safetensors"))
    assert at_fork.keys() == in_parent.keys() and all((at_fork[k] == in_parent[k]).all() for k in at_fork)
    run = RunDir(child)
    assert run.config_dict()["model"]["path"] == str((child / MODEL).resolve())
    assert [m["step"] for m in run.metrics()] == [1] and (child / FORK).is_file()
    res = subprocess.run([HACKGYM, "train", str(tmp_path / "child.yaml"), "--fork", str(parent)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode != 0 and "go together" in res.stderr


def test_a_lora_parent_is_merged_at_the_fork(tmp_path):
    """The fork of a LoRA run computes what the parent's base with its adapter computed."""
    import torch
    from transformers import AutoModelForCausalLM

    from hackgym.train.tiny import build_tiny_model

    base = build_tiny_model("llama", tmp_path / "tiny")
    parent = _parent(tmp_path / "p", [0, 0], [])
    peft = _trained_adapter(base, parent / "checkpoints" / "checkpoint-2", seed=0)
    point = prepare(parent, "2", tmp_path / "fork")
    assert point.lora_merged and not (tmp_path / "fork" / MODEL / "adapter_config.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "fork" / MODEL)
    ids = torch.tensor([[1, 5, 9, 2, 7]])
    with torch.no_grad():
        expected, got = peft(ids).logits, merged(ids).logits
        plain = AutoModelForCausalLM.from_pretrained(base)(ids).logits
    assert torch.allclose(expected, got, atol=1e-4) and not torch.allclose(plain, got, atol=1e-3)


def test_a_lora_checkpoint_as_the_next_stage_s_model_is_loaded_merged(tmp_path):
    """model.path naming a LoRA run's checkpoint (SFT -> RL): the next stage gets base + adapter, merged."""
    import torch

    from hackgym.train import model as models
    from hackgym.train.config import ModelConfig
    from hackgym.train.tiny import build_tiny_model

    base = build_tiny_model("llama", tmp_path / "tiny")
    peft = _trained_adapter(base, tmp_path / "sft-run" / "checkpoints" / "checkpoint-4", seed=1)
    (tmp_path / "sft-run" / "config.yaml").write_text("name: sft\n")
    loaded, _ = models.load(ModelConfig(path=str(tmp_path / "sft-run")), tmp_path / "cache")
    assert not hasattr(loaded, "peft_config")  # a plain model: the next stage adds its own adapter
    ids = torch.tensor([[1, 5, 9, 2, 7]])
    with torch.no_grad():
        assert torch.allclose(peft(ids).logits, loaded(ids).logits, atol=1e-4)


def _trained_adapter(base: Path, folder: Path, seed: int):
    """A LoRA adapter on `base` whose B matrices are no longer zero (as after training), saved with the
    tokenizer into `folder`, as a checkpoint holds it; returns the live PEFT model to compare with."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    peft = get_peft_model(AutoModelForCausalLM.from_pretrained(base), LoraConfig(r=4, lora_alpha=8,
                                                                                 target_modules="all-linear"))
    with torch.no_grad():
        for name, weight in peft.named_parameters():
            if "lora_B" in name:
                weight.normal_(0, 0.5)
    peft.save_pretrained(folder)
    AutoTokenizer.from_pretrained(base).save_pretrained(folder)
    (folder / "COMPLETE").write_text("")
    return peft
