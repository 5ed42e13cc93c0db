"""Continued pretraining on a mix (Parquet with a `text` column): transformers Trainer, full or LoRA.

`model="tiny"` builds a small random model with a tokenizer trained on the mix (CPU runs, tests);
any other value is a local path or a Hugging Face id loaded with `from_pretrained`. Checkpoints go to
`out/checkpoint-*`; a rerun with the same `out` resumes from the newest. The final model (LoRA merged)
is saved to `out/final`, so every consumer loads it the same way.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = "tiny"
    data: Path
    out: Path
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    max_steps: int = 200
    lr: float = 5e-4
    batch_size: int = 8
    grad_accum: int = 1
    seq_len: int = 128
    save_steps: int = 50
    seed: int = 0
    use_cpu: bool = False
    bf16: bool = False
    tiny_vocab: int = 512
    tiny_width: int = 64
    tiny_layers: int = 2
    threads: int | None = None  # CPU threads for torch; 1 is fastest for tiny models on a busy machine


def _blocks(texts: list[str], tokenizer, seq_len: int) -> list[list[int]]:
    """Documents joined with EOS and cut into equal blocks (packing: no padding is trained on)."""
    ids: list[int] = []
    for batch_start in range(0, len(texts), 512):
        enc = tokenizer(texts[batch_start:batch_start + 512], add_special_tokens=False)["input_ids"]
        for row in enc:
            ids.extend(row + [tokenizer.eos_token_id])
    return [ids[i:i + seq_len] for i in range(0, len(ids) - seq_len + 1, seq_len)]


def _load(cfg: TrainConfig, texts: list[str]):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = cfg.model
    if cfg.model == "tiny":
        init = cfg.out / "init"
        if not (init / "config.json").exists():
            from .tiny import build_tiny_model

            build_tiny_model(init, texts, vocab_size=cfg.tiny_vocab, width=cfg.tiny_width, layers=cfg.tiny_layers,
                             context=max(256, cfg.seq_len), seed=cfg.seed)
        source = str(init)
    tokenizer = AutoTokenizer.from_pretrained(source)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(source)
    if cfg.lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules="all-linear",
                                                 task_type="CAUSAL_LM"))
    return model, tokenizer


def latest_checkpoint(out: Path) -> Path | None:
    ckpts = sorted(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    return ckpts[-1] if ckpts else None


def train(cfg: TrainConfig, resume: bool = True) -> Path:
    """Train and return the final model folder."""
    from datasets import Dataset
    from transformers import DataCollatorForLanguageModeling, Trainer, TrainingArguments, set_seed

    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)
    set_seed(cfg.seed)
    texts = [t for t in Dataset.from_parquet(str(cfg.data))["text"] if t]
    if not texts:
        raise ValueError(f"{cfg.data} holds no text")
    model, tokenizer = _load(cfg, texts)
    blocks = _blocks(texts, tokenizer, cfg.seq_len)
    if not blocks:
        raise ValueError(f"{cfg.data} is shorter than one block of {cfg.seq_len} tokens")
    dataset = Dataset.from_dict({"input_ids": blocks})
    args = TrainingArguments(
        output_dir=str(cfg.out), max_steps=cfg.max_steps, per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum, learning_rate=cfg.lr, lr_scheduler_type="cosine",
        warmup_steps=min(20, cfg.max_steps // 10), save_steps=cfg.save_steps, save_total_limit=2,
        logging_steps=max(1, cfg.max_steps // 20), report_to=[], seed=cfg.seed, data_seed=cfg.seed,
        use_cpu=cfg.use_cpu, bf16=cfg.bf16, dataloader_num_workers=0, disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=dataset,
                      data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False))
    checkpoint = latest_checkpoint(cfg.out) if resume else None
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    final = cfg.out / "final"
    model = trainer.model
    if cfg.lora:
        model = model.merge_and_unload()
    model.save_pretrained(final)
    tokenizer.save_pretrained(final)
    return final
