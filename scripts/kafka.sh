#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft) from Apache Kafka's own jars on Maven Central.
#   scripts/kafka.sh up      start (idempotent) and wait until 127.0.0.1:9092 accepts connections
#   scripts/kafka.sh down    stop it
#   scripts/kafka.sh status  say whether it runs
#   scripts/kafka.sh reset   stop and delete its data
# Environment: KAFKA_VERSION (default from scripts/kafka/pom.xml), KAFKA_HOME_DIR (default .kafka),
# KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP (-Xmx1g).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/scripts/kafka/pom.xml"
VERSION="${KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")}"
LIBS="$ROOT/.cache/kafka/libs-$VERSION"
HOME_DIR="${KAFKA_HOME_DIR:-$ROOT/.kafka}"
PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
DATA="$HOME_DIR/data"
LOGS="$HOME_DIR/logs"
PIDFILE="$HOME_DIR/kafka.pid"
CONF="$HOME_DIR/server.properties"

log() { echo "[kafka] $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

fetch_jars() {
  if [[ -f "$LIBS/.complete" ]]; then return; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is needed to fetch Kafka's jars"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is needed to run Kafka"; exit 1; }
  log "fetching Apache Kafka $VERSION jars from Maven Central into $LIBS"
  mkdir -p "$LIBS"
  mvn -q -B -f "$POM" -Dkafka.version="$VERSION" dependency:copy-dependencies \
    -DoutputDirectory="$LIBS" -DincludeScope=runtime
  touch "$LIBS/.complete"
}

write_config() {
  mkdir -p "$DATA" "$LOGS"
  cat > "$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=24
log.segment.bytes=268435456
PROPS
}

java_cmd() {
  local class="$1"; shift
  java ${KAFKA_HEAP:--Xmx1g -Xms256m} -XX:+UseG1GC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$LOGS" -Dlog4j2.configurationFile="$ROOT/scripts/kafka/log4j2.properties" \
    -cp "$LIBS/*" "$class" "$@"
}

up() {
  if running && port_open "$PORT"; then log "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; return 0; fi
  if ! running && port_open "$PORT"; then log "something else listens on 127.0.0.1:$PORT; using it"; return 0; fi
  fetch_jars
  write_config
  if [[ ! -f "$DATA/meta.properties" ]]; then
    local id
    id="$(java_cmd kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    log "formatting storage (cluster id $id)"
    java_cmd kafka.tools.StorageTool format --standalone -t "$id" -c "$CONF" >"$LOGS/format.log" 2>&1 \
      || { log "storage format failed; see $LOGS/format.log"; cat "$LOGS/format.log" >&2; exit 1; }
  fi
  log "starting Kafka $VERSION (log: $LOGS/server.log, stdout: $LOGS/stdout.log)"
  nohup bash -c "$(declare -f java_cmd); ROOT='$ROOT' LOGS='$LOGS' LIBS='$LIBS' KAFKA_HEAP='${KAFKA_HEAP:-}'; java_cmd kafka.Kafka '$CONF'" \
    >"$LOGS/stdout.log" 2>&1 &
  echo $! >"$PIDFILE"
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  until port_open "$PORT"; do
    if ! running; then log "Kafka exited during start; see $LOGS/server.log and $LOGS/stdout.log"; tail -30 "$LOGS/stdout.log" >&2 || true; exit 1; fi
    if (( SECONDS > deadline )); then log "Kafka did not listen on $PORT in time; see $LOGS/server.log"; exit 1; fi
    sleep 0.5
  done
  # The port opens before the broker has registered with the controller; wait for metadata.
  until grep -q "Kafka Server started\|\[KafkaRaftServer nodeId=1\] Kafka Server started" "$LOGS/server.log" 2>/dev/null; do
    if (( SECONDS > deadline )); then log "Kafka did not finish starting in time; see $LOGS/server.log"; exit 1; fi
    sleep 0.5
  done
  log "Kafka is up on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
}

down() {
  if ! running; then log "not running"; rm -f "$PIDFILE"; return 0; fi
  local pid; pid="$(cat "$PIDFILE")"
  # The pid is the bash wrapper; stop the JVM under it too.
  local jpid; jpid="$(pgrep -P "$pid" java || true)"
  kill ${jpid:-} "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    if ! kill -0 "$pid" 2>/dev/null && { [[ -z "$jpid" ]] || ! kill -0 "$jpid" 2>/dev/null; }; then break; fi
    sleep 0.5
  done
  kill -9 ${jpid:-} "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  log "stopped"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) if running; then echo "running (pid $(cat "$PIDFILE"))"; else echo "stopped"; exit 1; fi ;;
  reset) down; rm -rf "$DATA" "$LOGS"; log "data removed" ;;
  jars) fetch_jars ;;
  *) echo "usage: $0 up|down|status|reset|jars" >&2; exit 2 ;;
esac
