#!/usr/bin/env bash
# The main job: the demo fleet on the built-in simulator, end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
exec node --import tsx scripts/main-job.ts "$@"
