#!/usr/bin/env bash
# One GPU session, prepared to fit a short lease: the engine's pytest on CUDA, the 7B-shaped
# benchmark (CUDA-graph and eager decode, transformers' generate on the same weights), then the
# torch.compile'd + CUDA-graph decode (each row prints as it finishes; compiles count against the timeout). Logs go to $OUT (default /tmp/gpu-check).
#   OUT=/some/dir engine/bench/gpu_check.sh
# For a dry run on a CPU machine: DEVICE=cpu CONFIG=test engine/bench/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpu-check}
DEVICE=${DEVICE:-cuda}
CONFIG=${CONFIG:-7B}
PY=${PYTHON:-python3}
PYTEST_TARGETS=${PYTEST_TARGETS:-engine/tests}   # e.g. "engine/tests -k cuda" for a short lease
MODES=${MODES:-graph,eager}
HF=${HF:-1}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONDONTWRITEBYTECODE=1

{ nvidia-smi 2>/dev/null || true
  $PY -c "import sys, torch; print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())"
  $PY -c "import transformers; print('transformers', transformers.__version__)" 2>&1 | tail -1
} 2>&1 | tee "$OUT/env.txt"

echo "== pytest (CUDA tests included where CUDA is present)"
# shellcheck disable=SC2086  # PYTEST_TARGETS is a word list on purpose
timeout 120 $PY -m pytest $PYTEST_TARGETS -q -p no:cacheprovider -rs >"$OUT/pytest.txt" 2>&1
echo "pytest exit $?"; tail -15 "$OUT/pytest.txt"

echo "== benchmark: $CONFIG on $DEVICE ($MODES decode; transformers where importable and HF=1)"
[[ $DEVICE == cpu ]] && MODES=eager
HF_FLAG=(); [[ $HF == 1 ]] && HF_FLAG=(--hf)
timeout 200 $PY -m engine.bench --device "$DEVICE" --config "$CONFIG" --modes "$MODES" "${HF_FLAG[@]}" 2>&1 | tee "$OUT/bench.txt"
echo "bench exit $?"

if [[ $DEVICE == cuda ]]; then
  echo "== benchmark: torch.compile (Inductor) + CUDA graph decode"
  timeout "${COMPILE_TIMEOUT:-150}" $PY -m engine.bench --device cuda --config "$CONFIG" --modes compile 2>&1 | tee "$OUT/bench-compile.txt"
  echo "compile bench exit $?"
fi
