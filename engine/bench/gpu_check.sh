#!/usr/bin/env bash
# One GPU session, prepared to fit a short lease: the engine's pytest on CUDA, the 7B-shaped
# benchmark (CUDA-graph and eager decode, transformers' generate on the same weights), then the
# torch.compile'd + CUDA-graph decode (each row prints as it finishes; compiles count against the timeout),
# then the HTTP service under 1-64 concurrent streaming clients (continuous batching vs serialised).
# Logs go to $OUT (default /tmp/gpu-check).
#   OUT=/some/dir engine/bench/gpu_check.sh
# For a dry run on a CPU machine: DEVICE=cpu CONFIG=test engine/bench/gpu_check.sh
# SECTIONS picks what runs (default all): pytest,bench,compile,serve,scale. The training-at-size
# measurements (issue 17: 1B full and 7B LoRA reward training, a 7B PPO iteration on one shared
# base, rejection-sampling sampling at 7B, each with the memory plan's prediction) are "scale";
# within a 10-minute lease run SECTIONS=scale,pytest PYTEST_TARGETS="engine/tests/test_lora.py".
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpu-check}
DEVICE=${DEVICE:-cuda}
CONFIG=${CONFIG:-7B}
PY=${PYTHON:-python3}
PYTEST_TARGETS=${PYTEST_TARGETS:-engine/tests}   # e.g. "engine/tests -k cuda" for a short lease
MODES=${MODES:-graph,eager}
SECTIONS=${SECTIONS:-pytest,bench,compile,serve,scale}
on() { [[ ",$SECTIONS," == *",$1,"* ]]; }
HF=${HF:-1}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONDONTWRITEBYTECODE=1

{ nvidia-smi 2>/dev/null || true
  $PY -c "import sys, torch; print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())"
  $PY -c "import transformers; print('transformers', transformers.__version__)" 2>&1 | tail -1
} 2>&1 | tee "$OUT/env.txt"

if on scale; then
  echo "== training at size: reward 1B full, reward 7B LoRA, PPO 7B LoRA shared base, RS sampling 7B"
  SCALE_FLAGS=(); [[ $DEVICE == cpu ]] && SCALE_FLAGS=(--small)
  timeout "${SCALE_TIMEOUT:-330}" $PY -m engine.bench.scale --device "$DEVICE" "${SCALE_FLAGS[@]}" 2>&1 | tee "$OUT/bench-scale.jsonl"
  echo "scale bench exit $?"
fi

if on pytest; then
echo "== pytest (CUDA tests included where CUDA is present)"
# shellcheck disable=SC2086  # PYTEST_TARGETS is a word list on purpose
timeout 120 $PY -m pytest $PYTEST_TARGETS -q -p no:cacheprovider -rs >"$OUT/pytest.txt" 2>&1
echo "pytest exit $?"; tail -15 "$OUT/pytest.txt"
fi

if on bench; then
echo "== benchmark: $CONFIG on $DEVICE ($MODES decode; transformers where importable and HF=1)"
[[ $DEVICE == cpu ]] && MODES=eager
HF_FLAG=(); [[ $HF == 1 ]] && HF_FLAG=(--hf)
timeout 200 $PY -m engine.bench --device "$DEVICE" --config "$CONFIG" --modes "$MODES" "${HF_FLAG[@]}" 2>&1 | tee "$OUT/bench.txt"
echo "bench exit $?"
fi

if [[ $DEVICE == cuda ]] && on compile; then
  echo "== benchmark: torch.compile (Inductor) + CUDA graph decode"
  timeout "${COMPILE_TIMEOUT:-150}" $PY -m engine.bench --device cuda --config "$CONFIG" --modes compile 2>&1 | tee "$OUT/bench-compile.txt"
  echo "compile bench exit $?"
fi

on serve || exit 0
echo "== serve: continuous batching vs serialised through HTTP, $CONFIG shape (random weights), context 1024"
# 64 clients x n=2 = 128 rows of 1,024 slots (~69 GB of KV at 7B bf16); serialised only at 1 and 8 clients.
timeout "${SERVE_TIMEOUT:-300}" $PY -m engine.bench serve --device "$DEVICE" --config "$CONFIG" --context 1024 \
  --clients "${SERVE_CLIENTS:-1,8,32,64}" --serial-clients "${SERVE_SERIAL_CLIENTS:-1,8}" --requests 2 \
  --max-tokens 128 2>&1 | tee "$OUT/bench-serve.txt"
echo "serve bench exit $?"
