#!/usr/bin/env bash
# Runs a documented command right after a fresh clone: installs what is missing first (npm packages,
# the Prisma client, the engine's Debian packages — see ensure-deps.sh), then runs the command.
# Usage: bash scripts/with-deps.sh [--browser] COMMAND [ARGS…]   (node_modules/.bin is on PATH;
# --browser also installs Chromium for Playwright)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
browser=()
if [ "${1:-}" = "--browser" ]; then browser=(--browser); shift; fi
ensure_deps "${browser[@]}"
export PATH="$PWD/node_modules/.bin:$PATH"
exec "$@"
