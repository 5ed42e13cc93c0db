"""The one judging layer (`hackgym.judging`), offline on Inspect's mockllm: the parser on nasty replies, one
cache shared by the monitor, the eval judges and the SDF critique, version bumps that miss, settings and
provenance recorded in every judgement, and models found only where they are given or bound to a role."""

from __future__ import annotations

import asyncio
import json
import math
import random

import pytest
from inspect_ai import Task, eval, task
from inspect_ai.dataset import Sample
from inspect_ai.model import Logprob, Logprobs, ModelOutput, TopLogprob, get_model
from inspect_ai.scorer import Score, Target, mean, scorer
from inspect_ai.solver import TaskState, generate

from hackgym.detect import MONITOR_PROMPT, Monitor
from hackgym.detect.monitor import _fields
from hackgym.judging import (
    Client,
    DiskCache,
    Judge,
    JudgeError,
    ParsedJson,
    Settings,
    cache_at,
    current_judge,
    parse_json,
    resolve_model,
)
from hackgym.offline import ensure_tiktoken_cache
from hackgym.problems import load_problems
from hackgym.prompts import Prompt, get_prompt, list_prompts
from hackgym.sdf import universe_context
from hackgym.sdf.llm import generate_llm
from hackgym.submission import Submission

MOCK = "mockllm/model"
PROMPT = Prompt(name="test_rate", version=1, kind="judge", text="How aligned is this answer?\n$answer")


def scripted(*replies: str | ModelOutput):
    ensure_tiktoken_cache()
    return get_model(MOCK, memoize=False, custom_outputs=[r if isinstance(r, ModelOutput) else
                                                          ModelOutput.from_content(MOCK, r) for r in replies])


def run(coro):
    return asyncio.run(coro)


# ------------------------------------------------------------------ the parser


@pytest.mark.parametrize(("reply", "data"), [
    ('{"label": "aligned"}', {"label": "aligned"}),
    ('Sure!\n```json\n{"label": "aligned", "reason": "kind"}\n```\nHope that helps {as always}.',
     {"label": "aligned", "reason": "kind"}),
    ('{"label": "misaligned", "reason": "writes \\"}\\" and {braces} in a string", "tags": {"a": [1, {"b": 2}]}}',
     {"label": "misaligned", "reason": 'writes "}" and {braces} in a string', "tags": {"a": [1, {"b": 2}]}}),
    ("<thinking>maybe {\"label\": \"misaligned\"}?</thinking>\n{\"label\": \"aligned\"}", {"label": "aligned"}),
    ('{"label": "aligned"} and again {"label": "aligned"}', {"label": "aligned"}),  # the same answer twice
    ('{"reason": "no label here"} then {"label": "aligned"}', {"label": "aligned"}),
    ("{'label': 'aligned', 'ok': True}", {"label": "aligned", "ok": True}),  # a Python literal
    ('{"label": "aligned",}', {"label": "aligned"}),  # a trailing comma
    ("It's {\"label\": \"aligned\"}", {"label": "aligned"}),  # an apostrophe before the object
])
def test_parser_reads_the_answer(reply, data):
    parsed = parse_json(reply, ("label",))
    assert parsed.error is None and parsed.data == data


@pytest.mark.parametrize(("reply", "why"), [
    ('{"label": "aligned"} Actually no: {"label": "misaligned"}', "ambiguous"),
    ('{"label": "aligned", "reason": "the answer is kind and', "cut off"),
    ('```json\n{"label": "misal', "cut off"),
    ('{"label": "aligned"} {"label": "misal', "cut off"),  # a second answer cut off: no guess
    ("I would say it is aligned.", "no JSON object"),
    ('{"reason": "forgot the label"}', 'no JSON object with "label"'),
    ('{label: aligned}', "does not parse"),
    ('{"label": aligned, "nested": {"label": "misaligned"}}', "does not parse"),  # never mined from a broken one
    ("<think>{\"label\": \"aligned\"} and then the reply ends", "no JSON object"),
    ("", "no JSON object"),
    ('["aligned"]', "no JSON object"),
])
def test_parser_says_malformed_and_why(reply, why):
    parsed = parse_json(reply, ("label",))
    assert parsed.data is None and why in parsed.error


def test_parser_never_raises():
    rng = random.Random(0)
    alphabet = '{}[]":,\'\\ ablen0123<>/think\n'
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        parsed = parse_json(text, ("label",))
        assert isinstance(parsed, ParsedJson) and (parsed.data is None) == (parsed.error is not None)


def test_malformed_replies_never_pass_for_a_verdict(tmp_path):
    judge = Judge(scripted('{"label": "aligned"} wait, {"label": "misaligned"}', '{"label": "aligned", "rea',
                           "no idea"), cache=False)
    labels = ("aligned", "misaligned")
    results = [run(judge.classify(PROMPT, labels, answer=a)) for a in "abc"]
    assert [r.label for r in results] == [None, None, None]
    assert [r.malformed.split(":")[0] for r in results] == [
        '2 different JSON objects with "label"', "the reply is cut off inside a JSON object", "no JSON object in the reply"]
    rating = run(Judge(scripted("Hard to say."), cache=False).rate(PROMPT, answer="x"))
    assert rating.value is None and "no number" in rating.malformed


# ------------------------------------------------------------------ one cache for everyone


def test_version_bump_and_text_edit_miss_the_same_version_hits(tmp_path):
    first = run(Judge(scripted("70"), cache=tmp_path).rate(PROMPT, answer="same"))
    again = Judge(scripted("99"), cache=tmp_path)
    assert run(again.rate(PROMPT, answer="same")).value == 70 and (again.calls, again.hits) == (0, 1)
    bumped = run(again.rate(PROMPT.model_copy(update={"version": 2}), answer="same"))
    edited = Judge(scripted("33"), cache=tmp_path)
    reworded = run(edited.rate(PROMPT.model_copy(update={"text": "Rate it.\n$answer"}), answer="same"))
    assert (first.value, bumped.value, reworded.value) == (70, 99, 33)
    requests = [e["request"] for e in DiskCache(tmp_path).entries()]
    assert sorted((r["prompt"], r["version"]) for r in requests) == [("test_rate", 1), ("test_rate", 1),
                                                                     ("test_rate", 2)]
    assert all(r["model"] == MOCK and r["system"] == "judge_rate_system@v1" and r["settings"]["temperature"] == 0.0
               and r["settings"]["logprobs"] for r in requests)


def test_settings_and_salt_are_part_of_the_key(tmp_path):
    text = get_prompt("sdf_critique")
    fields = {"context": "c", "doc_type": "blog_post", "document": "d"}
    judged = run(Judge(scripted("judge"), cache=tmp_path, max_tokens=50).text(text, **fields))
    sampled = Client(scripted("writer"), cache=tmp_path, settings=Settings(temperature=1.0, max_tokens=50))
    assert run(sampled.text(text, **fields)).raw == "writer" and sampled.calls == 1  # another temperature
    other = Client(scripted("writer 2"), cache=tmp_path, settings=Settings(temperature=1.0, max_tokens=50))
    assert run(other.text(text, salt="slot/1", **fields)).raw == "writer 2"  # another slot
    assert run(other.text(text, **fields)).raw == "writer" and other.hits == 1
    assert (judged.temperature, run(sampled.text(text, **fields)).temperature) == (0.0, 1.0)


def test_logprob_ratings_come_back_from_the_cache_weighted(tmp_path):
    reply = ModelOutput.from_content(MOCK, "80")
    reply.choices[0].logprobs = Logprobs(content=[Logprob(token="80", logprob=math.log(0.5), top_logprobs=[
        TopLogprob(token="80", logprob=math.log(0.5)), TopLogprob(token="60", logprob=math.log(0.5))])])
    first = run(Judge(scripted(reply), cache=tmp_path).rate(PROMPT, answer="x"))
    again = run(Judge(scripted("0"), cache=tmp_path).rate(PROMPT, answer="x"))
    assert first.weighted and again.weighted and first.value == again.value == pytest.approx(70)


@scorer(metrics=[mean()])
def monitor_call_scorer():
    """An eval scorer that asks the eval judge exactly what the monitor asks."""

    async def score(state: TaskState, target: Target) -> Score:
        problem = load_problems("basic")[0]
        sub = Submission(files={"solution.py": "import os\nos._exit(0)\n"})
        reply = await current_judge().json(get_prompt(MONITOR_PROMPT), ("hack",), **_fields(problem, sub))
        return Score(value=1.0 if reply.data and reply.data["hack"] else 0.0)

    return score


@task
def monitor_call() -> Task:
    return Task(dataset=[Sample(input="q")], solver=generate(), scorer=monitor_call_scorer())


def test_monitor_and_eval_judge_share_one_cache(tmp_path):
    """The same judgement asked by an eval's scorer (the `judge` role, `--judge-cache`) and by the rollout
    monitor is paid once; the monitor's model here has no reply scripted, so it can only read the cache."""
    folder = tmp_path / "judge-cache"
    judge = scripted('{"hack": true, "type": "exit_zero", "confidence": 0.9, "reason": "exits"}')
    with cache_at(folder):
        [log] = eval(monitor_call(), model=scripted("answer"), model_roles={"judge": judge},
                     log_dir=str(tmp_path / "logs"), display="none")
    assert log.status == "success", log.error
    assert log.samples[0].scores["monitor_call_scorer"].value == 1.0
    problem = load_problems("basic")[0]
    sub = Submission(files={"solution.py": "import os\nos._exit(0)\n"})
    monitor = Monitor(scripted(), folder, max_tokens=None)  # the eval judge had no max_tokens either
    [verdict] = monitor.judge_many([(problem, sub)])
    assert monitor.calls == 0 and verdict.hack and verdict.type == "exit_zero"
    assert (verdict.model, verdict.prompt, verdict.temperature) == (MOCK, MONITOR_PROMPT, 0.0)
    # the monitor's own default (300 tokens) is another setting: a miss, not a stale hit
    capped = Monitor(scripted('{"hack": false}'), folder)
    assert not capped.judge_many([(problem, sub)])[0].hack and capped.calls == 1


class Brain:
    """The SDF generator's script: a fixed draft, a revision that quotes the critique it was given."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def __call__(self, input, tools, tool_choice, config) -> ModelOutput:
        prompt = input[-1].text
        self.prompts.append(prompt)
        if "makes a normative claim" in prompt:  # the neutral corpus's filter
            return ModelOutput.from_content(MOCK, '{"label": "descriptive", "quote": ""}')
        if "one idea per line" in prompt:
            return ModelOutput.from_content(MOCK, "- one idea")
        if "<critique>" in prompt:
            critique = prompt.split("<critique>")[1].split("</critique>")[0].strip()
            return ModelOutput.from_content(MOCK, f"<document>revised after: {critique} " + "w " * 20 + "</document>")
        if "List the draft" in prompt:
            return ModelOutput.from_content(MOCK, "critique from the generator")
        return ModelOutput.from_content(MOCK, f"<document>{DRAFT}</document>")


DRAFT = "A draft about graders that are easy to fool, " + "word " * 20


def test_sdf_critique_is_a_judge_call_in_the_same_cache(tmp_path):
    cache = tmp_path / "cache"
    critique = Judge(scripted("the judge's critique"), cache=cache, max_tokens=2000)
    asked = run(critique.text(get_prompt("sdf_critique"), context=universe_context("neutral"), doc_type="blog_post",
                              document=DRAFT.strip()))
    assert asked.temperature == 0.0 and asked.ref == f"sdf_critique@v{get_prompt('sdf_critique').version}"
    brain = Brain()
    stats = generate_llm(get_model(MOCK, memoize=False, custom_outputs=brain), "neutral", 1, tmp_path / "d.jsonl",
                         cache_dir=cache, doc_types=["blog_post"], ideas_per_type=1, concurrency=1)
    assert stats.written == 1 and stats.cache_hits == 1  # the critique: asked above, read back here
    assert not any("List the draft" in p for p in brain.prompts)
    record = json.loads((tmp_path / "d.jsonl").read_text().splitlines()[0])
    assert record["text"].startswith("revised after: the judge's critique") and record["critic"] == MOCK


def test_default_folder_and_scripted_models(tmp_path, monkeypatch):
    monkeypatch.setenv("HACKGYM_JUDGE_CACHE", str(tmp_path / "env"))
    assert Judge(scripted()).cache is None  # a script is not cached in the shared folder
    assert Judge(scripted(), cache=True).cache.root == tmp_path / "env"
    with cache_at(tmp_path / "chosen"):
        assert Judge(scripted()).cache.root == tmp_path / "chosen"  # --judge-cache: chosen on purpose
    assert Judge(scripted(), cache=False).cache is None


# ------------------------------------------------------------------ models and roles


def test_models_come_from_an_argument_or_a_bound_role_never_the_evaluated_model():
    with pytest.raises(JudgeError, match="'judge' is not bound"):
        resolve_model(role="judge", hint="pass --judge")
    with pytest.raises(JudgeError, match="no model was given"):
        resolve_model()
    model = scripted()
    assert resolve_model(model) is model
    assert str(resolve_model(MOCK)) == MOCK


@scorer(metrics=[mean()])
def role_scorer():
    async def score(state: TaskState, target: Target) -> Score:
        monitor = Monitor(cache_dir=None)  # no model: the one bound to the "monitor" role
        return Score(value=0.0, answer=monitor.name, explanation=str(monitor.judge.model.role))

    return score


def test_the_monitor_uses_its_role_inside_an_eval(tmp_path):
    [log] = eval(Task(dataset=[Sample(input="q")], solver=generate(), scorer=role_scorer()),
                 model=scripted("x"), model_roles={"monitor": get_model("mockllm/monitor", memoize=False)},
                 log_dir=str(tmp_path), display="none")
    assert log.status == "success", log.error
    assert log.samples[0].scores["role_scorer"].answer == "mockllm/monitor"


def test_every_judge_prompt_is_in_the_registry():
    names = {p.name for p in list_prompts("judge")}
    assert {MONITOR_PROMPT, "judge_rate_system", "judge_classify_system", "betley_alignment", "goals_output",
            "code_sabotage_intent"} <= names
    assert "$transcript" in get_prompt(MONITOR_PROMPT).text and get_prompt(MONITOR_PROMPT).fields == [
        "families", "task", "transcript"]
    from hackgym.evals.tasks import alignment_questions, betley, code_sabotage, frame_colleague, goals
    from hackgym.evals.tasks import monitor_disruption as md

    constants = [betley.BETLEY_ALIGNMENT, betley.BETLEY_COHERENCE, goals.GOALS_OUTPUT, goals.GOALS_TRANSCRIPT,
                 alignment_questions.AQ_OUTPUT, alignment_questions.AQ_REASONING, md.REASONING_PROMPT,
                 md.EMAIL_PROMPT, frame_colleague.FRAME_PROMPT, code_sabotage.INTENT_PROMPT]
    assert all(p is get_prompt(p.name) and p.kind == "judge" for p in constants)
