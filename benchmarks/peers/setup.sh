#!/usr/bin/env bash
# Installs the peer systems Turbine is benchmarked against, each from its own registry:
#   node   (kafkajs-main, kafkajs-piscina)  npm ci in benchmarks/peers/node (npm registry)
#   java   (parallel-consumer)              mvn package in benchmarks/peers/java (Maven Central), Java 17
#   python (arroyo)                         pip into benchmarks/peers/python/.venv (PyPI), Python 3.11
#   kcat   (kcat)                           apt-get install kcat (Debian)
# Usage: bash benchmarks/peers/setup.sh [peer...]   (default: all peers)
# Idempotent: a component whose stamp matches its inputs is skipped. Prints one line per peer,
# "ready" or "FAILED", and exits non-zero when any requested peer is not ready.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

log() { echo "[peers setup] $*" >&2; }

install_node() {
  command -v npm >/dev/null || { log "npm not found"; return 1; }
  (cd "$PEERS_DIR/node" && npm ci --no-audit --no-fund --loglevel=error >&2)
}

install_java() {
  command -v mvn >/dev/null || { log "mvn not found (apt-get install maven)"; return 1; }
  local major
  major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  if [ -z "$major" ] || [ "$major" -lt 17 ]; then
    log "Java 17 or later is needed, found: $(java -version 2>&1 | head -1)"
    return 1
  fi
  (cd "$PEERS_DIR/java" && rm -rf target && mvn -q -B package -DskipTests >&2)
}

install_python() {
  local py
  py="$(command -v python3.11 || true)"
  [ -n "$py" ] || { log "python3.11 not found"; return 1; }
  rm -rf "$PEERS_DIR/python/.venv"
  "$py" -m venv "$PEERS_DIR/python/.venv" >&2 &&
    "$PEERS_DIR/python/.venv/bin/pip" install --quiet --disable-pip-version-check \
      -r "$PEERS_DIR/python/requirements.txt" >&2
}

install_kcat() {
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      log "kcat is missing and apt-get needs root (no passwordless sudo)"
      return 1
    fi
  fi
  # A stale package list makes install fail with 404s; update once and retry.
  "${sudo[@]}" apt-get install -y -q kcat >&2 ||
    { "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q kcat >&2; }
}

requested=("$@")
[ ${#requested[@]} -eq 0 ] && requested=("${ALL_PEERS[@]}")
components=()
for peer in "${requested[@]}"; do
  component="$(peer_component "$peer")" || { log "unknown peer '$peer' (peers: ${ALL_PEERS[*]})"; exit 2; }
  [[ " ${components[*]} " == *" $component "* ]] || components+=("$component")
done

for component in "${components[@]}"; do
  if component_ready "$component"; then
    log "$component: already installed"
    continue
  fi
  started=$SECONDS
  log "$component: installing"
  if "install_$component" && mark_ready "$component"; then
    log "$component: installed in $((SECONDS - started)) s"
  else
    log "$component: install FAILED after $((SECONDS - started)) s"
  fi
done

status=0
for peer in "${requested[@]}"; do
  if component_ready "$(peer_component "$peer")"; then
    echo "$peer: ready"
  else
    echo "$peer: FAILED (see messages above)"
    status=1
  fi
done
exit $status
