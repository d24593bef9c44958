#!/usr/bin/env bash
# Container test without a Docker engine (`npm run test:container`): builds the project's
# Dockerfile with buildah and runs the image with podman against the local Kafka on 127.0.0.1:9092.
#
#   1. deps       apt-get installs buildah, podman, runc, debootstrap, uidmap if missing
#   2. rootfs     debootstrap --variant=minbase bookworm, cached as .cache/container/rootfs-bookworm-minbase.tar
#   3. base       stand-ins for node:20-bookworm and node:20-bookworm-slim (rootfs + the host's Node 20),
#                 tagged with the official names so `FROM node:20-bookworm` resolves locally (never pulled)
#   4. build      buildah bud of ./Dockerfile -> turbine:test
#   5. run        podman run turbine:test with TURBINE_* env against a fresh input topic (loadgen, 20,000
#                 records, 3 partitions); checks /healthz 200, non-root process, verify lost 0, HEALTHCHECK
#   6. stop       SIGTERM -> drain -> exit code 0 and an "engine closed" log line with "drained":true
# Prints the time of each phase; exits non-zero when any check fails.
#
# All container storage lives under .cache/container (git-ignored). Environment:
#   TURBINE_CT_BROKERS   Kafka bootstrap (default 127.0.0.1:9092)
#   TURBINE_CT_COUNT     records to load (default 20000)
#   TURBINE_CT_LAYERS=1  cache build layers between runs (faster reruns, several GB more disk with vfs)
#   TURBINE_CT_KEEP=1    keep the test topics (the turbine:test image is always kept until the next run)
#   TURBINE_CT_REBUILD_BASE=1  rebuild the stand-in base images (and the rootfs tarball)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERE="$ROOT/scripts/container"
CACHE="$ROOT/.cache/container"
STORE="$CACHE/storage"
RUNROOT="$CACHE/runroot"
PTMP="$CACHE/podman-tmp"
LOGS="$CACHE/logs"
ROOTFS_TAR="$CACHE/rootfs-bookworm-minbase.tar"
BROKERS="${TURBINE_CT_BROKERS:-127.0.0.1:9092}"
COUNT="${TURBINE_CT_COUNT:-20000}"
IMAGE="localhost/turbine:test"
mkdir -p "$STORE" "$RUNROOT" "$PTMP" "$LOGS"

BUILDAH=(buildah --storage-driver vfs --root "$STORE" --runroot "$RUNROOT")
PODMAN=(podman --storage-driver vfs --root "$STORE" --runroot "$RUNROOT" --tmpdir "$PTMP"
  --cgroup-manager cgroupfs --events-backend file --runtime runc)

log() { echo "[container-test] $*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# ---- phase timings and check results ---------------------------------------------------------
PHASES=() TIMES=() CHECKS=() FAILED=0 PHASE="" PHASE_T0=0
now() { date +%s.%N; }
phase() {
  phase_end
  PHASE="$1" PHASE_T0="$(now)"
  log "== $PHASE"
}
phase_end() {
  if [[ -n "$PHASE" ]]; then
    PHASES+=("$PHASE")
    TIMES+=("$(awk -v a="$PHASE_T0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')")
    PHASE=""
  fi
}
check() { # check NAME OK(0|1) DETAIL
  if [[ "$2" == 0 ]]; then CHECKS+=("PASS  $1: $3"); log "PASS $1: $3"
  else CHECKS+=("FAIL  $1: $3"); log "FAIL $1: $3"; FAILED=1; fi
}

CONTAINER="" RUN_PID="" TOPICS=()
cleanup() {
  local rc=$?
  set +e
  phase_end
  if [[ -n "$RUN_PID" ]] && kill -0 "$RUN_PID" 2>/dev/null; then
    "${PODMAN[@]}" rm -f -t 5 "$CONTAINER" >/dev/null 2>&1
    wait "$RUN_PID" 2>/dev/null
  fi
  if ((${#TOPICS[@]})) && [[ "${TURBINE_CT_KEEP:-0}" != 1 ]]; then
    node "$HERE/topics.js" delete "$BROKERS" "${TOPICS[@]}" >/dev/null 2>&1 \
      && log "deleted topics ${TOPICS[*]}" || log "could not delete topics ${TOPICS[*]}"
  fi
  echo
  echo "Phase timings (s):"
  for i in "${!PHASES[@]}"; do printf '  %-8s %8s\n' "${PHASES[$i]}" "${TIMES[$i]}"; done
  if ((${#CHECKS[@]})); then
    echo "Checks:"
    printf '  %s\n' "${CHECKS[@]}"
  fi
  echo "Logs: $LOGS"
  if [[ $rc == 0 && $FAILED == 0 ]]; then echo "container test: OK"; exit 0; fi
  echo "container test: FAILED"
  exit $((rc == 0 ? 1 : rc))
}
trap cleanup EXIT

# ---- 1. tools ----------------------------------------------------------------------------------
phase deps
need=()
for pair in buildah:buildah podman:podman runc:runc debootstrap:debootstrap newuidmap:uidmap curl:curl; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if ((${#need[@]})); then
  [[ $(id -u) == 0 ]] || die "need root to apt-get install ${need[*]}"
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "${need[@]}" || { apt-get update && apt-get install -y "${need[@]}"; }
fi
[[ $(id -u) == 0 ]] || die "run as root (debootstrap and the vfs storage need it)"
NODE_BIN="$(readlink -f "$(command -v node)")"
NODE_VERSION="$(node -p process.versions.node)"
[[ "${NODE_VERSION%%.*}" == 20 ]] || die "the host's node is $NODE_VERSION; the stand-in images need Node 20"
NODE_PREFIX="$(dirname "$(dirname "$NODE_BIN")")"
[[ -d "$NODE_PREFIX/lib/node_modules/npm" && -f "$NODE_PREFIX/include/node/node_version.h" ]] \
  || die "expected npm in $NODE_PREFIX/lib/node_modules/npm and headers in $NODE_PREFIX/include/node"
NPM_VERSION="$(node "$NODE_PREFIX/lib/node_modules/npm/bin/npm-cli.js" --version)"
log "buildah $(buildah --version | awk '{print $3}'), podman $(podman --version | awk '{print $3}'), node $NODE_VERSION, npm $NPM_VERSION"

# ---- 2. rootfs ---------------------------------------------------------------------------------
phase rootfs
if [[ "${TURBINE_CT_REBUILD_BASE:-0}" == 1 ]]; then rm -f "$ROOTFS_TAR"; fi
if [[ ! -s "$ROOTFS_TAR" ]]; then
  tmp="$CACHE/rootfs.tmp"
  rm -rf "$tmp"
  log "debootstrap --variant=minbase bookworm (about a minute)"
  debootstrap --variant=minbase bookworm "$tmp" http://deb.debian.org/debian >"$LOGS/debootstrap.log" 2>&1 \
    || { tail -20 "$LOGS/debootstrap.log" >&2; die "debootstrap failed (log: $LOGS/debootstrap.log)"; }
  # Same apt sources as the official Debian images; empty package lists and caches like them.
  rm -f "$tmp/etc/apt/sources.list"
  cat >"$tmp/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/log/bootstrap.log
  : >"$tmp/etc/resolv.conf"
  tar --numeric-owner -C "$tmp" -cf "$ROOTFS_TAR.part" .
  mv "$ROOTFS_TAR.part" "$ROOTFS_TAR"
  rm -rf "$tmp"
else
  log "cached: $ROOTFS_TAR"
fi

# ---- 3. stand-in base images -------------------------------------------------------------------
phase base
image_exists() { "${BUILDAH[@]}" inspect --type image "$1" >/dev/null 2>&1; }
node_files=(bin/node bin/npm bin/npx bin/corepack lib/node_modules/npm lib/node_modules/corepack)
build_standin() { # build_standin NAME CONTAINERFILE TARNAME WITH_HEADERS
  local name="$1" file="$2" tarname="$3" headers="$4" key stamp ctx prefix="${NODE_PREFIX#/}"
  local files=("${node_files[@]}")
  [[ "$headers" == 1 ]] && files+=(include/node)
  key="$( { cat "$HERE/$file" /usr/local/share/ca-certificates/*.crt 2>/dev/null
    echo "$NODE_VERSION $NPM_VERSION ${files[*]}"; stat -c '%s %Y' "$ROOTFS_TAR"; } | sha256sum | cut -c1-12)"
  stamp="localhost/turbine-standin/${name/:/-}:$key"
  if [[ "${TURBINE_CT_REBUILD_BASE:-0}" != 1 ]] && image_exists "$stamp"; then
    log "stand-in $name: cached ($stamp)"
  else
    ctx="$CACHE/ctx-${name/:/-}"
    rm -rf "$ctx" && mkdir -p "$ctx"
    ln "$ROOTFS_TAR" "$ctx/rootfs.tar" 2>/dev/null || cp "$ROOTFS_TAR" "$ctx/rootfs.tar"
    # The host's extra CA certificates (a TLS-inspecting egress proxy here), for npm in the build stage.
    mkdir -p "$ctx/extra-ca"
    cp /usr/local/share/ca-certificates/*.crt "$ctx/extra-ca/" 2>/dev/null || true
    local present=()
    for f in "${files[@]}"; do [[ -e "$NODE_PREFIX/$f" || -L "$NODE_PREFIX/$f" ]] && present+=("$prefix/$f"); done
    tar --numeric-owner --owner=0 --group=0 -C / -cf "$ctx/$tarname" --transform "s,^$prefix/,usr/local/," "${present[@]}"
    log "building stand-in $name"
    "${BUILDAH[@]}" bud --isolation chroot --format docker --pull=never --build-arg "NODE_VERSION=$NODE_VERSION" \
      -f "$HERE/$file" -t "$stamp" "$ctx" >"$LOGS/base-${name/:/-}.log" 2>&1 \
      || { tail -30 "$LOGS/base-${name/:/-}.log" >&2; die "stand-in $name failed (log: $LOGS/base-${name/:/-}.log)"; }
    rm -rf "$ctx"
  fi
  "${BUILDAH[@]}" tag "$stamp" "docker.io/library/$name" "localhost/$name" >/dev/null
  # Drop stand-ins of earlier inputs (vfs keeps a full copy of every image).
  "${BUILDAH[@]}" images --format '{{.Name}}:{{.Tag}}' | grep "^localhost/turbine-standin/${name/:/-}:" \
    | grep -v ":$key\$" | while read -r old; do "${BUILDAH[@]}" rmi "$old" >/dev/null 2>&1 || true; done
}
"${BUILDAH[@]}" rm --all >/dev/null 2>&1 || true # working containers left by an interrupted build
build_standin node:20-bookworm node-bookworm.Containerfile node.tar 1
build_standin node:20-bookworm-slim node-bookworm-slim.Containerfile node-slim.tar 0

# ---- 4. project image --------------------------------------------------------------------------
phase build
layers=()
[[ "${TURBINE_CT_LAYERS:-0}" == 1 ]] && layers=(--layers)
log "buildah bud ./Dockerfile -> $IMAGE (compiles node-rdkafka: several minutes; log: $LOGS/build.log)"
if ! "${BUILDAH[@]}" bud --isolation chroot --format docker --pull=never "${layers[@]}" \
  -f "$ROOT/Dockerfile" -t "$IMAGE" "$ROOT" >"$LOGS/build.log" 2>&1; then
  tail -40 "$LOGS/build.log" >&2
  die "image build failed (log: $LOGS/build.log)"
fi
"${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true # the previous run's turbine:test, now untagged
check "image built" 0 "$IMAGE, $("${BUILDAH[@]}" images --format '{{.Size}}' "$IMAGE" | head -1)"
user="$("${BUILDAH[@]}" inspect --type image --format '{{.Docker.Config.User}}' "$IMAGE")"
hc="$("${BUILDAH[@]}" inspect --type image --format '{{if .Docker.Config.Healthcheck}}{{.Docker.Config.Healthcheck.Test}}{{end}}' "$IMAGE")"
log "image user: '$user'; healthcheck: ${hc:-none}"

# ---- 5. run against Kafka ----------------------------------------------------------------------
phase run
port_open() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }
if ! port_open "${BROKERS%%,*}"; then
  log "Kafka not answering on ${BROKERS%%,*}; starting it"
  bash "$ROOT/scripts/kafka.sh" up
fi
[[ -f "$ROOT/dist/src/cli/main.js" ]] || (cd "$ROOT" && npm run --silent build)
suffix="$(date +%s)-$$"
IN="turbine-ct-$suffix-in" OUT="turbine-ct-$suffix-out" GROUP="turbine-ct-$suffix"
TOPICS=("$IN" "$OUT" "$IN.dlq")
PORT="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
log "loadgen: $COUNT records -> $IN (3 partitions)"
node "$ROOT/bin/turbine.js" loadgen --brokers "$BROKERS" --topic "$IN" --count "$COUNT" --partitions 3 \
  >"$LOGS/loadgen.json" 2>"$LOGS/loadgen.err" || { cat "$LOGS/loadgen.err" >&2; die "loadgen failed"; }
log "loadgen: $(cat "$LOGS/loadgen.json")"

CONTAINER="turbine-ct-$suffix"
RUN_LOG="$LOGS/run.log"
log "podman run $CONTAINER (metrics port $PORT; log: $RUN_LOG)"
"${PODMAN[@]}" run --rm --name "$CONTAINER" --network host \
  --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 \
  -e TURBINE_BROKERS="$BROKERS" -e TURBINE_INPUT="$IN" -e TURBINE_OUTPUT="$OUT" -e TURBINE_GROUP="$GROUP" \
  -e TURBINE_WORKER=/app/dist/workers/spin.js -e TURBINE_METRICS_PORT="$PORT" -e SPIN_US=50 \
  "$IMAGE" >"$RUN_LOG" 2>&1 &
RUN_PID=$!

code=000
for _ in $(seq 1 120); do
  kill -0 "$RUN_PID" 2>/dev/null || break
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/healthz" || true)"
  [[ "$code" == 200 ]] && break
  sleep 0.5
done
if ! kill -0 "$RUN_PID" 2>/dev/null; then
  tail -30 "$RUN_LOG" >&2
  RUN_PID=""
  die "the container exited before answering /healthz (log: $RUN_LOG)"
fi
check "healthz" "$([[ "$code" == 200 ]] && echo 0 || echo 1)" "GET http://127.0.0.1:$PORT/healthz -> $code"

# Which user runs tini (PID 1) and node, read from /proc inside the container.
ids="$("${PODMAN[@]}" exec "$CONTAINER" sh -c \
  'for s in /proc/[0-9]*/status; do n=$(sed -n "s/^Name:\t//p" "$s"); u=$(sed -n "s/^Uid:\t\([0-9]*\).*/\1/p" "$s"); echo "${s#/proc/}" "$n" "$u"; done' \
  2>&1 | sed 's,/status,,' | grep -E ' (tini|node) ' | sort -n | tr '\n' ';' || true)"
ids_text="${ids%;}"
execuid="$("${PODMAN[@]}" exec "$CONTAINER" id -u 2>&1 || true)"
nonroot=0
[[ -n "$ids" ]] || nonroot=1
while read -r -d ';' _pid _name _uid; do [[ "$_uid" != 0 ]] || nonroot=1; done <<<"$ids"
check "non-root" "$nonroot" "processes (pid name uid): ${ids_text:-none found}; podman exec id -u -> $execuid"

log "verify: $IN -> $OUT"
vrc=0
node "$ROOT/bin/turbine.js" verify --brokers "$BROKERS" --input "$IN" --output "$OUT" --timeout-ms 60000 --quiet \
  >"$LOGS/verify.json" 2>"$LOGS/verify.err" || vrc=$?
report="$(cat "$LOGS/verify.json")"
lost="$(node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(r.lost+" "+r.inputs+" "+r.outputs+" "+r.duplicates+" "+r.orderViolations)' <<<"$report" 2>/dev/null || echo "? ? ? ? ?")"
read -r v_lost v_in v_out v_dup v_ord <<<"$lost"
check "records flow" "$([[ $vrc == 0 && "$v_lost" == 0 && "$v_in" == "$COUNT" ]] && echo 0 || echo 1)" \
  "verify exit $vrc: inputs $v_in, outputs $v_out, lost $v_lost, duplicates $v_dup, orderViolations $v_ord"

hcout="$("${PODMAN[@]}" healthcheck run "$CONTAINER" 2>&1)" && hrc=0 || hrc=$?
check "image HEALTHCHECK" "$hrc" "podman healthcheck run -> exit $hrc ${hcout:+($hcout)}"

# ---- 6. SIGTERM: drain and exit 0 --------------------------------------------------------------
phase stop
"${PODMAN[@]}" kill --signal TERM "$CONTAINER" >/dev/null
t0="$(now)"
for _ in $(seq 1 120); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$RUN_PID" 2>/dev/null; then
  check "SIGTERM exit" 1 "still running 60 s after SIGTERM"
else
  rc=0
  wait "$RUN_PID" || rc=$?
  RUN_PID=""
  secs="$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')"
  check "SIGTERM exit" "$([[ $rc == 0 ]] && echo 0 || echo 1)" "exit code $rc, ${secs} s after SIGTERM"
fi
closed="$(grep '"engine closed"' "$RUN_LOG" | tail -1 || true)"
check "drained" "$([[ "$closed" == *'"drained":true'* ]] && echo 0 || echo 1)" \
  "$(grep -o '"drained":[a-z]*,"durationMs":[0-9]*' <<<"$closed" || echo 'no "engine closed" line')"

