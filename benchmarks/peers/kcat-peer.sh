#!/usr/bin/env bash
# Peer "kcat": `kcat -C ... | kcat -P ...`, piping keys and values through one pipe, no work
# (spin 0 only) and one thread: the floor of what a consume → produce copy costs with librdkafka.
# The consumer is a balanced group consumer (-G) so offsets are committed (librdkafka auto-commit:
# committed when consumed, not after the output is acknowledged). The producer uses Turbine's
# settings (idempotent, lz4, linger 5 ms, murmur2_random) and exits after every delivery report.
# Called by run-peer.sh (which refuses --spin-us > 0 for kcat); prints the one JSON result line.
set -uo pipefail

[ $# -eq 6 ] || { echo "usage: kcat-peer.sh BROKERS INPUT OUTPUT GROUP COUNT TIMEOUT_S" >&2; exit 2; }
brokers="$1" input="$2" output="$3" group="$4" count="$5" timeout_s="$6"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Keys and values are passed as "key<TAB>value<LF>": the generated JSON values hold neither.
# The middle stage notes when the first record came through and counts the records passed on.
timeout "$timeout_s" kcat -C -q -b "$brokers" -G "$group" -c "$count" -e -f '%k\t%s\n' \
  -X auto.offset.reset=earliest -X fetch.wait.max.ms=10 -X fetch.min.bytes=65536 -X client.id=turbine-peer-kcat "$input" |
  {
    IFS= read -r first || exit 0
    date +%s%N >"$work/first"
    printf '%s\n' "$first"
    cat
  } | tee >(wc -l >"$work/count") |
  timeout "$timeout_s" kcat -P -q -b "$brokers" -t "$output" -K $'\t' \
    -X enable.idempotence=true -X linger.ms=5 -X compression.codec=lz4 -X partitioner=murmur2_random \
    -X batch.num.messages=10000 -X queue.buffering.max.messages=1000000 -X client.id=turbine-peer-kcat-producer
statuses=("${PIPESTATUS[@]}")
end_ns="$(date +%s%N)"
sleep 0.2 # let the tee's wc finish writing
records="$(tr -d ' ' <"$work/count" 2>/dev/null || echo 0)"
if [ "${statuses[0]}" != 0 ] || [ "${statuses[3]}" != 0 ] || [ "${records:-0}" -lt "$count" ] || [ ! -f "$work/first" ]; then
  echo "[kcat] failed: consumer exit ${statuses[0]}, producer exit ${statuses[3]}, ${records:-0}/$count records piped" >&2
  exit 1
fi
first_ns="$(cat "$work/first")"
ms=$(((end_ns - first_ns) / 1000000))
[ "$ms" -gt 0 ] || ms=1
printf '{"peer":"kcat","order":"partition","threads":1,"spinUs":0,"records":%d,"ms":%d,"perSec":%d,"firstConsumedAtMs":%d,"lastAckedAtMs":%d}\n' \
  "$records" "$ms" "$((records * 1000 / ms))" "$((first_ns / 1000000))" "$((end_ns / 1000000))"
