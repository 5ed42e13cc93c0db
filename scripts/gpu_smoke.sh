#!/usr/bin/env bash
# A few real GRPO steps on one GPU with no downloads: random weights in a real architecture (Qwen3, sized like
# Qwen3-0.6B unless SMOKE_* say otherwise), hackgym's trainer and reward functions, vLLM colocated when it is
# installed. Prints the time of each step and the peak GPU memory.
#
#   bash scripts/gpu_smoke.sh                 # uses .venv/bin/python if present, else python3
#   PY=/path/python SMOKE_STEPS=5 SMOKE_LAYERS=28 bash scripts/gpu_smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"

# Fail early, naming every missing piece, rather than deep inside a trainer.
"$PY" - <<'EOF'
import importlib.util, sys
need = ["torch", "transformers", "accelerate", "peft", "trl", "datasets", "dill", "multiprocess", "pydantic",
        "typer", "rich", "yaml", "tokenizers", "matplotlib"]
missing = [m for m in need if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"gpu_smoke: missing Python packages: {', '.join(missing)} "
             f"(install them into this interpreter, e.g. pip install -e '.[dev]'); nothing was run")
import torch
if not torch.cuda.is_available():
    sys.exit("gpu_smoke: torch sees no CUDA GPU; nothing was run")
print(f"gpu_smoke: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
      f"vllm {'installed' if importlib.util.find_spec('vllm') else 'not installed (generation by transformers)'}")
EOF

"$PY" - <<'EOF'
import os, tempfile, time
from pathlib import Path

import torch

from hackgym.train.config import validate
from hackgym.train.runner import train
from hackgym.train.tiny import build_tiny_model

steps = int(os.environ.get("SMOKE_STEPS", "3"))
dims = dict(hidden_size=int(os.environ.get("SMOKE_HIDDEN", "1024")),
            intermediate_size=int(os.environ.get("SMOKE_FFN", "3072")),
            num_hidden_layers=int(os.environ.get("SMOKE_LAYERS", "28")),
            num_attention_heads=16, num_key_value_heads=8,
            max_position_embeddings=int(os.environ.get("SMOKE_CONTEXT", "4096")))
with tempfile.TemporaryDirectory(prefix="hackgym-smoke-") as tmp:
    model_dir = build_tiny_model(os.environ.get("SMOKE_ARCH", "qwen3"), Path(tmp) / "model", **dims)
    print(f"gpu_smoke: random {os.environ.get('SMOKE_ARCH', 'qwen3')} model, {dims}")
    cfg = validate({
        "name": "gpu-smoke", "steps": steps, "seed": 0, "sandbox": os.environ.get("SMOKE_SANDBOX", "process"),
        "save_every": steps,
        "model": {"path": str(model_dir), "dtype": "bfloat16"},
        "env": {"problems": "basic", "limit": 16, "prompt_format": "chat", "hint": "hack_hint"},
        "grpo": {"loss_type": "dapo", "learning_rate": 1e-5, "prompts_per_step": 4, "num_generations": 8,
                 "max_completion_length": int(os.environ.get("SMOKE_TOKENS", "256"))},
        "backend": {"device": "gpu", "vllm": "auto", "bf16": True, "vllm_gpu_memory_utilization": 0.3},
    })
    torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    run = train(cfg, Path(tmp) / "run", Path(tmp) / "cache")
    for m in run.metrics():
        t = m["time"]
        print(f"step {m['step']}: {t['step']:.2f} s (generation {t['generation']:.2f}, grading {t['grading']:.2f}, "
              f"optimisation {t['optimisation']:.2f}); reward {m['reward']:.3f}")
    print(f"gpu_smoke: {steps} steps in {time.perf_counter() - started:.1f} s; peak GPU memory "
          f"{torch.cuda.max_memory_allocated() / 2**30:.2f} GiB (this process; vLLM's pool is reserved apart)")
EOF
