"""Tiny random-weight models of a real architecture, built offline: for dry runs, tests, benchmarks and the GPU
smoke test. The tokenizer is a byte-level BPE trained here on the `basic` problems' text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..problems import load_problems

# A minimal chat template (system/user/assistant turns) so chat-format environments work on the tiny model.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SPECIAL = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]

# Small sizes per architecture; everything else keeps the config class's defaults (the real architecture).
TINY_DIMS: dict[str, Any] = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                                 num_key_value_heads=2, max_position_embeddings=1024)


def local_corpus() -> list[str]:
    texts = []
    for p in load_problems("basic"):
        texts += [p.prompt, p.reference_solution or "", p.test, "<thinking>I will solve it.</thinking>\n```python\n"]
    return texts


def build_tokenizer(vocab_size: int = 1024):
    """A byte-level BPE `PreTrainedTokenizerFast` with pad/eos and a chat template, trained in about a second."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(local_corpus(), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|pad|>", eos_token="<|end|>",
                                   bos_token="<|end|>", padding_side="left")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_config(model_type: str, vocab_size: int, **overrides: Any):
    """The architecture's own config class at toy size; `head_dim` is set where the class has one."""
    from transformers import AutoConfig

    kwargs = dict(TINY_DIMS, vocab_size=vocab_size, tie_word_embeddings=True, **overrides)
    config = AutoConfig.for_model(model_type, **kwargs)
    if hasattr(config, "head_dim"):
        config.head_dim = config.hidden_size // config.num_attention_heads
    if model_type.startswith("gemma3"):
        config.sliding_window = 64
    return config


def build_tiny_model(model_type: str, out_dir: str | Path, seed: int = 0, vocab_size: int = 1024,
                     **overrides: Any) -> Path:
    """Save a random-weight causal LM of `model_type` and its tokenizer as a Hugging Face model directory."""
    import torch
    from transformers import AutoModelForCausalLM

    out = Path(out_dir)
    if (out / "config.json").is_file():
        return out
    tokenizer = build_tokenizer(vocab_size)
    config = tiny_config(model_type, len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                         eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.bos_token_id, **overrides)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
