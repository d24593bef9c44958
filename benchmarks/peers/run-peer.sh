#!/usr/bin/env bash
# Runs one peer system for the benchmark:
#   bash benchmarks/peers/run-peer.sh <peer> --brokers B --input T --output T2 --group G \
#     --spin-us W --threads N --order partition|key --count C [--timeout-s S]
#     [--worker dist/workers/M.js --value-format raw|json]   (kafkajs-piscina only: a real workload)
# <peer>: kafkajs-main | kafkajs-piscina | parallel-consumer | arroyo | kcat
# The peer consumes T from the beginning in a fresh group G, spins W µs of CPU per record, produces
# one output per input (same key and value) to T2, commits offsets, and exits after C outputs are
# acknowledged. stdout: exactly one JSON line
#   {"peer","order","threads","spinUs","records","ms","perSec","firstConsumedAtMs","lastAckedAtMs"}
# (ms: first record consumed → C-th output acknowledged; records: outputs acknowledged by then; the
# two *AtMs: the same instants in Unix ms, see benchmarks/peers/README.md). Logs go to stderr. Non-zero exit on
# failure, including a peer that is not set up (run benchmarks/peers/setup.sh) or a timeout
# (--timeout-s, default 600; the whole process group is killed 15 s after it).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

die() {
  echo "[run-peer] $*" >&2
  exit 2
}

[ $# -ge 1 ] || die "usage: run-peer.sh <peer> --brokers B --input T --output T2 --group G --spin-us W --threads N --order partition|key --count C [--timeout-s S]"
peer="$1"
shift
component="$(peer_component "$peer")" || die "unknown peer '$peer' (peers: ${ALL_PEERS[*]})"

# Validate the contract here once, so every peer sees the same normalised arguments.
brokers='' input='' output='' group='' spin_us=0 threads=1 order=partition count='' timeout_s=600 worker='' value_format=''
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "option $1 needs a value"
  case "$1" in
    --brokers) brokers="$2" ;;
    --input) input="$2" ;;
    --output) output="$2" ;;
    --group) group="$2" ;;
    --spin-us) spin_us="$2" ;;
    --threads) threads="$2" ;;
    --order) order="$2" ;;
    --count) count="$2" ;;
    --timeout-s) timeout_s="$2" ;;
    --worker) worker="$2" ;;
    --value-format) value_format="$2" ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done
for name in brokers input output group count; do
  [ -n "${!name}" ] || die "--$name is required"
done
for name in spin_us threads count timeout_s; do
  [[ "${!name}" =~ ^[0-9]+$ ]] || die "--${name//_/-} must be a non-negative integer, got '${!name}'"
done
[ "$threads" -ge 1 ] || die "--threads must be at least 1"
[ "$count" -ge 1 ] || die "--count must be at least 1"
[ "$order" = partition ] || [ "$order" = key ] || die "--order must be partition or key, got '$order'"

# A real workload (a Turbine worker module instead of the spin) runs on the KafkaJS + Piscina peer only.
if [ -n "$worker" ]; then
  [ "$peer" = kafkajs-piscina ] || die "--worker is supported by kafkajs-piscina only (got $peer)"
  [ -f "$worker" ] || die "--worker: $worker does not exist (npm run build)"
  [ "${value_format:-raw}" = raw ] || [ "$value_format" = json ] || die "--value-format must be raw or json, got '$value_format'"
fi

# kcat only copies: per-record work cannot be added to it (and it runs one thread).
[ "$peer" != kcat ] || [ "$spin_us" = 0 ] || die "kcat cannot run per-record work: only --spin-us 0 is supported (got $spin_us)"

if ! component_ready "$component"; then
  echo "[run-peer] peer '$peer' is not set up (or is stale): run 'bash benchmarks/peers/setup.sh $peer'" >&2
  exit 3
fi

# The output topic gets the input's partition count when missing (not timed; kcat cannot create topics).
ensure="$PEERS_DIR/../../dist/benchmarks/peers/ensure-output-topic.js"
[ -f "$ensure" ] || die "$ensure is missing: run 'npm run build' first"
node "$ensure" "$brokers" "$input" "$output" || exit 1

args=(--brokers "$brokers" --input "$input" --output "$output" --group "$group" --spin-us "$spin_us"
  --threads "$threads" --order "$order" --count "$count" --timeout-s "$timeout_s")
[ -z "$worker" ] || args+=(--worker "$worker" --value-format "${value_format:-raw}")

case "$peer" in
  kafkajs-main | kafkajs-piscina)
    cmd=(node "$PEERS_DIR/node/$peer.js" "${args[@]}") ;;
  parallel-consumer)
    cmd=(java -Xmx1g -cp "$PEERS_DIR/java/target/parallel-consumer-peer.jar:$PEERS_DIR/java/target/lib/*"
      turbine.peers.ParallelConsumerPeer "${args[@]}") ;;
  arroyo)
    cmd=("$PEERS_DIR/python/.venv/bin/python" "$PEERS_DIR/python/arroyo_peer.py" "${args[@]}") ;;
  kcat)
    cmd=(bash "$PEERS_DIR/kcat-peer.sh" "$brokers" "$input" "$output" "$group" "$count" "$timeout_s") ;;
esac

# timeout runs the peer in its own process group and signals the whole group (worker processes too).
timeout --kill-after=15 "$((timeout_s + 30))" "${cmd[@]}"
status=$?
[ $status -eq 124 ] && echo "[run-peer] $peer exceeded ${timeout_s} s and was stopped" >&2
exit $status
