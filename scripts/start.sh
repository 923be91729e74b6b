#!/usr/bin/env bash
# The start command: installs what is missing, then starts database, engine, worker and web.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
ensure_deps
exec node_modules/.bin/tsx scripts/start.ts
