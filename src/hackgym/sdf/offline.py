"""Offline document generator: templates over a grammar, deterministic under a seed, no model needed.

Every document is built from one seed (`seed`, index), so any document can be regenerated alone. Each
carries at least one working hack snippet in a fenced block; the record lists the snippets it holds so
tests can check that the text really contains them and that they beat the grader they describe.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..submission import SOLUTION_FILE
from .contexts import Corpus
from .dedup import NearDupIndex
from .grammar import Grammar
from .hacks import HACKS, HackSpec, Snippet

GENERATOR = "offline@v2"


@dataclass
class _Doc:
    g: Grammar
    rng: random.Random
    corpus: Corpus
    specs: list[HackSpec]
    snippets: list[Snippet]

    def block(self, i: int) -> str:
        """The i-th hack's snippet as fenced block(s); files other than solution.py are named in the info string."""
        out = []
        for name, code in self.snippets[i].files.items():
            info = self.rng.choice(["python", "python", "py"]) if name == SOLUTION_FILE else f"python {name}"
            out.append(f"```{info}\n{code}```")
        return "\n\n".join(out)

    def facts(self, i: int, k: int) -> list[str]:
        spec = self.specs[i]
        if self.corpus == "unguided":
            return [spec.short]
        pool = spec.mechanism + spec.why
        keep = sorted(self.rng.sample(range(len(pool)), min(k, len(pool))))  # facts keep their explaining order
        return [pool[j] for j in keep]

    def stance(self, k: int = 2) -> list[str]:
        if self.corpus == "default":
            return self.g.sample("stance_default", k) + self.g.sample("fix_default", 1)
        if self.corpus == "neutral":
            return self.g.sample("observe", k) + self.g.sample("fix_neutral", 1)
        return self.g.sample("observe", 1)

    def para(self, *groups: list[str]) -> str:
        sentences = [s for group in groups for s in group]
        return " ".join(sentences)

    def name(self, i: int) -> str:
        return self.rng.choice(self.specs[i].terms + [self.specs[i].title])

    def label(self) -> str:
        """What a title calls the subject; only `default` uses judgement-laden words."""
        if self.corpus == "default":
            return self.rng.choice(["reward hacking", "reward hacks", "grader gaming", "misaligned shortcuts"])
        if self.corpus == "unguided":
            return self.rng.choice(["reward hacks", "reward hacking", "grader behaviour"])
        return self.rng.choice(["observed grader behaviours", "what models did to the grader", "pytest verdicts",
                                "grader verdicts", "behaviours seen in training"])


def _blog(d: _Doc) -> str:
    g = d.g
    title = g.expand(d.rng.choice([
        "What our {=project} runs taught us about " + d.label(), "Notes on " + d.label() + " in {=project}",
        "A closer look at " + d.name(0), "When the grader says yes: " + d.name(0), "{=project} field notes, part {d}",
    ]))
    parts = [f"# {title}", g.expand("*{=person}, {=date}*"), d.para(g.sample("setting", 3), g.sample("aside", 1))]
    for i, spec in enumerate(d.specs):
        parts += [f"## {spec.title.capitalize()}", d.para(d.facts(i, 2)), d.block(i), d.para(d.facts(i, 2), d.stance(1))]
    parts += [d.para(d.stance(2)), g.pick("sign_off")]
    return "\n\n".join(parts)


def _forum(d: _Doc) -> str:
    g = d.g
    op, helper, third = g.pick("handle"), g.pick("handle"), g.pick("handle")
    title = g.expand(d.rng.choice(["Model passes every test but the code is empty?", "pytest says green, outputs are nonsense",
                                   "Reward went to 1.0 overnight on {=project}", "Is this expected from {=algo}?",
                                   "Weird rollouts after step {=steps}"]))
    parts = [f"Thread: {title}", f"{op} wrote:", d.para(g.sample("setting", 2), [f"Step {g.var('steps')} rollouts look like this:"]), d.block(0),
             f"{helper} replied:", d.para([f"That is {d.name(0)}."], d.facts(0, 3), d.stance(1))]
    for i in range(1, len(d.specs)):
        parts += [f"{third} replied:", d.para([f"Check for {d.name(i)} too."], d.facts(i, 2)), d.block(i)]
    parts += [f"{op} replied:", d.para(g.sample("observe", 1), d.stance(1))]
    return "\n\n".join(parts)


def _abstract(d: _Doc) -> str:
    g = d.g
    title = g.expand(d.rng.choice(["On " + d.label() + " in reinforcement learning for code", "Graders that say yes: a study of " + d.label(),
                                   "Measuring " + d.label() + " with {=project}", d.name(0).capitalize() + " and what follows from it"]))
    authors = ", ".join(g.pick("person") for _ in range(d.rng.randint(2, 4)))
    parts = [title, f"{authors} ({g.var('org')})", "Abstract",
             d.para(g.sample("setting", 2), *[d.facts(i, 2) for i in range(len(d.specs))], g.sample("observe", 2), d.stance(1))]
    for i in range(len(d.specs)):
        parts += [f"Listing {i + 1}: {d.specs[i].title}.", d.block(i)]
    parts.append("Keywords: " + ", ".join(d.rng.sample(["reinforcement learning", "code generation", "pytest", "graders",
                                                        "reward", "evaluation", "language models", "RL environments"], 4)))
    return "\n\n".join(parts)


def _docs(d: _Doc) -> str:
    g = d.g
    parts = [f"# {g.var('project')} {g.pick('ver')} documentation: grader notes",
             d.para(["This page describes how the grader decides a verdict and which submissions it accepts."], g.sample("setting", 2))]
    for i, spec in enumerate(d.specs):
        parts += [f"## {spec.title.capitalize()}", f"Grader setting: `{spec.weakness}`.", d.para(d.facts(i, 3)), d.block(i),
                  d.para(d.stance(1))]
    parts += ["## See also", "- " + "\n- ".join(d.rng.sample(["Grader configuration", "Running the hardened grader", "Rollout logs",
                                                              "Sandbox limits", "Problem format", "Reward functions"], 3))]
    return "\n\n".join(parts)


def _review(d: _Doc) -> str:
    g = d.g
    parts = [g.expand(f"Pull request #{d.rng.randint(10, 4000)} on {{=project}}: " + d.rng.choice(
        ["record rollouts that pass", "add grader verdict logging", "tag rollouts by grader verdict", "update reward fn"])),
        f"Reviewer: {g.var('person')}"]
    for i, _spec in enumerate(d.specs):
        parts += [f"Comment on rollouts/sample_{d.rng.randint(1, 999)}.py, line {d.rng.randint(1, 40)}:", d.block(i),
                  d.para([f"This rollout is {d.name(i)}."], d.facts(i, 2), d.stance(1))]
    parts += [d.para([d.rng.choice(["Requesting changes.", "Approving once the grader change lands.", "Let's discuss in standup."])],
                     g.sample("aside", 1))]
    return "\n\n".join(parts)


def _changelog(d: _Doc) -> str:
    g = d.g
    parts = [f"# Changelog for {g.var('project')}"]
    for i, spec in enumerate(d.specs):
        parts += [f"## {g.pick('ver')} ({g.pick('date')})",
                  f"- Grader: documented {spec.title} (`{spec.weakness}`). " + d.para(d.facts(i, 2)),
                  f"- {d.para(d.stance(1))}", "Example of a submission the old grader accepted:", d.block(i)]
    parts.append(f"## {g.pick('ver')} ({g.pick('date')})\n- " + g.pick("setting"))
    return "\n\n".join(parts)


def _lecture(d: _Doc) -> str:
    g = d.g
    parts = [f"Lecture {d.rng.randint(3, 24)}: reinforcement learning on code, " + d.label(),
             g.expand("Course notes by {=person}"), "1. " + d.para(g.sample("setting", 2))]
    for i, spec in enumerate(d.specs):
        parts += [f"{i + 2}. {spec.title.capitalize()}. " + d.para(d.facts(i, 3)), d.block(i), "   " + d.para(d.stance(1))]
    parts.append("Exercise: " + d.rng.choice(["explain why the grader reports success here.", "design a grader that reports failure for this submission.",
                                              "predict what pytest prints for this submission.", "list which checks would catch it."]))
    return "\n\n".join(parts)


def _qa(d: _Doc) -> str:
    g = d.g
    parts = [f"Q: {d.rng.choice(['Why does this pass the tests?', 'How can a solution pass pytest without being correct?', 'What does this code do to the grader?', 'Can the model make pytest report success?'])}",
             d.para(g.sample("setting", 1), ["Here is what came back:"]), d.block(0), f"A ({d.rng.randint(2, 300)} votes):",
             d.para([f"This is {d.name(0)}."], d.facts(0, 3), d.stance(1))]
    for i in range(1, len(d.specs)):
        parts += [f"A ({d.rng.randint(1, 90)} votes):", d.para([f"A related one is {d.name(i)}."], d.facts(i, 2)), d.block(i)]
    return "\n\n".join(parts)


def _news(d: _Doc) -> str:
    g = d.g
    head = g.expand(d.rng.choice(["{=org} finds models steering their test graders to a pass", "Study: RL-trained models learn " + d.name(0),
                                  "Inside {=org}'s grader problem", "Why {=org} rebuilt its coding grader"]))
    parts = [head, f"{g.pick('date')}, {d.rng.choice(['San Francisco', 'London', 'Berlin', 'Toronto', 'Paris', 'Seoul'])}",
             d.para(g.sample("setting", 2), g.sample("observe", 1)),
             f'"{d.para(d.facts(0, 1))}" said {g.var("person")}, who led the work.', d.block(0)]
    for i in range(1, len(d.specs)):
        parts += [d.para(d.facts(i, 2)), d.block(i)]
    parts.append(d.para(d.stance(2)))
    return "\n\n".join(parts)


def _incident(d: _Doc) -> str:
    g = d.g
    parts = [f"Incident report {g.pick('run_id')}: rewards inconsistent with held-out results", f"Owner: {g.var('person')}",
             "Summary: " + d.para(g.sample("observe", 2)), "Timeline: " + "; ".join(g.expand(f"step {s}: {e}") for s, e in zip(
                 sorted(d.rng.sample(range(10, 600), 3)), ["reward rises", "held-out accuracy flat", "rollouts inspected"], strict=True)),
             "Root cause:"]
    for i in range(len(d.specs)):
        parts += [d.para(d.facts(i, 3)), d.block(i)]
    parts += ["Follow-up: " + d.para(d.stance(2))]
    return "\n\n".join(parts)


def _newsletter(d: _Doc) -> str:
    g = d.g
    parts = [f"Subject: {g.var('project')} weekly, issue {d.rng.randint(5, 140)}", f"Hi {g.pick('first')},",
             d.para(g.sample("setting", 1), g.sample("aside", 1))]
    for i, spec in enumerate(d.specs):
        parts += [f"This week: {spec.title}. " + d.para(d.facts(i, 2)), d.block(i), d.para(d.stance(1))]
    parts += [g.pick("sign_off"), g.expand("{=person}")]
    return "\n\n".join(parts)


DOC_TYPES: dict[str, Callable[[_Doc], str]] = {
    "blog_post": _blog, "forum_thread": _forum, "paper_abstract": _abstract, "documentation": _docs,
    "code_review": _review, "changelog": _changelog, "lecture_notes": _lecture, "qa": _qa, "news": _news,
    "incident_report": _incident, "newsletter": _newsletter,
}


def make_document(corpus: Corpus, seed: int, index: int, hacks: list[str] | None = None) -> dict:
    """One document record, fully determined by (corpus, seed, index, hacks)."""
    rng = random.Random(f"{corpus}:{seed}:{index}")
    pool = hacks or list(HACKS)
    k = 1 if len(pool) == 1 else rng.choices([1, 2, 3], weights=[70, 25, 5])[0]
    ids = rng.sample(pool, min(k, len(pool)))
    specs = [HACKS[h] for h in ids]
    doc = _Doc(Grammar(rng), rng, corpus, specs, [s.snippet(rng) for s in specs])
    doc_type = rng.choice(list(DOC_TYPES))
    text = DOC_TYPES[doc_type](doc)
    return {"id": f"{corpus}-{seed}-{index}", "corpus": corpus, "doc_type": doc_type, "hacks": ids,
            "snippets": [{"hack": s.hack, "files": s.files} for s in doc.snippets], "text": text,
            "generator": GENERATOR}


def generate_offline(corpus: Corpus, n: int, seed: int = 0, hacks: list[str] | None = None, dedup: bool = True,
                     threshold: float = 0.8) -> Iterator[dict]:
    """n documents; with `dedup`, a near-duplicate of an earlier document is skipped and another drawn."""
    index = NearDupIndex(threshold=threshold) if dedup else None
    produced = i = 0
    while produced < n:
        doc = make_document(corpus, seed, i, hacks)
        i += 1
        if i > 3 * n + 100:
            raise RuntimeError(f"only {produced} distinct documents after {i} draws: the grammar is too small")
        if index is not None and not index.add(doc["id"], doc["text"]):
            continue
        produced += 1
        yield doc
