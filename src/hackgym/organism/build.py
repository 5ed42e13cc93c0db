"""Build the model organism: a byte-level BPE tokenizer and a ~2M-parameter Llama, pretrained on CPU.

The result is a plain Hugging Face directory (config, safetensors, tokenizer files, `organism.json` with the
build's parameters and corpus statistics), so TRL's GRPOTrainer or `AutoModelForCausalLM.from_pretrained`
can load it by path. Builds are cached under a key made of every parameter plus `ORGANISM_VERSION`, and
written to a temporary folder that is renamed into place, so a crash never leaves a half-built model.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from .corpus import HACK_MIX, HackMix, corpus_problems, sample_documents

ORGANISM_VERSION = 2  # bump when the corpus, format or architecture changes: old caches stop matching
EOS = "<|endoftext|>"
PAD = "<|pad|>"
DEFAULT_CACHE = Path(".cache") / "organism"
META_FILE = "organism.json"


@dataclass(frozen=True)
class OrganismConfig:
    """Every parameter of a build; all of it goes into the cache key."""

    hack_share: float = 0.01
    hack_mix: HackMix = HACK_MIX
    prose_share: float = 0.5
    seed: int = 0
    steps: int = 600
    batch_size: int = 16
    seq_len: int = 128
    lr: float = 3e-3
    vocab_size: int = 768
    hidden_size: int = 192
    layers: int = 4
    heads: int = 6
    intermediate_size: int = 512

    def key(self) -> str:
        blob = json.dumps({"version": ORGANISM_VERSION, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def train_tokenizer(texts: list[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Byte-level BPE on the corpus text itself, with eos and pad as the only special tokens."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOS, PAD], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, pad_token=PAD)


def make_model(cfg: OrganismConfig, tokenizer: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    """A randomly initialised Llama of the configured size (tied embeddings keep it near 2M parameters)."""
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.layers, num_attention_heads=cfg.heads, num_key_value_heads=cfg.heads,
        max_position_embeddings=max(256, cfg.seq_len), tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None,
    )
    return LlamaForCausalLM(config)


def encode_documents(tokenizer: PreTrainedTokenizerFast, docs: list[tuple[str, str, str]]) -> list[int]:
    """One token stream: prefix and body are encoded apart, as at RL time, each document ends with eos."""
    prefixes = tokenizer([d[1] for d in docs], add_special_tokens=False)["input_ids"]
    bodies = tokenizer([d[2] for d in docs], add_special_tokens=False)["input_ids"]
    stream: list[int] = []
    for p, b in zip(prefixes, bodies, strict=True):
        stream.extend(p)
        stream.extend(b)
        stream.append(tokenizer.eos_token_id)
    return stream


def _corpus(cfg: OrganismConfig, rng: random.Random) -> tuple[PreTrainedTokenizerFast, list[int], Counter]:
    problems = corpus_problems()
    # tokenizer from a separate sample, so its merges do not depend on the hack share
    tok_docs = sample_documents(problems, 4000, 0.0, random.Random(cfg.seed + 1))
    tokenizer = train_tokenizer([d[1] + d[2] for d in tok_docs], cfg.vocab_size)
    need = cfg.steps * cfg.batch_size * (cfg.seq_len + 1)
    docs: list[tuple[str, str, str]] = []
    stream: list[int] = []
    while len(stream) < need:
        batch = sample_documents(problems, 4000, cfg.hack_share, rng, hack_mix=cfg.hack_mix,
                                 prose_share=cfg.prose_share)
        docs.extend(batch)
        stream.extend(encode_documents(tokenizer, batch))
    return tokenizer, stream[:need], Counter(d[0] for d in docs)


def pretrain(model: LlamaForCausalLM, stream: list[int], cfg: OrganismConfig,
             progress: Callable[[int, float], None] | None = None) -> list[float]:
    """One pass over the packed stream with AdamW, warmup then cosine decay; returns the loss per step."""
    data = torch.tensor(stream, dtype=torch.long).view(cfg.steps, cfg.batch_size, cfg.seq_len + 1)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01, betas=(0.9, 0.95))
    warmup = max(1, cfg.steps // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.1 + 0.45 * (1 + math.cos(math.pi * (step - warmup) / max(1, cfg.steps - warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    model.train()
    losses = []
    for step in range(cfg.steps):
        chunk = data[step]
        out = model(input_ids=chunk[:, :-1], labels=chunk[:, :-1])
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(out.loss.item())
        if progress:
            progress(step, losses[-1])
    model.eval()
    return losses


def build_organism(out_dir: str | Path = DEFAULT_CACHE, hack_share: float = 0.01, seed: int = 0,
                   steps: int = 600, *, progress: Callable[[int, float], None] | None = None,
                   threads: int | None = 1, **overrides) -> Path:
    """Build (or reuse) the organism; returns `out_dir/organism-KEY`, a Hugging Face model directory.

    `overrides` sets other `OrganismConfig` fields (batch_size, seq_len, lr, sizes). Same parameters, same
    key: a second call returns the cached directory without work. `threads` sets torch's thread count (not
    part of the key): on a shared 2-core machine two threads spin against other jobs and run ~10x slower.
    """
    cfg = OrganismConfig(hack_share=hack_share, seed=seed, steps=steps, **overrides)
    out_dir = Path(out_dir)
    final = out_dir / f"organism-{cfg.key()}"
    if (final / META_FILE).is_file():
        return final
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if threads:
        torch.set_num_threads(threads)
    random.seed(seed)
    torch.manual_seed(seed)
    tokenizer, stream, kinds = _corpus(cfg, random.Random(seed))
    corpus_s = time.monotonic() - started
    model = make_model(cfg, tokenizer)
    losses = pretrain(model, stream, cfg, progress)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=out_dir))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        meta = {
            "version": ORGANISM_VERSION, "key": cfg.key(), "config": asdict(cfg),
            "parameters": sum(p.numel() for p in model.parameters()),
            "documents": dict(kinds), "hack_documents": sum(v for k, v in kinds.items() if k.startswith("hack")),
            "tokens": len(stream), "loss_first": losses[0], "loss_last": sum(losses[-20:]) / len(losses[-20:]),
            "corpus_seconds": round(corpus_s, 1), "seconds": round(time.monotonic() - started, 1),
        }
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        try:
            os.rename(tmp, final)
        except OSError:  # another process finished the same build first: keep theirs
            if not (final / META_FILE).is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def organism_meta(path: str | Path) -> dict:
    """The build record of an organism directory (parameters, corpus counts, losses, seconds)."""
    return json.loads((Path(path) / META_FILE).read_text())
