#!/usr/bin/env bash
# The one test command: typecheck, lint, every test; ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
bash scripts/ensure-deps.sh || exit 1
mkdir -p .reports
status=0
echo "== typecheck"; npx tsc --noEmit -p tsconfig.json || status=1
echo "== lint"; npx biome ci --colors=off . || status=1
echo "== tests"
npx vitest run --reporter=default --reporter=json --outputFile.json=.reports/vitest.json "$@" || status=1
if [ -f .reports/vitest.json ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(".reports/vitest.json", "utf8"));
    const failed = r.numFailedTests + (r.numFailedTestSuites ?? 0) - 0;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
    if (r.numTotalTests === 0 || r.numFailedTests > 0 || r.numFailedTestSuites > 0) process.exit(1);
  ' || status=1
else
  echo "0 passed, 1 failed"; status=1
fi
exit $status
