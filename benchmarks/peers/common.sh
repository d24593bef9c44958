# Shared by setup.sh and run-peer.sh: where each peer lives and how its install is recognised.
# A peer is ready when its stamp file holds the hash of the inputs it was installed from, so an
# edited package-lock.json, pom.xml, Java source or requirements.txt makes it stale, not silently old.

PEERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALL_PEERS=(kafkajs-main kafkajs-piscina parallel-consumer arroyo kcat)

# The component that provides a peer (two peers share the Node install).
peer_component() {
  case "$1" in
    kafkajs-main | kafkajs-piscina) echo node ;;
    parallel-consumer) echo java ;;
    arroyo) echo python ;;
    kcat) echo kcat ;;
    *) return 1 ;;
  esac
}

# Hash of the files a component is installed from (empty for kcat, which comes from Debian).
component_inputs_hash() {
  case "$1" in
    node) cat "$PEERS_DIR/node/package.json" "$PEERS_DIR/node/package-lock.json" | sha256sum | cut -c1-64 ;;
    java) (cat "$PEERS_DIR/java/pom.xml"; find "$PEERS_DIR/java/src" -type f | LC_ALL=C sort | xargs cat) | sha256sum | cut -c1-64 ;;
    python) (python3.11 --version 2>&1; cat "$PEERS_DIR/python/requirements.txt") | sha256sum | cut -c1-64 ;;
    kcat) echo debian ;;
  esac
}

component_stamp() {
  case "$1" in
    node) echo "$PEERS_DIR/node/node_modules/.turbine-peer-stamp" ;;
    java) echo "$PEERS_DIR/java/target/.turbine-peer-stamp" ;;
    python) echo "$PEERS_DIR/python/.venv/.turbine-peer-stamp" ;;
  esac
}

# Exit status 0 when the component is installed from its current inputs.
component_ready() {
  if [ "$1" = kcat ]; then
    command -v kcat >/dev/null 2>&1
    return
  fi
  local stamp
  stamp="$(component_stamp "$1")"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(component_inputs_hash "$1")" ]
}

mark_ready() {
  [ "$1" = kcat ] && return 0
  component_inputs_hash "$1" >"$(component_stamp "$1")"
}
