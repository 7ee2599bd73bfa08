#!/usr/bin/env bash
# Runs vitest with the given arguments and ends with one plain line
# "N passed, N failed" (read from vitest's JSON report); exits non-zero on
# any failure, and when no test ran at all.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
mkdir -p .reports
report=$(mktemp .reports/vitest-XXXXXX.json)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=1
node -e '
  const fs = require("fs");
  const text = fs.existsSync(process.argv[1]) ? fs.readFileSync(process.argv[1], "utf8") : "";
  if (!text) { console.log("0 passed, 1 failed"); process.exit(1); }
  const r = JSON.parse(text);
  const failed = r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
  console.log(`${r.numPassedTests} passed, ${failed} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
  if (r.numTotalTests === 0 || failed > 0) process.exit(1);
' "$report" || status=1
rm -f "$report"
exit $status
