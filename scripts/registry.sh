#!/usr/bin/env bash
# Local Schema Registry: Apicurio Registry 3 (Quarkus) from Maven Central, in-memory storage, with
# its Confluent-compatible API under /apis/ccompat/v7 (docs/schema-registry.md).
#   scripts/registry.sh up      start (idempotent), wait until it answers, set compatibility BACKWARD
#   scripts/registry.sh down    stop it
#   scripts/registry.sh status  say whether it runs
#   scripts/registry.sh url     print the Confluent-compatible base URL
# Environment: REGISTRY_VERSION (default from scripts/registry/pom.xml), REGISTRY_HOME_DIR (default
# .registry), REGISTRY_PORT (8081), REGISTRY_MANAGEMENT_PORT (REGISTRY_PORT+10), REGISTRY_HEAP (-Xmx512m).
# Storage is in memory: every start is an empty registry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/scripts/registry/pom.xml"
VERSION="${REGISTRY_VERSION:-$(sed -n 's:.*<apicurio.version>\(.*\)</apicurio.version>.*:\1:p' "$POM")}"
CACHE="$ROOT/.cache/registry"
APP="$CACHE/app-$VERSION"
JAR="$APP/apicurio-registry-app-$VERSION-runner.jar"
HOME_DIR="${REGISTRY_HOME_DIR:-$ROOT/.registry}"
PORT="${REGISTRY_PORT:-8081}"
MPORT="${REGISTRY_MANAGEMENT_PORT:-$((PORT + 10))}"
PIDFILE="$HOME_DIR/registry.pid"
LOG="$HOME_DIR/registry.log"
BASE="http://127.0.0.1:$PORT/apis/ccompat/v7"

log() { echo "[registry] $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# The "all" tar.gz holds the Quarkus runner jar and its lib/. The old default dependency plugin
# (2.8) is used on purpose: newer ones refuse the artifact because its parent POM (3.0.9) is not
# on Maven Central, while 2.8 copies it anyway.
fetch_app() {
  if [[ -f "$APP/.complete" ]]; then return; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is needed to fetch Apicurio Registry"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is needed to run Apicurio Registry"; exit 1; }
  log "fetching Apicurio Registry $VERSION from Maven Central into $APP"
  mkdir -p "$CACHE"
  mvn -q -B -f "$POM" dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all" \
    -DoutputDirectory="$CACHE"
  rm -rf "$APP" && mkdir -p "$APP"
  tar xzf "$CACHE/apicurio-registry-app-$VERSION-all.tar.gz" -C "$APP"
  rm -f "$CACHE/apicurio-registry-app-$VERSION-all.tar.gz"
  [[ -f "$JAR" ]] || { log "no $JAR in the distribution"; exit 1; }
  touch "$APP/.complete"
}

up() {
  if running && port_open "$PORT"; then log "already running (pid $(cat "$PIDFILE")) at $BASE"; return 0; fi
  if ! running && port_open "$PORT"; then log "something else listens on 127.0.0.1:$PORT; using it"; return 0; fi
  fetch_app
  mkdir -p "$HOME_DIR"
  log "starting Apicurio Registry $VERSION at $BASE (log: $LOG)"
  local started=$SECONDS
  # Both ports pinned: Quarkus' management interface otherwise takes 9000, which may be in use.
  nohup java ${REGISTRY_HEAP:--Xmx512m} -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" -Dquarkus.management.port="$MPORT" \
    -Dquarkus.log.console.format='%d{HH:mm:ss} %-5p [%c{2.}] %s%e%n' \
    -jar "$JAR" >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  local deadline=$((SECONDS + ${REGISTRY_START_TIMEOUT:-60}))
  until curl -sf -o /dev/null "$BASE/subjects"; do
    if ! running; then log "the registry exited during start; see $LOG"; tail -30 "$LOG" >&2 || true; exit 1; fi
    if (( SECONDS > deadline )); then log "the registry did not answer in time; see $LOG"; exit 1; fi
    sleep 0.25
  done
  # Apicurio's default compatibility is NONE; Confluent's (and what the tests expect) is BACKWARD.
  curl -sf -o /dev/null -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    -d '{"compatibility":"BACKWARD"}' "$BASE/config" \
    || { log "could not set the global compatibility to BACKWARD"; exit 1; }
  log "Apicurio Registry is up at $BASE (pid $(cat "$PIDFILE"), $((SECONDS - started)) s, compatibility BACKWARD)"
}

down() {
  if ! running; then log "not running"; rm -f "$PIDFILE"; return 0; fi
  local pid; pid="$(cat "$PIDFILE")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  log "stopped"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) if running; then echo "running (pid $(cat "$PIDFILE")) at $BASE"; else echo "stopped"; exit 1; fi ;;
  url) echo "$BASE" ;;
  fetch) fetch_app ;;
  *) echo "usage: $0 up|down|status|url|fetch" >&2; exit 2 ;;
esac
