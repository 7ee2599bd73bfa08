#!/usr/bin/env bash
# The main job: the demo fleet on the built-in simulator, end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node --import tsx scripts/main-job.ts "$@"
