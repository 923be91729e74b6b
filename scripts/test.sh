#!/usr/bin/env bash
# The test command: installs what is missing, then runs every suite — typecheck, lint (ESLint,
# Prettier, flake8's pyflakes checks on the Python), unit and
# database tests on PGlite, the database suites again on the PostgreSQL server at 127.0.0.1:5432,
# the engine's pytest, and Playwright e2e in Chromium — and ends with one line
# "N passed, N failed" summing all of them. Exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
ensure_deps --browser || { echo "0 passed, 1 failed"; exit 1; }
set +e

mkdir -p test-results
PASSED=0
FAILED=0
SUMMARY=()

record() { # name passed failed
  PASSED=$((PASSED + $2))
  FAILED=$((FAILED + $3))
  SUMMARY+=("$(printf '%-28s %5s passed %5s failed' "$1" "$2" "$3")")
}

check() { # name command… — a pass/fail check that counts as one test
  local name=$1
  shift
  echo "━━ $name"
  if "$@"; then record "$name" 1 0; else record "$name" 0 1; fi
}

vitest_suite() { # name json-file vitest-args…
  local name=$1 out=$2
  shift 2
  echo "━━ $name"
  rm -f "$out"
  node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile="$out" "$@"
  local code=$?
  read -r p f < <(node scripts/count-results.mjs vitest "$out" "$code")
  record "$name" "$p" "$f"
}

check "typecheck" node_modules/.bin/tsc --noEmit
check "lint" node_modules/.bin/eslint . --max-warnings=0
check "format (prettier)" node_modules/.bin/prettier --check . --log-level=warn
# Python: pyflakes' checks through Debian's flake8 (unused imports, undefined names; `# noqa`).
check "lint (Python)" /usr/bin/python3 -m flake8 --select=F engine scripts

vitest_suite "unit + db (PGlite)" test-results/vitest.json
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || psql -h 127.0.0.1 -U postgres -c 'select 1' -qAt >/dev/null 2>&1; then
  TEST_DB=postgres vitest_suite "db (PostgreSQL)" test-results/vitest-pg.json db.test
else
  echo "━━ db (PostgreSQL): no server at 127.0.0.1:5432"
  record "db (PostgreSQL)" 0 1
fi

echo "━━ engine (pytest)"
bash scripts/engine-test.sh 2>&1 | tee test-results/pytest.log
code=${PIPESTATUS[0]}
read -r p f < <(node scripts/count-results.mjs pytest test-results/pytest.log "$code")
record "engine (pytest)" "$p" "$f"

echo "━━ e2e (Playwright, Chromium)"
rm -rf test-results/e2e-data test-results/e2e.json
node_modules/.bin/playwright test
code=$?
read -r p f < <(node scripts/count-results.mjs playwright test-results/e2e.json "$code")
record "e2e (Playwright)" "$p" "$f"

echo
printf '%s\n' "${SUMMARY[@]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
