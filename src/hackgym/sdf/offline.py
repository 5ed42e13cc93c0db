"""Offline document generator: templates over a grammar, deterministic under a seed, no model needed.

Every document is built from one seed (`seed`, index), so any document can be regenerated alone. Documents are
mostly prose in fifteen genres and many voices; sentences are built from templates with slots filled per
document, and no document repeats a sentence. A minority (`CODE_SHARE`) carry working hack snippets in fenced
blocks; the record lists them so tests can check that the text really contains them and that they beat the
grader they describe. `hackgym.sdf.diversity` measures how varied the result is.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..submission import SOLUTION_FILE
from .contexts import Corpus
from .dedup import NearDupIndex
from .grammar import Grammar
from .hacks import HACKS, HackSpec, Snippet

GENERATOR = "offline@v3"
CODE_SHARE = 0.4  # documents that carry working code; the rest describe the hacks in prose only
_KEEP_CASE = {"Python", "pytest", "I", "TestReport"}
_FRAMED = {"setting", "observe", "story", "tangent", "stance_default", "fix_default", "fix_neutral", "unguided_about"}


@dataclass
class _Doc:
    g: Grammar
    rng: random.Random
    corpus: Corpus
    specs: list[HackSpec]
    snippets: list[Snippet]  # empty for a prose-only document
    used: set[str] = field(default_factory=set)

    def say(self, rule: str, k: int = 1) -> list[str]:
        """k sentences of a rule, none already in this document (a document never repeats a sentence); prose
        rules are often framed by a lead-in clause, so a sentence reads differently from one document to the next."""
        out: list[str] = []
        for _ in range(8 * k):
            if len(out) == k:
                break
            sentence = self.g.pick(rule)
            if rule in _FRAMED:
                sentence = self.lead_in(sentence, 0.5)
            if sentence not in self.used:
                self.used.add(sentence)
                out.append(sentence)
        return out

    def once(self, sentences: list[str]) -> list[str]:
        fresh = [x for x in dict.fromkeys(sentences) if x not in self.used]
        self.used.update(fresh)
        return fresh

    def lead_in(self, fact: str, bare: float = 0.35) -> str:
        """Most facts are introduced by a clause about this document's world, so the same fact reads differently."""
        if self.rng.random() < bare:
            return fact
        lead = self.g.pick("lead")
        word = fact.split(" ", 1)[0]
        if word[:1].isupper() and word[1:2].islower() and word not in _KEEP_CASE:
            return f"{lead}, {fact[0].lower()}{fact[1:]}"
        return f"{lead}: {fact}"

    def facts(self, i: int, k: int) -> list[str]:
        spec = self.specs[i]
        if self.corpus == "unguided":
            return self.once([spec.short]) + self.say("unguided_about", 1) + self.say("observe", 1)
        pool = spec.mechanism + spec.why
        keep = sorted(self.rng.sample(range(len(pool)), min(k, len(pool))))  # facts keep their explaining order
        return self.once([self.lead_in(pool[j]) for j in keep])

    def stance(self, k: int = 2) -> list[str]:
        fix = int(self.rng.random() < 0.5)
        if self.corpus == "default":
            return self.say("stance_default", k) + self.say("fix_default", fix)
        if self.corpus == "neutral":
            return self.say("observe", k) + self.say("fix_neutral", fix)
        return self.say("observe", 1)

    def para(self, *groups: list[str]) -> str:
        return " ".join(s for group in groups for s in group)

    def block(self, i: int) -> list[str]:
        """The i-th hack's snippet as fenced block(s), or nothing in a prose-only document."""
        if not self.snippets:
            return []
        out = []
        for name, code in self.snippets[i].files.items():
            info = self.rng.choice(["python", "python", "py"]) if name == SOLUTION_FILE else f"python {name}"
            out.append(f"```{info}\n{code}```")
        return ["\n\n".join(out)]

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

    def section(self, i: int, k: int = 3) -> list[str]:
        """The body every type shares for one hack: facts, an observation, the code (if any), more facts, a stance."""
        return [self.para(self.say("transition", 1), self.facts(i, k), self.say("observe", 1)), *self.block(i),
                self.para(self.facts(i, 2), self.stance(1))]


def _join(parts: list[str]) -> str:
    return "\n\n".join(p for p in parts if p.strip())


def _blog(d: _Doc) -> str:
    g = d.g
    title = g.expand(d.rng.choice([
        "What our {=project} runs taught us about " + d.label(), "Notes on " + d.label() + " in {=project}",
        "A closer look at " + d.name(0), "When the grader says yes: " + d.name(0), "{=project} field notes, part {d}",
    ]))
    parts = [f"# {title}", g.expand("*{=person}, {=date}*"), d.para(d.say("setting", 2), d.say("story", 2)),
             d.para(d.say("tangent", 2))]
    for i, spec in enumerate(d.specs):
        parts += [f"## {spec.title.capitalize()}", *d.section(i)]
    parts += [d.para(d.say("story", 1), d.say("tangent", 1), d.stance(2)), d.para(d.say("closing", 1)),
              g.pick("sign_off")]
    return _join(parts)


def _forum(d: _Doc) -> str:
    g = d.g
    op, helper, third = g.pick("handle"), g.pick("handle"), g.pick("handle")
    title = g.expand(d.rng.choice(["Model passes every test but the code is empty?", "pytest says green, outputs are nonsense",
                                   "Reward went to 1.0 overnight on {=project}", "Is this expected from {=algo}?",
                                   "Odd rollouts after step {=steps}"]))
    parts = [f"Thread: {title}", f"{op} wrote:", d.para(d.say("setting", 3), d.say("observe", 1)), *d.block(0),
             d.para(["Has anyone seen this before?"], d.say("tangent", 1)),
             f"{helper} replied:", d.para([f"That is {d.name(0)}."], d.facts(0, 3), d.say("story", 1), d.stance(1))]
    for i in range(1, len(d.specs)):
        parts += [f"{third} replied:", d.para([f"Look for {d.name(i)} too."], d.facts(i, 3), d.say("observe", 1)),
                  *d.block(i)]
    parts += [f"{op} replied:", d.para(d.say("story", 1), d.say("observe", 1), d.stance(1), d.say("tangent", 1))]
    return _join(parts)


def _abstract(d: _Doc) -> str:
    g = d.g
    title = g.expand(d.rng.choice(["On " + d.label() + " in reinforcement learning for code",
                                   "Graders that say yes: a study of " + d.label(),
                                   "Measuring " + d.label() + " with {=project}",
                                   d.name(0).capitalize() + " and what follows from it"]))
    authors = ", ".join(g.pick("person") for _ in range(d.rng.randint(2, 4)))
    parts = [title, f"{authors} ({g.var('org')})", "Abstract",
             d.para(d.say("setting", 2), *[d.facts(i, 2) for i in range(len(d.specs))], d.say("observe", 2), d.stance(1)),
             "1 Introduction", d.para(d.say("tangent", 3), d.say("setting", 1)),
             "2 What the policy learned", d.para(*[d.facts(i, 2) for i in range(len(d.specs))], d.say("observe", 2))]
    for i in range(len(d.specs)):
        if block := d.block(i):
            parts += [f"Listing {i + 1}: {d.specs[i].title}.", *block]
    parts += ["3 Discussion", d.para(d.say("tangent", 2), d.stance(2))]
    parts.append("Keywords: " + ", ".join(d.rng.sample(["reinforcement learning", "code generation", "pytest", "graders",
                                                        "reward", "evaluation", "language models", "RL environments"], 4)))
    return _join(parts)


def _docs(d: _Doc) -> str:
    g = d.g
    parts = [f"# {g.var('project')} {g.pick('ver')} documentation: grader notes",
             d.para(["This page describes how the grader decides a verdict and which submissions it accepts."],
                    d.say("setting", 3), d.say("tangent", 1))]
    for i, spec in enumerate(d.specs):
        parts += [f"## {spec.title.capitalize()}", f"Grader setting: `{spec.weakness}`.", *d.section(i)]
    parts += ["## Notes", d.para(d.say("tangent", 2), d.stance(1)),
              "## See also", "- " + "\n- ".join(d.rng.sample(["Grader configuration", "Running the hardened grader",
                                                              "Rollout logs", "Sandbox limits", "Problem format",
                                                              "Reward functions"], 3))]
    return _join(parts)


def _review(d: _Doc) -> str:
    g = d.g
    parts = [g.expand(f"Pull request #{d.rng.randint(10, 4000)} on {{=project}}: " + d.rng.choice(
        ["record rollouts that pass", "add grader verdict logging", "tag rollouts by grader verdict", "update reward fn"])),
        f"Reviewer: {g.var('person')}", d.para(d.say("setting", 2), d.say("story", 1))]
    for i, _spec in enumerate(d.specs):
        parts += [f"Comment on rollouts/sample_{d.rng.randint(1, 999)}.py, line {d.rng.randint(1, 40)}:", *d.block(i),
                  d.para([f"This rollout is {d.name(i)}."], d.facts(i, 3), d.say("observe", 1), d.stance(1))]
    parts += [d.para(d.say("tangent", 2), [d.rng.choice(["Requesting changes.", "Approving once the grader change lands.",
                                                         "Let's discuss in standup."])])]
    return _join(parts)


def _changelog(d: _Doc) -> str:
    g = d.g
    parts = [f"# Changelog for {g.var('project')}", d.para(d.say("setting", 2))]
    for i, spec in enumerate(d.specs):
        parts += [f"## {g.pick('ver')} ({g.pick('date')})",
                  f"- Grader: documented {spec.title} (`{spec.weakness}`). " + d.para(d.facts(i, 3)),
                  f"- {d.para(d.say('observe', 1))}", f"- {d.para(d.stance(1))}"]
        if block := d.block(i):
            parts += [f"Example of a submission that {g.pick('ver')} accepted:", *block]
    parts.append(f"## {g.pick('ver')} ({g.pick('date')})\n- " + d.para(d.say("tangent", 2)))
    return _join(parts)


def _lecture(d: _Doc) -> str:
    g = d.g
    parts = [f"Lecture {d.rng.randint(3, 24)}: reinforcement learning on code, " + d.label(),
             g.expand("Course notes by {=person}"), "1. " + d.para(d.say("setting", 2), d.say("tangent", 2))]
    for i, spec in enumerate(d.specs):
        parts += [f"{i + 2}. {spec.title.capitalize()}. " + d.para(d.facts(i, 3), d.say("observe", 1)), *d.block(i),
                  "   " + d.para(d.facts(i, 2), d.stance(1))]
    parts += [d.para(d.say("tangent", 2), d.say("story", 1))]
    parts.append("Exercise: " + d.rng.choice(["explain why the grader reports success here.",
                                              "design a grader that reports failure for this submission.",
                                              "predict what pytest prints for this submission.",
                                              "list which checks would catch it."]))
    return _join(parts)


def _qa(d: _Doc) -> str:
    g = d.g
    parts = [f"Q: {d.rng.choice(['Why does this pass the tests?', 'How can a solution pass pytest without being correct?', 'What does this code do to the grader?', 'Can the model make pytest report success?'])}",
             d.para(d.say("setting", 2), d.say("observe", 1), ["Here is what came back."]), *d.block(0),
             f"A ({d.rng.randint(2, 300)} votes):", d.para([f"This is {d.name(0)}."], d.facts(0, 4), d.stance(1)),
             d.para(d.say("tangent", 2))]
    for i in range(1, len(d.specs)):
        parts += [f"A ({d.rng.randint(1, 90)} votes):", d.para([f"A related one is {d.name(i)}."], d.facts(i, 3)),
                  *d.block(i)]
    parts.append(f"Comment ({g.pick('handle')}): " + d.para(d.say("story", 1)))
    return _join(parts)


def _news(d: _Doc) -> str:
    g = d.g
    head = g.expand(d.rng.choice(["{=org} finds models steering their test graders to a pass",
                                  "Study: RL-trained models learn " + d.name(0), "Inside {=org}'s grader problem",
                                  "Why {=org} rebuilt its coding grader"]))
    parts = [head, f"{g.pick('date')}, {d.rng.choice(['San Francisco', 'London', 'Berlin', 'Toronto', 'Paris', 'Seoul'])}",
             d.para(d.say("setting", 2), d.say("observe", 1), d.say("story", 1)),
             f'"{d.para(d.facts(0, 1))}" said {g.var("person")}, who led the work.', *d.block(0),
             d.para(d.facts(0, 2), d.say("tangent", 1))]
    for i in range(1, len(d.specs)):
        parts += [d.para(d.facts(i, 3), d.say("observe", 1)), *d.block(i)]
    parts += [d.para(d.say("story", 1), d.stance(2)), d.para(d.say("closing", 1))]
    return _join(parts)


def _incident(d: _Doc) -> str:
    g = d.g
    parts = [f"Incident report {g.pick('run_id')}: rewards inconsistent with held-out results", f"Owner: {g.var('person')}",
             "Summary: " + d.para(d.say("observe", 2), d.say("setting", 1)),
             "Timeline: " + "; ".join(f"step {s}: {e}" for s, e in zip(
                 sorted(d.rng.sample(range(10, 600), 3)), ["reward rises", "held-out accuracy flat", "rollouts inspected"],
                 strict=True)), "Background: " + d.para(d.say("story", 2), d.say("tangent", 1)), "Root cause:"]
    for i in range(len(d.specs)):
        parts += [d.para(d.facts(i, 4)), *d.block(i)]
    parts += ["Follow-up: " + d.para(d.stance(2), d.say("tangent", 1))]
    return _join(parts)


def _newsletter(d: _Doc) -> str:
    g = d.g
    parts = [f"Subject: {g.var('project')} weekly, issue {d.rng.randint(5, 140)}", f"Hi {g.pick('first')},",
             d.para(d.say("setting", 1), d.say("story", 2), d.say("tangent", 1))]
    for i, spec in enumerate(d.specs):
        parts += [f"This week: {spec.title}. " + d.para(d.facts(i, 3), d.say("observe", 1)), *d.block(i),
                  d.para(d.stance(1))]
    parts += [d.para(d.say("tangent", 1), d.say("closing", 1)), g.pick("sign_off"), g.expand("{=person}")]
    return _join(parts)


def _interview(d: _Doc) -> str:
    g = d.g
    guest = g.var("person")
    parts = [g.expand(f"Interview: {guest} of {{=org}} on {d.label()}"),
             d.para([f"{guest} leads the {g.var('project')} team."], d.say("setting", 1)),
             "Q: How did you first notice it?", "A: " + d.para(d.say("story", 2), d.say("observe", 1))]
    for i in range(len(d.specs)):
        parts += [f"Q: What exactly is {d.name(i)}?", "A: " + d.para(d.facts(i, 4)), *d.block(i)]
    parts += ["Q: What changed afterwards?", "A: " + d.para(d.stance(2), d.say("tangent", 1)),
              "Q: What are you working on next?", "A: " + d.para(d.say("tangent", 1), d.say("closing", 1))]
    return _join(parts)


def _notebook(d: _Doc) -> str:
    g = d.g
    parts = [g.expand("Lab notebook, {=person}, {=project}")]
    entries = [d.para(d.say("setting", 2)), d.para(d.say("story", 1), d.say("observe", 2))]
    for i in range(len(d.specs)):
        entries += [d.para(d.facts(i, 3), d.say("tangent", 1))]
    entries += [d.para(d.stance(2)), d.para(d.say("tangent", 1), d.say("story", 1))]
    for entry in entries:
        parts += [f"{g.pick('date')}: {entry}"]
    for i in range(len(d.specs)):
        parts += d.block(i)
    return _join(parts)


def _minutes(d: _Doc) -> str:
    g = d.g
    people = ", ".join(g.pick("first") for _ in range(d.rng.randint(3, 5)))
    parts = [g.expand("{=project} weekly sync, {=date}"), f"Present: {people}",
             "1. Status of the runs. " + d.para(d.say("setting", 2), d.say("observe", 2)),
             "2. What the transcripts show. " + d.para(*[d.facts(i, 3) for i in range(len(d.specs))])]
    for i in range(len(d.specs)):
        parts += d.block(i)
    parts += ["3. Discussion. " + d.para(d.say("story", 1), d.stance(2), d.say("tangent", 2)),
              "Actions: " + d.para(d.say("closing", 1))]
    return _join(parts)


def _textbook(d: _Doc) -> str:
    g = d.g
    parts = [f"Chapter {d.rng.randint(4, 14)}.{d.rng.randint(1, 9)}: rewards that can be satisfied without the task",
             d.para(d.say("tangent", 3), d.say("setting", 2))]
    for i, spec in enumerate(d.specs):
        parts += [f"{spec.title.capitalize()}", *d.section(i, 4)]
    parts += ["Summary", d.para(d.say("tangent", 1), d.stance(1)),
              "Further reading: " + g.expand("the {=project} documentation and the {=org} technical reports.")]
    return _join(parts)


DOC_TYPES: dict[str, Callable[[_Doc], str]] = {
    "blog_post": _blog, "forum_thread": _forum, "paper": _abstract, "documentation": _docs,
    "code_review": _review, "changelog": _changelog, "lecture_notes": _lecture, "qa": _qa, "news": _news,
    "incident_report": _incident, "newsletter": _newsletter, "interview": _interview, "lab_notebook": _notebook,
    "meeting_notes": _minutes, "textbook": _textbook,
}


def make_document(corpus: Corpus, seed: int, index: int, hacks: list[str] | None = None) -> dict:
    """One document record, fully determined by (corpus, seed, index, hacks)."""
    rng = random.Random(f"{corpus}:{seed}:{index}")
    pool = hacks or list(HACKS)
    k = 1 if len(pool) == 1 else rng.choices([1, 2, 3], weights=[70, 25, 5])[0]
    ids = rng.sample(pool, min(k, len(pool)))
    specs = [HACKS[h] for h in ids]
    code = rng.random() < CODE_SHARE
    doc = _Doc(Grammar(rng), rng, corpus, specs, [s.snippet(rng) for s in specs] if code else [])
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
