#!/usr/bin/env bash
# Installs the locked dependencies when they are missing or older than the
# lockfile, so `npm start` and `npm test` work on a fresh clone.
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing dependencies (npm ci)"
  npm ci --no-audit --no-fund || exit 1
fi
