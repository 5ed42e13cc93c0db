"""`hackgym sdf generate|mix|train|knowledge`: synthetic documents, mixing, continued pretraining, probes."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import HackgymError

console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Synthetic document finetuning: generate corpora, mix, train, probe hack knowledge.",
                        no_args_is_help=True)

    @group.command("generate")
    def generate_cmd(
        corpus: str = typer.Option("default", help="default | unguided | neutral"),
        n: int = typer.Option(1000, help="number of documents"),
        backend: str = typer.Option("offline", help="'offline' or an Inspect model, e.g. openai/gpt-4o, hf/PATH"),
        out: Path = typer.Option(..., help="output JSONL (appended to and resumed by the LLM backend)"),
        seed: int = typer.Option(0, help="offline backend: the seed that fixes every document"),
        hack: list[str] = typer.Option(None, help="restrict to these hacks (repeatable): study ids or any `hackgym.hacks` id; default the study's three"),
        concurrency: int = typer.Option(8, help="LLM backend: concurrent model calls"),
        cache_dir: Path = typer.Option(None, help="LLM backend: call cache (default OUT.cache)"),
        ideas_per_type: int = typer.Option(8, help="LLM backend: ideas brainstormed per document type"),
        brainstorm_types: int = typer.Option(0, help="LLM backend: let the model add up to K document types"),
        no_revise: bool = typer.Option(False, help="LLM backend: skip the critique-and-revise pass"),
        no_neutral_check: bool = typer.Option(False, help="LLM backend, neutral corpus: keep documents without "
                                              "the judge's check for normative claims"),
        max_tokens: int = typer.Option(2000, help="LLM backend: tokens per call"),
    ) -> None:
        """Write N documents of one corpus to OUT (JSONL, one record per line)."""
        from ..sdf import CORPORA, HACKS, generate_llm, generate_offline, register_hack
        from ..sdf.io import write_jsonl

        if corpus not in CORPORA:
            raise HackgymError(f"unknown corpus {corpus!r}: use one of {', '.join(CORPORA)}")
        for h in hack or []:
            if h not in HACKS:
                from ..hacks import CATALOGUE
                from ..sdf.hacks import spec_from_catalogue

                if h not in CATALOGUE:
                    raise HackgymError(f"unknown hack {h!r}: use {', '.join(HACKS)} or a `hackgym.hacks` id")
                register_hack(spec_from_catalogue(h))
        with _progress() as bar:
            task = bar.add_task(f"{corpus} via {backend}", total=n)
            if backend == "offline":
                def stream():
                    for doc in generate_offline(corpus, n, seed=seed, hacks=hack or None):
                        bar.advance(task)
                        yield doc

                written = write_jsonl(out, stream())
                console.print(f"wrote {written} documents to {out}")
            else:
                stats = generate_llm(backend, corpus, n, out, cache_dir=cache_dir, hacks=hack or None,
                                     concurrency=concurrency, ideas_per_type=ideas_per_type, revise=not no_revise,
                                     check_neutral=corpus == "neutral" and not no_neutral_check,
                                     brainstorm_types=brainstorm_types,
                                     max_tokens=max_tokens, progress=lambda k: bar.advance(task, k))
                console.print(f"wrote {stats.written} new documents to {out} ({stats.resumed} already there); "
                              f"{stats.calls} model calls, {stats.cache_hits} from cache, "
                              f"{stats.duplicates} near-duplicates and {stats.empty} empty answers dropped")
                if stats.checked:
                    console.print(f"neutral filter: {stats.normative} of {stats.checked} documents made a normative "
                                  f"claim and {stats.unreadable} got no readable verdict; dropped "
                                  f"{stats.filter_drop_rate:.1%}")

    @group.command("mix")
    def mix_cmd(
        docs: Path = typer.Option(..., help="documents JSONL from `sdf generate`"),
        corpus: Path = typer.Option(None, help="ordinary text: .txt or .jsonl with 'text'; default: stdlib docstrings"),
        ratio: float = typer.Option(0.01, help="share of synthetic documents in the mix"),
        out: Path = typer.Option(..., help="output Parquet file (a dataset card is written beside it)"),
        seed: int = typer.Option(0),
    ) -> None:
        """Dilute documents into ordinary text and save a Hugging Face dataset as Parquet."""
        from ..sdf import mix, save_mix
        from ..sdf.io import read_jsonl

        records = read_jsonl(docs)
        if not records:
            raise HackgymError(f"{docs}: no documents")
        with console.status("mixing"):
            ds = mix(records, corpus, ratio, seed=seed)
            save_mix(ds, out)
        console.print(f"{out}: {ds.info.description}")

    @group.command("train")
    def train_cmd(
        data: Path = typer.Option(..., help="Parquet mix from `sdf mix`"),
        out: Path = typer.Option(..., help="run folder: checkpoints, then final/"),
        model: str = typer.Option("tiny", help="'tiny' (random small model), a local folder or a Hugging Face id"),
        lora: bool = typer.Option(False, help="train LoRA adapters (merged into final/)"),
        lora_r: int = typer.Option(16),
        max_steps: int = typer.Option(200),
        lr: float = typer.Option(5e-4),
        batch_size: int = typer.Option(8),
        grad_accum: int = typer.Option(1),
        seq_len: int = typer.Option(128),
        save_steps: int = typer.Option(50),
        seed: int = typer.Option(0),
        cpu: bool = typer.Option(False, help="force CPU even if a GPU is present"),
        bf16: bool = typer.Option(False, help="bf16 mixed precision (GPU)"),
        threads: int = typer.Option(None, help="CPU threads for torch (1 is fastest for tiny models)"),
        no_resume: bool = typer.Option(False, help="start over instead of resuming from the newest checkpoint"),
    ) -> None:
        """Continued pretraining on a mix; resumes from OUT's newest checkpoint unless --no-resume."""
        from ..sdf.train import TrainConfig, train

        cfg = TrainConfig(model=model, data=data, out=out, lora=lora, lora_r=lora_r, max_steps=max_steps, lr=lr,
                          batch_size=batch_size, grad_accum=grad_accum, seq_len=seq_len, save_steps=save_steps,
                          seed=seed, use_cpu=cpu, bf16=bf16, threads=threads)
        final = train(cfg, resume=not no_resume)
        console.print(f"final model: {final}")

    @group.command("knowledge")
    def knowledge_cmd(
        model: str = typer.Option(..., help="a local model folder, or an Inspect model such as openai/gpt-4o"),
        backend: str = typer.Option("auto", help="auto | local (transformers, also for HF ids) | inspect"),
        samples: int = typer.Option(4, help="samples per completion probe"),
        max_new_tokens: int = typer.Option(48),
        seed: int = typer.Option(0),
        device: str = typer.Option("cpu", help="local backend: torch device, e.g. cuda"),
        out: Path = typer.Option(None, help="write the full report (with samples) as JSON"),
    ) -> None:
        """Probe hack knowledge: completion probes, and log-likelihood of hack snippets vs controls."""
        from ..sdf.knowledge import knowledge_inspect, knowledge_local

        local = backend == "local" or (backend == "auto" and Path(model).exists())
        with console.status("probing"):
            if local:
                report = knowledge_local(model, samples_per_probe=samples, max_new_tokens=max_new_tokens, seed=seed,
                                         device=device)
            else:
                report = knowledge_inspect(model, samples_per_probe=samples, max_new_tokens=max_new_tokens, seed=seed)
        table = Table("hack", "probe hit rate", "log-lik margin (hack - control)")
        for h, rate in report.probe_hits.items():
            margin = report.ll_margins.get(h) if report.ll_margins else None
            table.add_row(h, f"{rate:.3f}", "n/a" if margin is None else f"{margin:+.3f}")
        table.add_row("[bold]any / mean", f"{report.probe_hit_rate:.3f}",
                      "n/a" if report.ll_margin is None else f"{report.ll_margin:+.3f}")
        Console().print(table)
        if out:
            out.write_text(json.dumps(report.model_dump(), indent=1), encoding="utf-8")

    app.add_typer(group, name="sdf")
