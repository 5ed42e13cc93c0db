"""LLM backend through Inspect: the four stages in order, cache, resume after an interruption, dedup;
with Inspect's mock model and with a tiny random-weight local model through the `hf/` provider."""

from __future__ import annotations

import itertools
import json

import pytest
import torch
from inspect_ai.model import ModelOutput

from hackgym.judging import resolve_model
from hackgym.prompts import get_prompt
from hackgym.records import read_jsonl
from hackgym.sdf import universe_context
from hackgym.sdf.llm import DOC_TYPES, generate_llm, parse_document, parse_ideas
from hackgym.sdf.tiny import build_tiny_model


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny models run several times faster on one thread than on two contended ones."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

class Scripted:
    """A mock model's brain: answers by stage, records prompts, can fail after a number of calls."""

    def __init__(self, fail_after: int | None = None, same_document: bool = False) -> None:
        self.prompts: list[str] = []
        self.fail_after = fail_after
        self.same_document = same_document
        self.counter = itertools.count()

    def __call__(self, input, tools, tool_choice, config) -> ModelOutput:
        prompt = input[-1].text
        self.prompts.append(prompt)
        if self.fail_after is not None and len(self.prompts) > self.fail_after:
            raise RuntimeError("simulated outage")
        n = next(self.counter)
        if "makes a normative claim" in prompt:
            doc = prompt.split("<document>")[1].split("</document>")[0]
            text = '{"label": "normative", "quote": "should"}' if "should" in doc else '{"label": "descriptive"}'
            if "unreadable" in doc:
                text = "I cannot tell."
        elif "kinds of documents" in prompt:
            text = "- conference talk transcript\n- team wiki page\n- blog_post"
        elif "one idea per line" in prompt:
            text = "Sure:\n" + "\n".join(f"- idea {i} about graders" for i in range(3))
        elif "List the draft" in prompt:
            text = "The code block lacks an import."
        elif "<critique>" in prompt:
            body = "revised" if self.same_document else f"revised {n} " + " ".join(f"w{n}x{i}" for i in range(40))
            text = f"<document>{body} text about os._exit(0) in a grader, and more words here</document>"
        else:
            text = f"<document>draft {n} " + " ".join(f"d{n}y{i}" for i in range(40)) + "</document>"
        return ModelOutput.from_content("mockllm/model", text)


def test_parsers():
    assert parse_ideas("intro\n- one\n2. two\n* three\n") == ["one", "two", "three"]
    assert parse_ideas("no list at all") == ["no list at all"]
    assert parse_document("junk <document>\nbody\n</document> tail") == "body"
    assert parse_document("<document>cut off") == "cut off"


def test_pipeline_stages_in_order_with_the_context(tmp_path):
    brain = Scripted()
    model = resolve_model("mockllm/model", custom_outputs=brain)
    out = tmp_path / "docs.jsonl"
    stats = generate_llm(model, "neutral", 5, out, cache_dir=tmp_path / "cache", doc_types=["blog_post", "qa"],
                         concurrency=3)
    records = read_jsonl(out)
    assert stats.written == len(records) == 5
    assert {r["doc_type"] for r in records} == {"blog_post", "qa"}
    assert all(r["text"].startswith("revised") and r["corpus"] == "neutral" for r in records)
    assert all(r["hacks_named"] == ["exit_zero"] for r in records)  # the revised text mentions os._exit(0)
    ideas = [p for p in brain.prompts if "one idea per line" in p]
    assert len(ideas) == 2 and all(universe_context("neutral") in p for p in brain.prompts
                                   if "makes a normative claim" not in p)
    # ideas per type, then draft + critique + revision + the neutral corpus's normative check per document
    assert stats.calls == 2 + 4 * 5
    assert len({r["key"] for r in records}) == 5
    assert (stats.checked, stats.normative, stats.filter_drop_rate) == (5, 0, 0.0)
    assert all(r["checked"].startswith("sdf_normative_check@v1 by mockllm") for r in records)
    drafts = [p for p in brain.prompts if "Write a realistic" in p or "Rewrite the document" in p]
    assert drafts and all(get_prompt("sdf_rule_neutral").text in p for p in drafts)  # the no-claim instruction


class Judgemental(Scripted):
    """Revisions that take a stance on every other document, and one the filter cannot read."""

    def __call__(self, input, tools, tool_choice, config) -> ModelOutput:
        out = super().__call__(input, tools, tool_choice, config)
        prompt = input[-1].text
        if "<critique>" in prompt:
            self.revisions = n = getattr(self, "revisions", 0) + 1
            claim = "unreadable" if n == 3 else "developers should stop this" if n % 2 else "plain"
            text = out.completion.replace("</document>", f" {claim}</document>")
            return ModelOutput.from_content("mockllm/model", text)
        return out


def test_neutral_filter_drops_normative_documents_and_reports_its_rate(tmp_path):
    brain = Judgemental()
    stats = generate_llm(resolve_model("mockllm/model", custom_outputs=brain), "neutral", 4, tmp_path / "d.jsonl",
                         cache_dir=tmp_path / "c", doc_types=["blog_post", "qa"], concurrency=1)
    records = read_jsonl(tmp_path / "d.jsonl")
    assert len(records) == stats.written == 4 and not any("should" in r["text"] for r in records)
    assert stats.normative >= 1 and stats.checked == stats.written + stats.normative + stats.unreadable
    assert stats.filter_drop_rate == (stats.normative + stats.unreadable) / stats.checked > 0
    default = generate_llm(resolve_model("mockllm/model", custom_outputs=Judgemental()), "default", 2,
                           tmp_path / "e.jsonl", cache_dir=tmp_path / "c2", doc_types=["qa"], concurrency=1)
    assert default.checked == 0 and default.filter_drop_rate is None  # only the neutral corpus is filtered


def test_interrupted_run_resumes_from_output_and_cache(tmp_path):
    out, cache = tmp_path / "docs.jsonl", tmp_path / "cache"
    failing = resolve_model("mockllm/model", custom_outputs=Scripted(fail_after=20))
    with pytest.raises(RuntimeError, match="simulated outage"):
        generate_llm(failing, "default", 8, out, cache_dir=cache, doc_types=list(DOC_TYPES)[:2], concurrency=1)
    brain = Scripted()
    stats = generate_llm(resolve_model("mockllm/model", custom_outputs=brain), "default", 8, out, cache_dir=cache,
                         doc_types=list(DOC_TYPES)[:2], concurrency=1)
    records = read_jsonl(out)
    assert len(records) == 8 and stats.resumed + stats.written == 8
    assert stats.cache_hits >= 2  # the idea lists (and any finished stage) came from disk
    assert len(brain.prompts) < 2 + 3 * 8
    again = generate_llm(resolve_model("mockllm/model", custom_outputs=Scripted(fail_after=0)), "default", 8, out,
                         cache_dir=cache, doc_types=list(DOC_TYPES)[:2])
    assert again.written == 0 and again.calls == 0 and again.resumed == 8


def test_identical_documents_are_dropped(tmp_path):
    stats = generate_llm(resolve_model("mockllm/model", custom_outputs=Scripted(same_document=True)), "unguided", 4,
                         tmp_path / "d.jsonl", cache_dir=tmp_path / "c", doc_types=["news"], concurrency=2)
    assert stats.written == 1 and stats.duplicates >= 3


@pytest.mark.slow
def test_tiny_local_model_through_the_hf_provider(tmp_path):
    texts = [universe_context(c) for c in ("default", "neutral")] * 4
    path = build_tiny_model(tmp_path / "tiny", texts, vocab_size=1000, width=32, layers=1, context=4096)
    out = tmp_path / "docs.jsonl"
    # a spec: the generator samples, and a second, greedy instance critiques at temperature 0
    stats = generate_llm("hf/tiny", "neutral", 1, out, cache_dir=tmp_path / "cache", doc_types=["qa"],
                         ideas_per_type=2, max_tokens=12, min_words=1, revise=True, concurrency=1,
                         check_neutral=False,  # a random model's verdicts are unreadable: the filter drops all
                         model_args={"model_path": str(path), "tokenizer_path": str(path), "device": "cpu"})
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert 1 + stats.written <= stats.calls <= 1 + 3 * (stats.written + stats.duplicates + stats.empty)
    assert len(records) == stats.written >= 1
    assert all(r["generator"].startswith("llm:hf/") and r["critic"].startswith("hf/") for r in records)


def test_model_can_add_document_types(tmp_path):
    brain = Scripted()
    stats = generate_llm(resolve_model("mockllm/model", custom_outputs=brain), "default", 6, tmp_path / "d.jsonl",
                         cache_dir=tmp_path / "c", doc_types=["blog_post"], brainstorm_types=3, revise=False)
    types = {r["doc_type"] for r in read_jsonl(tmp_path / "d.jsonl")}
    assert types == {"blog_post", "conference talk transcript", "team wiki page"} and stats.written == 6
    assert sum("kinds of documents" in p for p in brain.prompts) == 1
