#!/usr/bin/env bash
# `npm test`: installs what is missing, starts the local Kafka (if it is not already up), builds,
# starts the local Schema Registry (Apicurio, for test/integration/registry/) the same way, runs the
# unit and integration suites, and stops what it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/ensure-deps.sh

started_kafka=0
started_registry=0
cleanup() {
  if [[ $started_registry == 1 ]]; then bash scripts/registry.sh down || true; fi
  if [[ $started_kafka == 1 ]]; then bash scripts/kafka.sh down || true; fi
}
trap cleanup EXIT
if ! bash scripts/kafka.sh status >/dev/null 2>&1; then
  bash scripts/kafka.sh up
  started_kafka=1
fi
if ! bash scripts/registry.sh status >/dev/null 2>&1; then
  bash scripts/registry.sh up
  started_registry=1
fi

echo "[test] typecheck, lint and build"
npx tsc -p tsconfig.json --noEmit
npx biome check .
npm run --silent build

echo "[test] unit and integration tests"
npx jest --ci "$@"
