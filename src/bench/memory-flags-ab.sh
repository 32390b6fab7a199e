#!/usr/bin/env bash
# What the image's memory flags cost in serving: alternating rounds of a server with the flags the
# image had before the connection-storm change and one with today's (docker/Dockerfile), each
# warmed for 10 s and then loaded with wrk -t2 -c64 for 15 s (balanced JSON bodies); prints
# requests/s, the server's own CPU per request (/proc/<pid>/stat) and its RSS.
#
#   src/bench/memory-flags-ab.sh [rounds]
#
# Needs: ./mvnw -B -DskipTests package, wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/bench/server.sh
ROUNDS="${1:-3}"
PORT=18099
WORK=$(mktemp -d)
BEFORE="-XX:+UseContainerSupport -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
NOW=$(sed -n 's/.*JAVA_MEMORY_OPTS="\([^"]*\)".*/\1/p' docker/Dockerfile)
ARENAS=$(sed -n 's/.*MALLOC_ARENA_MAX=\([0-9]*\).*/\1/p' docker/Dockerfile)
java -jar src/bench/target/lctserve-bench.jar wrk-bodies --out "$WORK/bodies.jsonl" \
  --parameters '{"preset":"balanced"}' > /dev/null
trap 'kill $SERVER 2>/dev/null || true' EXIT

for round in $(seq 1 "$ROUNDS"); do
  for flags in before now; do
    if [ "$flags" = before ]; then
      JAVA_TOOL_OPTIONS="-XX:MaxRAM=2g $BEFORE" start_server "$PORT" "$WORK/server.log" --lctserve.grpc.port=-1
    else
      JAVA_TOOL_OPTIONS="-XX:MaxRAM=2g $NOW" MALLOC_ARENA_MAX="$ARENAS" \
        start_server "$PORT" "$WORK/server.log" --lctserve.grpc.port=-1
    fi
    BODIES="$WORK/bodies.jsonl" wrk -t2 -c64 -d10s -s src/bench/wrk/cycle.lua "http://localhost:$PORT" > /dev/null
    t0=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    out=$(BODIES="$WORK/bodies.jsonl" wrk -t2 -c64 -d15s -s src/bench/wrk/cycle.lua "http://localhost:$PORT")
    t1=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    echo "round $round, flags $flags: $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s," \
      "server CPU $(awk -v t=$((t1 - t0)) -v n="$requests" -v hz="$(getconf CLK_TCK)" \
        'BEGIN {printf "%.3f", t * 1000 / hz / n}') ms/request, RSS $(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status") KB"
    kill "$SERVER"
    wait "$SERVER" 2>/dev/null || true
  done
done
