#!/usr/bin/env bash
# The one test command: typecheck, lint, every test; ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
bash scripts/ensure-deps.sh || exit 1
status=0
echo "== node $(node --version) (package.json engines, .nvmrc)"
echo "== typecheck"; npx tsc --noEmit -p tsconfig.json || status=1
echo "== lint"; npx biome ci --colors=off . || status=1
echo "== tests"
bash scripts/run-vitest.sh "$@" || status=1
exit $status
