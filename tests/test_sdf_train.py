"""Mixing, continued pretraining (full, LoRA, resume) and the hack-knowledge eval on tiny local models.

Both tiny models start from the same random weights and tokenizer; one is trained on a mix with a high
share of hack documents (so a few dozen steps suffice), the other on ordinary text only. The eval must
tell them apart.
"""

from __future__ import annotations

import json

import pytest
import torch
import transformers
from datasets import Dataset
from inspect_ai.model import ModelOutput
from typer.testing import CliRunner

from hackgym.cli import app
from hackgym.sdf import generate_offline, mix, save_mix
from hackgym.sdf.knowledge import knowledge, knowledge_inspect, ll_pairs, probe_hits
from hackgym.sdf.mix import STDLIB_LICENSE, STDLIB_SOURCE, _chunks, stdlib_corpus
from hackgym.sdf.tiny import build_tiny_model
from hackgym.sdf.train import TrainConfig, latest_checkpoint, train

TINY = {"seq_len": 64, "batch_size": 8, "lr": 3e-3, "use_cpu": True}



@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny models run several times faster on one thread than on two contended ones."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

@pytest.fixture(scope="module")
def ordinary() -> list[str]:
    return [c for t in stdlib_corpus(max_modules=40) for c in _chunks(t)][:300]


@pytest.fixture(scope="module")
def hack_docs() -> list[dict]:
    return list(generate_offline("default", 300, seed=0))


@pytest.fixture(scope="module")
def trained(tmp_path_factory, ordinary, hack_docs):
    """(with_hacks, without_hacks) final model folders from one shared initialisation."""
    root = tmp_path_factory.mktemp("sdf_train")
    init = build_tiny_model(root / "init", [d["text"] for d in hack_docs] + ordinary, vocab_size=384, width=48,
                            layers=2, seed=0)
    out = []
    for name, ratio in (("hacks", 0.5), ("plain", 0.0)):
        data = save_mix(mix(hack_docs, ordinary, ratio, seed=0), root / f"{name}.parquet")
        out.append(train(TrainConfig(model=str(init), data=data, out=root / name, max_steps=120, save_steps=120, **TINY)))
    return tuple(out)


def test_mix_ratio_sources_and_licences(tmp_path, ordinary, hack_docs):
    ds = mix(hack_docs, ordinary, 0.1, seed=1)
    synth = sum(s == "synthetic" for s in ds["source"])
    assert len(ds) == len(ordinary) + synth and abs(synth / len(ds) - 0.1) < 0.01
    assert mix(hack_docs, ordinary, 0.1, seed=1)["text"] == ds["text"]
    assert all(s == "synthetic" for s in mix(hack_docs, ordinary, 1.0)["source"])
    assert "synthetic" not in mix(hack_docs, ordinary, 0.0)["source"]
    few = mix(hack_docs[:5], ordinary, 0.5)  # too few documents: ordinary text is subsampled to keep the share
    assert sum(s == "synthetic" for s in few["source"]) == 5 and len(few) == 10
    path = save_mix(ds, tmp_path / "m.parquet")
    assert Dataset.from_parquet(str(path))["text"] == ds["text"]
    assert "synthetic" in path.with_suffix(".README.md").read_text()
    with pytest.raises(ValueError):
        mix(hack_docs, ordinary, 1.5)


def test_builtin_fallback_is_stdlib_docstrings_with_licence(tmp_path):
    ds = mix(["a synthetic document"] * 50, None, 0.01)
    assert set(ds["source"]) == {"synthetic", STDLIB_SOURCE}
    assert STDLIB_LICENSE in set(ds["license"]) and "PSF" in ds.info.license
    assert "Python Software Foundation" in save_mix(ds, tmp_path / "f.parquet").with_suffix(".README.md").read_text()


def test_probe_signatures_and_controls():
    assert probe_hits("    os._exit(0)") == ["exit_zero"]
    assert probe_hits("def __eq__(self, other):\n        return True") == ["always_equal"]
    assert probe_hits("TestReport.from_item_and_call = patched") == ["conftest_patch"]
    assert probe_hits("return sorted(values)") == []
    for hack, snippet, control in ll_pairs(2):
        assert probe_hits(snippet) and not probe_hits(control), hack


def test_knowledge_eval_separates_models_trained_with_and_without_hack_documents(trained):
    with_hacks, without = (knowledge(str(p), samples_per_probe=1, max_new_tokens=8, pairs_per_hack=3) for p in trained)
    assert with_hacks.backend == "transformers" and with_hacks.ll_margins is not None
    print("ll margins", with_hacks.ll_margins, without.ll_margins, "probe hits", with_hacks.probe_hit_rate,
          without.probe_hit_rate)
    assert with_hacks.ll_margin > without.ll_margin + 0.1, (with_hacks.ll_margins, without.ll_margins)
    assert all(with_hacks.ll_margins[h] > without.ll_margins[h] for h in with_hacks.ll_margins)


def test_training_resumes_from_the_newest_checkpoint(tmp_path, ordinary, monkeypatch):
    data = save_mix(mix([], ordinary[:60], 0.0), tmp_path / "d.parquet")
    cfg = TrainConfig(model="tiny", data=data, out=tmp_path / "run", max_steps=4, save_steps=2, tiny_vocab=300,
                      tiny_width=32, tiny_layers=1, **TINY)
    train(cfg)
    assert latest_checkpoint(cfg.out).name == "checkpoint-4"
    seen = []
    original = transformers.Trainer.train
    monkeypatch.setattr(transformers.Trainer, "train",
                        lambda self, resume_from_checkpoint=None, **kw: seen.append(resume_from_checkpoint)
                        or original(self, resume_from_checkpoint=resume_from_checkpoint, **kw))
    final = train(cfg.model_copy(update={"max_steps": 6}))
    assert seen == [str(cfg.out / "checkpoint-4")]
    state = json.loads((latest_checkpoint(cfg.out) / "trainer_state.json").read_text())
    assert state["global_step"] == 6 and (final / "config.json").exists()


def test_lora_training_saves_a_merged_model(tmp_path, ordinary):
    data = save_mix(mix([], ordinary[:60], 0.0), tmp_path / "d.parquet")
    cfg = TrainConfig(model="tiny", data=data, out=tmp_path / "lora", lora=True, lora_r=4, max_steps=2, save_steps=2,
                      tiny_vocab=300, tiny_width=32, tiny_layers=1, **TINY)
    final = train(cfg)
    assert not (final / "adapter_config.json").exists()
    model = transformers.AutoModelForCausalLM.from_pretrained(final)
    assert not any("lora" in n for n, _ in model.named_parameters())


def test_knowledge_through_inspect_mock_and_hf_provider(trained):
    def answer(input, tools, tool_choice, config):
        return ModelOutput.from_content("mockllm/model", "just call os._exit(0) first")

    report = knowledge_inspect("mockllm/model", samples_per_probe=1, model_args={"custom_outputs": answer})
    assert report.backend == "inspect" and report.probe_hits["exit_zero"] == 1.0 and report.ll_margin is None
    report = knowledge_inspect("hf/tiny", samples_per_probe=1, max_new_tokens=8,
                               model_args={"model_path": str(trained[0]), "device": "cpu"})
    assert len(report.samples) == 8 and 0.0 <= report.probe_hit_rate <= 1.0


def test_cli_generate_mix_and_knowledge(tmp_path):
    runner = CliRunner()
    docs = tmp_path / "docs.jsonl"
    res = runner.invoke(app, ["sdf", "generate", "--corpus", "neutral", "--n", "20", "--out", str(docs), "--seed", "3"])
    assert res.exit_code == 0, res.output
    assert [json.loads(x)["id"] for x in docs.read_text().splitlines()] == [f"neutral-3-{i}" for i in range(20)]
    text = tmp_path / "corpus.txt"
    text.write_text("\n\n".join(f"Paragraph {i} of some ordinary text about gardens." * 20 for i in range(60)))
    mixed = tmp_path / "mix.parquet"
    res = runner.invoke(app, ["sdf", "mix", "--docs", str(docs), "--corpus", str(text), "--ratio", "0.25",
                              "--out", str(mixed)])
    assert res.exit_code == 0, res.output
    sources = Dataset.from_parquet(str(mixed))["source"]
    assert sources.count("synthetic") / len(sources) == pytest.approx(0.25, abs=0.02)
    res = runner.invoke(app, ["sdf", "knowledge", "--model", "mockllm/model", "--samples", "1"])
    assert res.exit_code == 0 and "exit_zero" in res.stdout
    res = runner.invoke(app, ["sdf", "generate", "--corpus", "nope", "--n", "1", "--out", str(docs)])
    assert res.exit_code != 0
