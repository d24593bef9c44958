#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft) from Apache Kafka's own jars on Maven Central.
#   scripts/kafka.sh up      start (idempotent) and wait until 127.0.0.1:9092 accepts connections
#   scripts/kafka.sh down    stop it
#   scripts/kafka.sh status  say whether it runs
#   scripts/kafka.sh reset   stop and delete its data
# Environment: KAFKA_VERSION (default from scripts/kafka/pom.xml), KAFKA_HOME_DIR (default .kafka),
# KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP (-Xmx1g).
#
# Secure broker (docs/security.md): KAFKA_SECURITY=sasl_ssl makes KAFKA_PORT a SASL_SSL listener
# (mechanisms PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and adds a PLAINTEXT listener on
# KAFKA_PLAINTEXT_PORT (default KAFKA_PORT+1000) for the broker's own traffic and for setup. Needs:
#   KAFKA_SSL_CERT   PEM certificate chain of the broker (leaf first)
#   KAFKA_SSL_KEY    PEM private key of the broker, unencrypted PKCS#8 ("BEGIN PRIVATE KEY")
#   KAFKA_SASL_USERS users as name:password,name:password; each gets a PLAIN login and SCRAM-SHA-256
#                    and SCRAM-SHA-512 credentials (SCRAM ones are written when the storage is
#                    formatted: `reset` before changing them). Passwords: letters, digits, ._~!@#%^*+-
#   KAFKA_SSL_CA     optional PEM CA bundle; when set, clients must present a certificate it signed (mTLS)
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
SECURITY="${KAFKA_SECURITY:-plaintext}"
PPORT="${KAFKA_PLAINTEXT_PORT:-$((PORT + 1000))}"

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

# name:password pairs of KAFKA_SASL_USERS, one per line, after checking the characters: the
# passwords end up inside a JAAS string and a StorageTool --add-scram argument, which have no escaping.
sasl_users() {
  local pair
  IFS=',' read -ra pairs <<<"${KAFKA_SASL_USERS:-}"
  for pair in "${pairs[@]}"; do
    if [[ ! "$pair" =~ ^[A-Za-z0-9._-]+:[A-Za-z0-9._~!@#%^*+-]+$ ]]; then
      log "KAFKA_SASL_USERS: expected name:password[,name:password...] (password: letters, digits, ._~!@#%^*+-)"
      exit 2
    fi
    echo "$pair"
  done
}

check_security() {
  case "$SECURITY" in
    plaintext) return ;;
    sasl_ssl) ;;
    *) log "KAFKA_SECURITY: accepted values are plaintext | sasl_ssl (got '$SECURITY')"; exit 2 ;;
  esac
  local v
  for v in KAFKA_SSL_CERT KAFKA_SSL_KEY; do
    [[ -n "${!v:-}" && -r "${!v}" ]] || { log "$v must name a readable PEM file with KAFKA_SECURITY=sasl_ssl"; exit 2; }
  done
  [[ -n "${KAFKA_SASL_USERS:-}" ]] || { log "KAFKA_SASL_USERS is required with KAFKA_SECURITY=sasl_ssl"; exit 2; }
  sasl_users >/dev/null
}

# Listener lines for the chosen security; the broker and controller talk PLAINTEXT to each other.
listener_config() {
  if [[ "$SECURITY" == plaintext ]]; then
    cat <<PROPS
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
PROPS
    return
  fi
  # Kafka reads a PEM keystore from one file holding the private key and the certificate chain.
  cat "$KAFKA_SSL_KEY" "$KAFKA_SSL_CERT" >"$HOME_DIR/broker-keystore.pem"
  chmod 600 "$HOME_DIR/broker-keystore.pem"
  local plain_users="" pair
  while IFS= read -r pair; do plain_users+=" user_${pair%%:*}=\"${pair#*:}\""; done < <(sasl_users)
  cat <<PROPS
listeners=SASL_SSL://127.0.0.1:$PORT,PLAINTEXT://127.0.0.1:$PPORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=SASL_SSL://127.0.0.1:$PORT,PLAINTEXT://127.0.0.1:$PPORT
listener.security.protocol.map=SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required$plain_users;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$HOME_DIR/broker-keystore.pem
PROPS
  if [[ -n "${KAFKA_SSL_CA:-}" ]]; then
    cat <<PROPS
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_SSL_CA
# Kafka ignores a bare ssl.client.auth on SASL_SSL listeners (KIP-684): it needs the listener prefix.
listener.name.sasl_ssl.ssl.client.auth=required
PROPS
  fi
}

# StorageTool arguments that create the SCRAM credentials of KAFKA_SASL_USERS (KIP-900).
scram_args() {
  [[ "$SECURITY" == sasl_ssl ]] || return 0
  local pair mechanism
  while IFS= read -r pair; do
    for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
      printf '%s\n' --add-scram "$mechanism=[name=${pair%%:*},password=${pair#*:}]"
    done
  done < <(sasl_users)
}

# A cluster id as `kafka-storage.sh random-uuid` makes it (16 random bytes, URL-safe base64, not
# starting with "-"), without starting a JVM for it.
cluster_id() {
  local id
  for _ in 1 2 3 4 5 6 7 8; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    if [[ "$id" != -* ]]; then echo "$id"; return; fi
  done
  java_cmd kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1
}

write_config() {
  mkdir -p "$DATA" "$LOGS"
  local listeners
  listeners="$(listener_config)"
  (umask 077; cat > "$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CPORT
$listeners
controller.listener.names=CONTROLLER
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
  )
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
  check_security
  fetch_jars
  write_config
  if [[ ! -f "$DATA/meta.properties" ]]; then
    local id scram=()
    id="$(cluster_id)"
    mapfile -t scram < <(scram_args)
    log "formatting storage (cluster id $id)"
    java_cmd kafka.tools.StorageTool format --standalone -t "$id" -c "$CONF" "${scram[@]}" >"$LOGS/format.log" 2>&1 \
      || { log "storage format failed; see $LOGS/format.log"; cat "$LOGS/format.log" >&2; exit 1; }
  fi
  log "starting Kafka $VERSION ($SECURITY on 127.0.0.1:$PORT; log: $LOGS/server.log, stdout: $LOGS/stdout.log)"
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
