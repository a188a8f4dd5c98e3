#!/usr/bin/env bash
# The one test command (README): installs what the tests need, then runs every check and every test suite.
# Each suite runs even when an earlier one failed, so one run shows everything; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-debian-packages.sh || exit 1
# The native addons must be built and used: no suite may pass on the plain-Node fallback.
export RACKBOOT_REQUIRE_NATIVE=1
mkdir -p test-results

failed=()
step() {
  local name=$1
  shift
  echo "=== $name: $*"
  if "$@"; then echo "=== $name: ok"; else failed+=("$name"); echo "=== $name: FAILED"; fi
}

step typecheck npx tsc -p tsconfig.json
step lint npm run lint --silent
step build npm run build --silent
step unit npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/unit.json
step lab npx vitest run --config vitest.lab.config.ts --passWithNoTests --reporter=default --reporter=json --outputFile.json=test-results/lab.json
step ui env PLAYWRIGHT_JSON_OUTPUT_NAME=test-results/ui.json npx playwright test --reporter=list,json

node scripts/summarize-tests.mjs test-results/unit.json test-results/lab.json test-results/ui.json
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed steps: ${failed[*]}"
  exit 1
fi
