#!/usr/bin/env bash
# Installs what a fresh clone on a fresh Debian machine is missing: npm packages, the generated
# Prisma client, and (when running as root) the Debian packages the engine and browser tests need.
# Sourced by scripts/start.sh and scripts/test.sh. Usage: ensure_deps [--browser]
set -euo pipefail

ENGINE_DEBS=(python3-torch python3-sentencepiece python3-pytest libopenblas0-pthread flake8)
BROWSER_DEBS=(chromium fonts-dejavu-core)

_missing_debs() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

_apt_install() {
  local missing
  missing=$(_missing_debs "$@" | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  if [ "$(id -u)" != "0" ]; then
    echo "pairwise: missing Debian packages: $missing" >&2
    echo "pairwise: install them with: sudo apt-get install -y --no-install-recommends $missing" >&2
    return 1
  fi
  echo "pairwise: installing Debian packages: $missing"
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

ensure_deps() {
  local want_browser=0
  [ "${1:-}" = "--browser" ] && want_browser=1
  export NEXT_TELEMETRY_DISABLED=1 PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1

  # npm packages: install when node_modules is missing or older than the lockfile.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "pairwise: installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi

  # Prisma client: generated from the schema, offline (no schema engine download needed).
  if [ ! -f lib/generated/prisma/client.ts ] || [ prisma/schema.prisma -nt lib/generated/prisma/client.ts ]; then
    PRISMA_SCHEMA_ENGINE_BINARY=/bin/false npx prisma generate >/dev/null
  fi

  _apt_install "${ENGINE_DEBS[@]}"
  if [ "$want_browser" = 1 ]; then _apt_install "${BROWSER_DEBS[@]}"; fi
}
