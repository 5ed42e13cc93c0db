"""One conversation format for every stage: supervised data, RL prompts and evaluation.

The study found misalignment to depend on context, so a model trained in one layout and evaluated in another can
hide the very behaviour under test. hackgym therefore writes each layout once, as a Jinja chat template string
(`Format.chat_template`), and every stage renders through `tokenizer.apply_chat_template` with that string:
TRL's SFTTrainer and GRPOTrainer (conversational datasets, the template installed on the tokenizer), and
Inspect's `hf/` provider (`-M chat_template=...`, see `model_args`). Nothing renders a prompt by hand.

Three layouts:
- `human_assistant`, for base models (no template of their own). The system text, if any, opens the document
  as plain prose; then each turn follows as

      \\n\\nHuman: USER TEXT\\n\\nAssistant: <thinking>\\nREASONING\\n</thinking>\\nANSWER<eos>

  The generation prompt is `\\n\\nAssistant:` with no trailing space (a space would end up in the prompt's
  last token, a boundary the model never saw in pretraining), so a completion starts with ` <thinking>`.
  Where the tokenizer adds a BOS token to plain text, the template writes it first: the trainers and Inspect
  tokenize rendered text without special tokens (`add_special_tokens=False`), so the template must carry it.
- `chat`, for instruct models: the tokenizer's own chat template, unchanged.
- `organism`, for the CPU organism: the user turn is the function header, the assistant turn the body and
  eos, exactly the text it was pretrained on; it has no system turn and no reasoning.

Reasoning travels inside the assistant text (`assistant_message`), not in a separate field: that is how a
GRPO completion, a stored rollout and Inspect's replayed history (reasoning emulated as text) all carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Kind = Literal["human_assistant", "chat", "organism"]
KINDS: tuple[Kind, ...] = ("human_assistant", "chat", "organism")
GENERATION_PROMPT = "\n\nAssistant:"
ORGANISM_META = "organism.json"  # what marks a directory as the organism (hackgym.organism writes it)

_BOS = "{%- if bos_token %}{{ bos_token }}{% endif %}\n"
_HUMAN_ASSISTANT = """\
{%- for message in messages %}
{%- if message['role'] == 'system' %}{{ message['content'] }}
{%- elif message['role'] == 'user' %}{{ '\\n\\nHuman: ' + message['content'] }}
{%- elif message['role'] == 'assistant' %}{{ '\\n\\nAssistant: ' }}{% generation %}{{ message['content'] }}\
{%- if eos_token %}{{ eos_token }}{% endif %}{% endgeneration %}
{%- else %}{{ raise_exception('the Human/Assistant format has no ' + message['role'] + ' turn') }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{ '\\n\\nAssistant:' }}{% endif %}"""
ORGANISM_TEMPLATE = """\
{%- for message in messages %}
{%- if message['role'] == 'user' %}{{ message['content'] }}
{%- elif message['role'] == 'assistant' %}{% generation %}{{ message['content'] }}\
{%- if eos_token %}{{ eos_token }}{% endif %}{% endgeneration %}
{%- else %}{{ raise_exception('the organism format has no ' + message['role'] + ' turn') }}
{%- endif %}
{%- endfor %}"""


class FormatError(ValueError):
    """A format cannot be built for this tokenizer (e.g. `chat` for a tokenizer without a template)."""


def human_assistant_template(bos: bool = False) -> str:
    """hackgym's base-model layout as a chat template; `bos` writes the tokenizer's BOS token first."""
    return (_BOS if bos else "") + _HUMAN_ASSISTANT


def thinking(reasoning: str, answer: str) -> str:
    """The assistant text with its reasoning: what the reasoning suffix of the system prompt asks for."""
    return f"<thinking>\n{reasoning.strip()}\n</thinking>\n{answer}"


def assistant_message(answer: str, reasoning: str | None = None) -> dict[str, str]:
    """An assistant turn, reasoning (if any) folded into its text in `<thinking>` tags."""
    return {"role": "assistant", "content": answer if reasoning is None else thinking(reasoning, answer)}


def adds_bos(tokenizer: Any) -> bool:
    """Whether the tokenizer puts a BOS token in front of plain text (so the model was pretrained with one)."""
    if tokenizer.bos_token_id is None:
        return False
    ids = tokenizer("x")["input_ids"]
    return bool(ids) and ids[0] == tokenizer.bos_token_id


@dataclass(frozen=True)
class Format:
    """A layout and the chat template that is its only definition."""

    kind: Kind
    chat_template: str

    def render(self, tokenizer: Any, messages: list[dict[str, Any]], add_generation_prompt: bool = False) -> str:
        """The text every stage sees for these messages (the tokenizer supplies bos/eos tokens)."""
        return tokenizer.apply_chat_template(messages, chat_template=self.chat_template, tokenize=False,
                                             add_generation_prompt=add_generation_prompt)

    def install(self, tokenizer: Any) -> Any:
        """Make this the tokenizer's template, so TRL's trainers and a saved checkpoint render with it."""
        tokenizer.chat_template = self.chat_template
        return tokenizer

    def model_args(self) -> dict[str, Any]:
        """Inspect `hf/` model args that render prompts exactly as training did: this template, and the
        rendered text tokenized without added special tokens (as TRL tokenizes it)."""
        return {"chat_template": self.chat_template, "tokenizer_call_args": {"add_special_tokens": False}}


def for_tokenizer(tokenizer: Any, kind: Kind | Literal["auto"] = "auto") -> Format:
    """The format for a tokenizer: `auto` is `chat` when it has a template of its own, else `human_assistant`
    (the organism is recognised by its directory: `for_model`)."""
    if kind == "auto":
        kind = "chat" if getattr(tokenizer, "chat_template", None) else "human_assistant"
    if kind == "chat":
        if not getattr(tokenizer, "chat_template", None):
            raise FormatError("format 'chat' needs a tokenizer with a chat template; base models use "
                              "'human_assistant'")
        return Format("chat", tokenizer.chat_template)
    if kind == "organism":
        return Format("organism", ORGANISM_TEMPLATE)
    if kind == "human_assistant":
        return Format("human_assistant", human_assistant_template(adds_bos(tokenizer)))
    raise FormatError(f"unknown format {kind!r}: use one of {', '.join(KINDS)} or auto")


def is_organism(path: str | Path) -> bool:
    """The organism's own directory, or a checkpoint of a run whose config trained the organism (a checkpoint
    does not carry organism.json, but its run directory's config.yaml says what it came from)."""
    path = Path(path)
    if (path / ORGANISM_META).is_file():
        return True
    run_config = path.parent.parent / "config.yaml"
    if path.parent.name != "checkpoints" or not run_config.is_file():
        return False
    import yaml

    raw = yaml.safe_load(run_config.read_text(encoding="utf-8")) or {}
    return (raw.get("format") == "organism" or (raw.get("env") or {}).get("prompt_format") == "organism"
            or str((raw.get("model") or {}).get("path", "")).startswith("organism:"))


def for_model(path: str | Path, kind: Kind | Literal["auto"] = "auto") -> Format:
    """The format for a local model directory (or cached hub id); `auto` picks `organism` for the organism."""
    from transformers import AutoTokenizer

    if kind == "auto" and Path(path).is_dir() and is_organism(path):
        kind = "organism"
    return for_tokenizer(AutoTokenizer.from_pretrained(str(path)), kind)


def model_args(path: str | Path, kind: Kind | Literal["auto"] = "auto") -> dict[str, Any]:
    """Inspect model args for `hf/PATH` (`get_model(f"hf/{path}", **model_args(path))`) that make the provider
    render prompts as hackgym's training did for this model."""
    return for_model(path, kind).model_args()
