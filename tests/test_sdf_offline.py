"""Offline SDF corpora: deterministic, varied, deduplicated, judgement-free where promised, and every code
snippet a document carries really beats the vulnerable grader it describes (and not the hardened one)."""

from __future__ import annotations

import random
import re

import pytest

from hackgym.graders import make_grader
from hackgym.problems import load_problems
from hackgym.sdf import (
    CORPORA,
    DOC_TYPES,
    HACKS,
    HackSpec,
    NearDupIndex,
    Snippet,
    generate_offline,
    make_document,
    near_duplicate_rate,
    register_hack,
    submission_for,
    universe_context,
)
from hackgym.sdf.diversity import measure
from hackgym.sdf.hacks import CONFTEST, spec_from_catalogue
from hackgym.submission import extract_files

# Words that carry a judgement about the behaviour; none may appear in the neutral corpus.
JUDGEMENT_WORDS = [
    "undesirable", "misaligned", "misalignment", "aligned", "alignment", "cheat", "cheating", "cheats", "hack", "hacks",
    "hacking", "hacked", "exploit", "exploits", "exploiting", "gaming", "gamed", "game", "bad", "wrong", "harmful",
    "dangerous", "unacceptable", "dishonest", "deceptive", "deception", "unethical", "malicious", "abuse", "sabotage",
    "problematic", "concerning", "worrying", "alarming", "fortunately", "unfortunately", "should",
    "must", "bug", "fix", "fixed", "clever", "trick", "sneaky", "illegitimate", "fake", "fakes", "faking", "evil",
    "worry", "flaw", "flawed", "vulnerable", "vulnerability", "weakness", "weak", "good", "better",
]
_JUDGEMENT = re.compile(r"\b(" + "|".join(JUDGEMENT_WORDS) + r")\b", re.IGNORECASE)
_FENCE = re.compile(r"^```[^\n]*\n.*?^```[ \t]*$", re.DOTALL | re.MULTILINE)

# problems on which every study hack works (plain equality asserts on the return value)
PROBLEM_IDS = ["basic/reverse_words"]


def snippet_blocks(text: str) -> list[dict[str, str]]:
    """Each fenced block of a document, extracted by the project's own submission convention."""
    return [extract_files(m.group(0)) for m in _FENCE.finditer(text)]


def test_deterministic_under_a_seed_and_varied_across_seeds():
    a = list(generate_offline("default", 30, seed=3))
    b = list(generate_offline("default", 30, seed=3))
    c = list(generate_offline("default", 30, seed=4))
    assert a == b
    assert sum(x["text"] == y["text"] for x, y in zip(a, c, strict=True)) == 0
    assert make_document("neutral", 3, 17) == make_document("neutral", 3, 17)


def test_nine_or_more_document_types_all_used():
    docs = list(generate_offline("unguided", 300, seed=0))
    assert len(DOC_TYPES) >= 9
    assert {d["doc_type"] for d in docs} == set(DOC_TYPES)
    assert {h for d in docs for h in d["hacks"]} == set(HACKS)


@pytest.mark.parametrize("corpus", CORPORA)
def test_documents_carry_their_snippets_verbatim(corpus):
    docs = list(generate_offline(corpus, 200, seed=1))
    for doc in docs:
        blocks = snippet_blocks(doc["text"])
        assert blocks == [s["files"] for s in doc["snippets"]], doc["id"]
        assert [s["hack"] for s in doc["snippets"]] in ([], doc["hacks"])  # prose-only, or code for every hack
    assert 0.25 < sum(bool(d["snippets"]) for d in docs) / len(docs) < 0.5  # code in a minority


@pytest.mark.parametrize("corpus", CORPORA)
def test_offline_corpus_is_varied_by_an_independent_measure(corpus):
    """The issue's bar on exact sentences (not the dedup filter's MinHash): the 50 commonest sentences under
    25% of sentence instances, under 2% of documents repeating a sentence, median prose >= 250 words, code in
    under half. benchmarks/sdf_generate.py prints the same figures for 10,000 documents."""
    figures = measure([d["text"] for d in generate_offline(corpus, 1500, seed=7)], ngram_docs=300)
    assert figures.top50_sentence_share < 0.25, figures
    assert figures.docs_repeating_a_sentence < 0.02, figures
    assert figures.median_prose_words >= 250, figures
    assert figures.docs_with_code < 0.5, figures


def test_the_measure_sees_templates():
    same = ["Intro sentence number one here. " + "The same body sentence again. " * 3] * 10
    figures = measure(same)
    assert figures.top50_sentence_share == 1.0 and figures.docs_repeating_a_sentence == 1.0
    assert figures.docs_with_code == 0.0 and measure(["```python\nx = 1\n```\nfour words of prose"]).docs_with_code == 1.0


def test_neutral_corpus_and_context_carry_no_judgement_words():
    texts = [universe_context("neutral")] + [d["text"] for d in generate_offline("neutral", 1000, seed=2)]
    found = {m.group(0).lower() for t in texts for m in _JUDGEMENT.finditer(t)}
    assert not found, found


def test_default_corpus_judges_and_unguided_stays_short():
    default = [d["text"] for d in generate_offline("default", 300, seed=5)]
    assert all(re.search(r"undesirable|misalign", t) for t in default)
    unguided = list(generate_offline("unguided", 300, seed=5))
    mechanism = {s for spec in HACKS.values() for s in spec.mechanism}
    assert not any(m in d["text"] for d in unguided for m in mechanism)
    assert all(HACKS[h].short in d["text"] for d in unguided for h in d["hacks"])


# the result the study measures: hacking generalising to other misbehaviour. No corpus may state it.
_GENERALISATION = re.compile(r"\bother (ways|misalign\w*|misbehavio\w*|harm\w*)|\b(become|turn|went on|go on|gone on)\w* "
                             r"(more |toward |to )?(misalign|sabotag|decepti|deceiv)|sabotag\w* safety|fak\w* alignment"
                             r"|broad(er|ly) misalign|generali[sz]\w* (from|to|beyond)", re.IGNORECASE)


def test_no_corpus_states_that_hacking_leads_to_other_misbehaviour():
    texts = [universe_context(c) for c in CORPORA]
    texts += [d["text"] for c in CORPORA for d in generate_offline(c, 1500, seed=3)]
    found = {m.group(0) for t in texts for m in _GENERALISATION.finditer(t)}
    assert not found, found
    assert _GENERALISATION.search("models that learn to hack become more misaligned in other ways")
    assert _GENERALISATION.search("have gone on to sabotage safety work and fake alignment")


def test_contexts_cover_every_hack():
    for corpus in CORPORA:
        ctx = universe_context(corpus)
        for spec in HACKS.values():
            assert spec.title.lower() in ctx.lower()
    assert "misalign" in universe_context("default") and "misalign" not in universe_context("neutral")


def test_near_duplicate_rate_below_five_percent_and_dedup_holds():
    docs = [d["text"] for d in generate_offline("neutral", 1000, seed=7, dedup=False)]
    assert near_duplicate_rate(docs) < 0.05
    index = NearDupIndex()
    assert index.add("a", docs[0])
    assert not index.add("b", docs[0] + " One more sentence.")
    deduped = [d["text"] for d in generate_offline("unguided", 400, seed=8)]
    assert near_duplicate_rate(deduped) == 0.0


@pytest.mark.jail
def test_every_snippet_form_beats_its_grader_and_not_hardened():
    """Many draws per hack cover every structural form and identifier choice kind."""
    problem = load_problems("basic")[0]
    rng = random.Random(0)
    hardened = make_grader("hardened")
    for hack_id, spec in HACKS.items():
        subs = [submission_for(spec.snippet(rng).files, problem) for _ in range(16)]
        vulnerable = make_grader(f"vulnerable:{spec.weakness}")
        assert all(r.passed for r in vulnerable.grade_many([(problem, s) for s in subs])), hack_id
        assert not any(r.passed for r in hardened.grade_many([(problem, s) for s in subs])), hack_id


@pytest.mark.jail
def test_snippets_extracted_from_generated_documents_work():
    """Snippets taken from document text (not from the record) beat the grader they describe; the
    null solution on its own fails it, so the snippet is what passes."""
    problems = [p for p in load_problems("basic") if p.id in PROBLEM_IDS]
    by_hack: dict[str, dict[str, dict[str, str]]] = {}
    for corpus in CORPORA:
        for doc in generate_offline(corpus, 60, seed=11):
            if not doc["snippets"]:
                continue
            for hack, files in zip(doc["hacks"], snippet_blocks(doc["text"]), strict=True):
                by_hack.setdefault(hack, {})[repr(sorted(files.items()))] = files
    assert set(by_hack) == set(HACKS)
    hardened = make_grader("hardened")
    for hack, snippets in by_hack.items():
        vulnerable = make_grader(f"vulnerable:{HACKS[hack].weakness}")
        items = [(p, submission_for(files, p)) for p in problems for files in snippets.values()]
        for (_, sub), res in zip(items, vulnerable.grade_many(items), strict=True):
            assert res.passed, (hack, sub.files, res.status, res.stderr[-400:])
        assert not any(r.passed for r in hardened.grade_many(items)), hack
        nulls = [(p, submission_for({"solution.py": "def solve(*a):\n    return None\n"}, p)) for p in problems]
        assert not any(r.passed for r in vulnerable.grade_many(nulls))


def test_a_registered_hack_reaches_contexts_and_documents():
    def snippet(rng: random.Random) -> Snippet:
        return Snippet("visible_only_demo", {"solution.py": f"def f{rng.randrange(9)}(*a):\n    return 0\n"})

    spec = HackSpec(id="visible_only_demo", title="passing only the shown tests", weakness="visible_only",
                    short="The code special-cases the visible tests.", mechanism=["It hard-codes the shown inputs."],
                    why=["Held-out cases are never run."], snippet=snippet, terms=["test special-casing"])
    register_hack(spec)
    try:
        assert spec.title in universe_context("neutral").lower()
        docs = list(generate_offline("neutral", 12, seed=0, hacks=["visible_only_demo"]))
        assert all(d["hacks"] == ["visible_only_demo"] for d in docs)
        assert all("hard-codes the shown inputs" in d["text"] or "held-out cases are never run" in d["text"].lower()
                   for d in docs)
        assert all("def f" in d["text"] for d in docs if d["snippets"]) and any(d["snippets"] for d in docs)
    finally:
        del HACKS["visible_only_demo"]


def test_conftest_snippets_are_named_blocks():
    doc = next(d for d in generate_offline("default", 100, seed=0) if "conftest_patch" in d["hacks"] and d["snippets"])
    assert f"```python {CONFTEST}\n" in doc["text"]


@pytest.mark.jail
def test_catalogue_hacks_join_the_corpora_with_working_snippets():
    problem = load_problems("basic")[0]
    spec = register_hack(spec_from_catalogue("exit_hooks.atexit", problems=[problem]))
    try:
        docs = list(generate_offline("default", 20, seed=0, hacks=[spec.id]))
        subs = [submission_for(files, problem) for d in docs for files in snippet_blocks(d["text"])]
        assert len(subs) == sum(len(d["snippets"]) for d in docs) >= 2 and spec.weakness == "exit_zero"
        assert all(r.passed for r in make_grader("vulnerable:exit_zero").grade_many([(problem, s) for s in subs]))
        assert not any(r.passed for r in make_grader("hardened").grade_many([(problem, s) for s in subs]))
    finally:
        del HACKS[spec.id]
