#!/usr/bin/env bash
# `npm run demo`: installs what is missing, starts the local Kafka, builds, and runs
# `turbine demo` (load generator + engine + inventory worker + verifier). Kafka keeps running
# afterwards (stop it with `npm run kafka:down`). Extra arguments go to `turbine demo`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/ensure-deps.sh
bash scripts/kafka.sh up
npm run --silent build
node bin/turbine.js demo "$@"
