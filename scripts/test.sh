#!/usr/bin/env bash
# `npm test`: installs what is missing, starts the local Kafka (if it is not already up), builds,
# runs the unit and integration suites, and stops the Kafka it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/ensure-deps.sh

started_kafka=0
if ! bash scripts/kafka.sh status >/dev/null 2>&1; then
  bash scripts/kafka.sh up
  started_kafka=1
fi
cleanup() { if [[ $started_kafka == 1 ]]; then bash scripts/kafka.sh down || true; fi; }
trap cleanup EXIT

echo "[test] typecheck, lint and build"
npx tsc -p tsconfig.json --noEmit
npx biome check .
npm run --silent build

echo "[test] unit and integration tests"
npx jest --ci "$@"
