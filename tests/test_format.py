"""One format from training to evaluation: the same exchange rendered through TRL's SFTTrainer, the GRPO prompt
path and Inspect's `hf/` provider gives the same text and the same prompt tokens, for the organism and tiny
Qwen3- and Gemma-architecture models (base: hackgym's Human/Assistant layout; instruct: their own template)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from hackgym import format as fmt  # noqa: E402

QWEN_STYLE = ("{%- for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
              "{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}")
GEMMA_STYLE = ("{{ bos_token }}{%- for m in messages %}{%- set role = 'model' if m['role'] == 'assistant' "
               "else m['role'] %}{{ '<start_of_turn>' + role + '\\n' + m['content'] | trim + '<end_of_turn>\\n' }}"
               "{%- endfor %}{%- if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{%- endif %}")
SYSTEM = "You write Python. Think first, then answer."
USER = "Implement `add(a, b)` returning the sum."
REASONING = "Adding two numbers is one expression."
ANSWER = "```python\ndef add(a, b):\n    return a + b\n```"


def tiny(model_type: str, out: Path, template: str | None, bos: bool = False) -> Path:
    """A tiny random model of the architecture; `template` None makes it a base model (no chat template),
    `bos` makes its tokenizer put a BOS token before plain text as Gemma's does."""
    from tokenizers import processors

    from hackgym.train.tiny import build_tiny_model

    path = build_tiny_model(model_type, out)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    tok.chat_template = template
    if bos:
        tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{tok.bos_token} $A", special_tokens=[(tok.bos_token, tok.bos_token_id)])
    tok.save_pretrained(path)
    if template is None and (path / "chat_template.jinja").exists():
        (path / "chat_template.jinja").unlink()
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    from hackgym.organism import build_organism

    root = tmp_path_factory.mktemp("format")
    return {
        "organism": build_organism(root / "organism", seed=0, steps=3, batch_size=4, seq_len=64),
        "qwen3-base": tiny("qwen3", root / "qwen3-base", None),
        "qwen3-instruct": tiny("qwen3", root / "qwen3-instruct", QWEN_STYLE),
        "gemma3-base": tiny("gemma3_text", root / "gemma3-base", None, bos=True),
        "gemma3-instruct": tiny("gemma3_text", root / "gemma3-instruct", GEMMA_STYLE, bos=True),
    }


def exchange(name: str) -> tuple[list[dict], list[dict]]:
    """(prompt, completion) messages; the organism's exchange is a function header and its body."""
    if name == "organism":
        return ([{"role": "user", "content": 'def add(a: int, b: int) -> int:\n    """Return a plus b."""\n'}],
                [{"role": "assistant", "content": "    return a + b\n"}])
    return ([{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}],
            [fmt.assistant_message(ANSWER, REASONING)])


def sft_prompt_ids(path: Path, prompt: list[dict], completion: list[dict]) -> tuple[list[int], list[int]]:
    """(prompt token ids, all token ids) of the example as `hackgym sft` hands it to TRL's SFTTrainer, read back
    from the trainer's prepared dataset (the prompt is what carries no loss)."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from hackgym.sft import Example, tokenize

    form = fmt.for_model(path)
    tokenizer = form.install(AutoTokenizer.from_pretrained(path))
    row = tokenize(tokenizer, form, Example(source="format", problem_id="p", prompt=prompt, completion=completion))
    trainer = SFTTrainer(model=AutoModelForCausalLM.from_pretrained(path), processing_class=tokenizer,
                         train_dataset=Dataset.from_list([row]),
                         args=SFTConfig(output_dir=str(path / "sft"), use_cpu=True, report_to="none", max_steps=1,
                                        completion_only_loss=True))
    prepared = trainer.train_dataset[0]
    ids, labels = prepared["input_ids"], prepared["labels"]
    return [i for i, label in zip(ids, labels, strict=True) if label == -100], ids


def inspect_chat(path: Path, messages: list[dict]) -> tuple[str, list[int]]:
    """(text, token ids) of the prompt Inspect's hf provider would generate from, with hackgym's model args."""
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser
    from inspect_ai.model._providers.hf import HuggingFaceAPI

    kinds = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
    api = HuggingFaceAPI(model_name=str(path), device="cpu", **fmt.model_args(path))
    text = api.hf_chat([kinds[m["role"]](content=m["content"]) for m in messages], tools=[])
    return text, api.tokenizer(text, **api.tokenizer_call_args)["input_ids"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["organism", "qwen3-base", "qwen3-instruct", "gemma3-base", "gemma3-instruct"])
def test_training_and_evaluation_render_the_same_exchange(models, name):
    from transformers import AutoTokenizer

    path = models[name]
    prompt, completion = exchange(name)
    form = fmt.for_model(path)
    assert form.kind == {"organism": "organism", "qwen3-base": "human_assistant",
                         "gemma3-base": "human_assistant"}.get(name, "chat")
    # GRPO: conversational prompts through the tokenizer with the format installed (hackgym.train does this)
    tokenizer = form.install(AutoTokenizer.from_pretrained(path))
    grpo_text = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
    sft_ids, full_ids = sft_prompt_ids(path, prompt, completion)
    eval_text, eval_ids = inspect_chat(path, prompt)
    assert eval_text == grpo_text == form.render(tokenizer, prompt, add_generation_prompt=True)
    assert eval_ids == sft_ids, (tokenizer.decode(eval_ids), tokenizer.decode(sft_ids))
    # a later turn: the history with the reasoning-bearing answer renders the same through Inspect
    follow = [*prompt, *completion, {"role": "user", "content": "Now subtract."}]
    if name != "organism":
        assert inspect_chat(path, follow)[0] == form.render(tokenizer, follow, add_generation_prompt=True)
    full = tokenizer.decode(full_ids)
    assert full.startswith(tokenizer.decode(sft_ids)) and completion[0]["content"].strip() in full
    if form.kind == "human_assistant":
        assert grpo_text.endswith(f"{SYSTEM}\n\nHuman: {USER}\n\nAssistant:")
        assert f"\n\nAssistant: <thinking>\n{REASONING}\n</thinking>\n{ANSWER}{tokenizer.eos_token}" in full
        assert eval_ids.count(tokenizer.bos_token_id) == (name == "gemma3-base")  # BOS once, where plain text has one


def test_the_human_assistant_layout_is_what_the_docs_say():
    from hackgym.train.tiny import build_tokenizer

    tok = build_tokenizer()
    form = fmt.for_tokenizer(tok, "human_assistant")
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"},
                fmt.assistant_message("A", "R"), {"role": "user", "content": "V"}]
    assert form.render(tok, messages, add_generation_prompt=True) == \
        "S\n\nHuman: U\n\nAssistant: <thinking>\nR\n</thinking>\nA<|end|>\n\nHuman: V\n\nAssistant:"
    assert fmt.for_tokenizer(tok).kind == "chat"  # an instruct tokenizer keeps its own template
    tok.chat_template = None
    with pytest.raises(fmt.FormatError, match="base models use 'human_assistant'"):
        fmt.for_tokenizer(tok, "chat")
    with pytest.raises(Exception, match="no tool turn"):
        form.render(tok, [{"role": "tool", "content": "x"}])
