#!/usr/bin/env bash
# Memory through a connection storm: the server's RSS and heap before, during and 60 s after N
# connections (HTTP/1.1 keep-alive with wrk, or gRPC calls with lctserve-bench grpc), with the JVM
# flags the container image uses, for a pod whose memory limit is LIMIT. What holds the memory is
# named from the JVM's native memory summary (Native Memory Tracking) at each point.
#
#   src/bench/connection-storm.sh [http|grpc] [connections] [limit, e.g. 2g]
#
# Needs: ./mvnw -B -DskipTests package, wrk. Prints one line per second during the storm and a
# summary; the native memory summaries are in $WORK (printed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/bench/server.sh

PROTOCOL="${1:-http}"
CONNECTIONS="${2:-4096}"
LIMIT="${3:-2g}"
PORT=18097
GRPC_PORT=18098
STORM_SECONDS=30
AFTER_SECONDS=60
WORK=$(mktemp -d)
BENCH="java -jar src/bench/target/lctserve-bench.jar"

# The image's flags (docker/Dockerfile), with MaxRAM standing for the container's memory limit.
IMAGE_FLAGS=$(sed -n 's/.*JAVA_MEMORY_OPTS="\([^"]*\)".*/\1/p' docker/Dockerfile)
export JAVA_TOOL_OPTIONS="-XX:MaxRAM=$LIMIT $IMAGE_FLAGS -XX:NativeMemoryTracking=summary"
export MALLOC_ARENA_MAX="$(sed -n 's/.*MALLOC_ARENA_MAX=\([0-9]*\).*/\1/p' docker/Dockerfile)"
[ -n "$MALLOC_ARENA_MAX" ] || unset MALLOC_ARENA_MAX
echo "JVM: $JAVA_TOOL_OPTIONS${MALLOC_ARENA_MAX:+ MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX}"
start_server "$PORT" "$WORK/server.log" --lctserve.grpc.port="$GRPC_PORT"
unset JAVA_TOOL_OPTIONS
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
heap() { # used and committed heap, MB
  jcmd "$SERVER" GC.heap_info 2>/dev/null | awk '/garbage-first heap|def new generation|PSYoungGen|total/ && !done {
    for (i = 1; i <= NF; i++) { if ($i == "total") t = $(i+1); if ($i == "used") u = $(i+1) }
    gsub(/[^0-9]/, "", t); gsub(/[^0-9]/, "", u); printf "%d/%d", u / 1024, t / 1024; done = 1 }'
}
threads() { ls "/proc/$SERVER/task" | wc -l; }
native() { jcmd "$SERVER" VM.native_memory summary > "$WORK/nmt-$1.txt" 2>&1 || true; }
point() { printf '%-22s RSS %7d KB  heap used/committed %9s MB  threads %4d\n' "$1" "$(rss_kb)" "$(heap)" "$(threads)"; }

# Normal traffic first, so that "before" is a warm server, not a fresh one.
$BENCH wrk-bodies --out "$WORK/bodies.jsonl" --parameters '{"preset":"balanced"}' > /dev/null
BODIES="$WORK/bodies.jsonl" wrk -t2 -c64 -d20s -s src/bench/wrk/cycle.lua "http://localhost:$PORT" > /dev/null
sleep 25 # past one G1PeriodicGCInterval (15 s), so that "before" is a settled heap
point "before"
native before
BEFORE=$(rss_kb)

echo "== storm: $CONNECTIONS $PROTOCOL connections for ${STORM_SECONDS}s"
if [ "$PROTOCOL" = grpc ]; then
  # one call in flight per connection: every connection is an HTTP/2 connection with one stream busy
  $BENCH grpc --target "localhost:$GRPC_PORT" --streams "$CONNECTIONS" --channels "$CONNECTIONS" \
    --seconds "$STORM_SECONDS" --warmup-seconds 0 --parameter preset=balanced > "$WORK/load.txt" 2>&1 &
else
  ALLOW_REFUSALS=1 BODIES="$WORK/bodies.jsonl" wrk -t2 -c"$CONNECTIONS" -d"${STORM_SECONDS}s" \
    -s src/bench/wrk/cycle.lua "http://localhost:$PORT" > "$WORK/load.txt" 2>&1 &
fi
LOAD=$!
PEAK=0
PEAK_AT=""
while kill -0 "$LOAD" 2>/dev/null; do
  r=$(rss_kb)
  if [ "$r" -gt "$PEAK" ]; then PEAK=$r; PEAK_AT=$(point "during (peak so far)"); fi
  sleep 1
done
wait "$LOAD" || true
native peak-end
echo "$PEAK_AT"
tail -n 12 "$WORK/load.txt"

for s in 10 20 30 40 50 60; do
  sleep 10
  point "${s} s after"
done
native after
AFTER=$(rss_kb)

echo
echo "== summary ($PROTOCOL, $CONNECTIONS connections, limit $LIMIT)"
echo "RSS before ${BEFORE} KB, peak ${PEAK} KB, ${AFTER_SECONDS} s after ${AFTER} KB:" \
  "after/before $(awk -v a="$AFTER" -v b="$BEFORE" 'BEGIN {printf "%.3f", a / b}')," \
  "peak/limit $(awk -v p="$PEAK" -v l="$LIMIT" 'BEGIN {
     m = l + 0; u = tolower(substr(l, length(l))); if (u == "g") m *= 1048576; else if (u == "m") m *= 1024;
     printf "%.3f", p / m }')"
for f in before peak-end after; do
  echo "-- native memory, $f (committed KB by category)"
  awk '/^-/ && /committed=/ {
         name = $0; sub(/^- */, "", name); sub(/ *\(.*/, "", name)
         match($0, /committed=[0-9]+KB/); c = substr($0, RSTART + 10, RLENGTH - 12)
         if (c + 0 >= 4096) printf "  %-28s %9d\n", name, c }
       /^Total/ { match($0, /committed=[0-9]+KB/); printf "  %-28s %9d\n", "Total", substr($0, RSTART + 10, RLENGTH - 12) }' \
    "$WORK/nmt-$f.txt"
done
