#!/usr/bin/env bash
# `npm run demo`: installs what is missing, starts the local Kafka, builds, and runs
# `turbine demo` (load generator + engine + inventory worker + verifier). Kafka keeps running
# afterwards (stop it with `npm run kafka:down`). Extra arguments go to `turbine demo`; with
# `--schema-registry local` the local Schema Registry is started too (scripts/registry.sh) and its URL
# passed on.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/ensure-deps.sh
bash scripts/kafka.sh up
args=()
previous=""
for arg in "$@"; do
  if [[ "$previous" == "--schema-registry" && "$arg" == "local" ]]; then
    bash scripts/registry.sh up
    arg="$(bash scripts/registry.sh url)"
  fi
  args+=("$arg")
  previous="$arg"
done
npm run --silent build
node bin/turbine.js demo "${args[@]}"
