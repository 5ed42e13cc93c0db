#!/usr/bin/env bash
# Gemma 3 270M (or any packaged model) through hackgym's RL loop on a GPU host with no network, no bubblewrap
# and no model cache. Stages: pack (here) -> stage each bin, probe, setup, run, eval (on the host); see
# scripts/gpu_real.py for each. Rehearsed on a CPU with a tiny model by tests/test_gpu_real.py.
#
#   bash scripts/gpu_real.sh pack                        # here: .gpu_carry/bin-NN (<= 60 MiB each) + the calls
#   bash scripts/gpu_real.sh stage .gpu_carry/bin-01 && bash scripts/gpu_real.sh probe    # host, per bin
#   bash scripts/gpu_real.sh setup && bash scripts/gpu_real.sh run configs/gemma-270m-gpu.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
STAGE=${GPU_REAL_STAGE:-.gpu_stage}
case $STAGE in /*) ;; *) STAGE=$PWD/$STAGE ;; esac
export GPU_REAL_STAGE=$STAGE HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH="$PWD/src:$STAGE/site${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" scripts/gpu_real.py "$@"
