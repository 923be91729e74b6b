#!/usr/bin/env bash
# Run the engine's pytest suite with Debian's CPU PyTorch, installing what it needs when run as root.
# Exits with pytest's code; pytest's final summary line ("N passed, M skipped in Ts") is kept
# intact because the main test command parses it.
set -uo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(python3-torch python3-sentencepiece python3-pytest libopenblas0-pthread)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "engine-test: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || {
      echo "engine-test: apt-get failed to install ${missing[*]}" >&2; exit 1; }
  else
    echo "engine-test: missing Debian packages ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
fi

# Idle OpenMP threads sleep rather than spin: the suite often shares the 2 cores with other work.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
# Debian's python3, not whatever python3 is first on PATH: only it sees the Debian packages.
exec /usr/bin/python3 -m pytest engine/tests -q -p no:cacheprovider "$@"
